// Runs the built CLI (bin/conn.js) as a user would: a child process with a
// temporary CONN_HOME, a clean environment and optional standard input.

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve('bin/conn.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  home: string;
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
}

export function tempDir(prefix = 'conn-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The environment a test run gets: nothing from the developer's shell leaks in. */
export function baseEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    CONN_HOME: home,
    LANG: 'C.UTF-8',
  };
}

export function runConn(args: string[], options: RunOptions): Promise<CliResult> {
  const env: Record<string, string> = { ...baseEnv(options.home) };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? options.home,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Every file under a folder, recursively, with its content. */
export function filesUnder(dir: string): Array<{ path: string; content: Buffer; mode: number }> {
  const found: Array<{ path: string; content: Buffer; mode: number }> = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) found.push({ path, content: readFileSync(path), mode: statSync(path).mode & 0o777 });
    }
  };
  walk(dir);
  return found;
}

/** Fails with the place where the canary shows, if it does. */
export function expectNoCanary(canary: string, places: Record<string, string | Buffer>): void {
  for (const [where, text] of Object.entries(places)) {
    const content = Buffer.isBuffer(text) ? text.toString('latin1') : text;
    if (content.includes(canary)) {
      throw new Error(`the canary secret leaked into ${where}`);
    }
  }
}
