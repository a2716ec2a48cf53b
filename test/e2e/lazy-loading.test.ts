// `conn --help` and `conn list` run on every CI step: they must not load a
// prompt library, an HTTP client, the keychain binding or a database driver.
// A module-resolution hook records every module the process loads.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { removeDir, runConn, tempDir } from '../helpers/cli.js';

const HEAVY = /node_modules\/(undici|@inquirer|@napi-rs|pg|pg-[a-z]+|mysql2|ioredis|oauth4webapi|cosmiconfig)\//;
let home: string;
let hooks: string;
let log: string;

beforeAll(async () => {
  home = tempDir();
  hooks = mkdtempSync(join(tmpdir(), 'conn-hooks-'));
  log = join(hooks, 'loaded.txt');
  writeFileSync(join(hooks, 'hook.mjs'), [
    "import { appendFileSync } from 'node:fs';",
    'export async function resolve(specifier, context, next) {',
    '  const result = await next(specifier, context);',
    `  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');`,
    '  return result;',
    '}',
  ].join('\n'));
  writeFileSync(join(hooks, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(hooks, 'hook.mjs')).href)});\n`);
  const env = { CONN_SECRET_STORE: 'file', CONN_PASSPHRASE: 'pass phrase' };
  await runConn(['create', 'http', '--name', 'api', '--set', 'baseUrl=https://api.example.com', '--set', 'auth=bearer',
    '--secret-env', 'token=T'], { home, env: { ...env, T: 'tok' } });
});
afterAll(() => {
  removeDir(home);
  rmSync(hooks, { recursive: true, force: true });
});

test.each([[['--help']], [['list']], [['list', '--json']], [['show', 'api']], [['connectors']]])(
  'conn %j loads nothing heavy and reads no secret', async (args) => {
    writeFileSync(log, '');
    const result = await runConn(args, {
      home,
      // A keychain that cannot answer and a passphrase that cannot decrypt:
      // a command that touched either would fail.
      env: { NODE_OPTIONS: `--import=${pathToFileURL(join(hooks, 'register.mjs')).href}`, CONN_SECRET_STORE: 'keychain', CONN_PASSPHRASE: 'wrong' },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    expect(loaded.some((url) => url.includes('/dist/main.js'))).toBe(true);
    expect(loaded.filter((url) => HEAVY.test(url))).toEqual([]);
    expect(loaded.filter((url) => /\/(keychain|secrets|prompts|http|postgres|mysql|redis|test)-[A-Z0-9]+\.js$/.test(url))).toEqual([]);
  });
