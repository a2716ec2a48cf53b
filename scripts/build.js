#!/usr/bin/env node
// Builds dist/ with esbuild: src/main.ts and everything it imports become
// one start-up file plus a chunk per lazily imported command or adapter.
// conn starts on every CI step; one file parses faster than forty small
// ES modules. Heavy packages stay external and load only when used.
// Type checking is `npm run typecheck` (run by `npm test`).

import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const external = [
  'undici',
  '@inquirer/prompts',
  'pg',
  'mysql2',
  'ioredis',
  'oauth4webapi',
  '@napi-rs/keyring',
  'cosmiconfig',
];

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/main.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  external,
  logLevel: 'warning',
});
