// Bad input gets a clear one-line error, a hint, the documented exit code,
// and writes nothing.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { filesUnder, removeDir, runConn, tempDir } from '../helpers/cli.js';

let home: string;
const env = { CONN_SECRET_STORE: 'file', CONN_PASSPHRASE: 'pass phrase', NOT_JSON: 'CANARY-not-json' };

beforeAll(async () => {
  home = tempDir();
  const made = await runConn(['create', 'http', '--name', 'taken', '--set', 'baseUrl=https://a.example.com'], { home, env });
  expect(made.code).toBe(0);
});
afterAll(() => removeDir(home));

const http = ['create', 'http', '--set', 'baseUrl=https://api.example.com'];
const cases: Array<[string, string[], number, RegExp]> = [
  ['bad name', [...http, '--name', 'has space'], 2, /not a valid name/],
  ['name too long', [...http, '--name', 'x'.repeat(65)], 2, /not a valid name/],
  ['duplicate name', [...http, '--name', 'taken'], 2, /already exists/],
  ['unknown connector', ['create', 'postgress', '--name', 'x'], 2, /no connector named 'postgress'.*\n.*did you mean 'postgres'/],
  ['bad URL', ['create', 'http', '--name', 'x', '--set', 'baseUrl=not a url'], 2, /not a URL/],
  ['URL with credentials', ['create', 'http', '--name', 'x', '--set', 'baseUrl=https://u:p@a.example.com'], 2, /must not contain a user name or password/],
  ['port out of range', ['create', 'postgres', '--name', 'x', '--set', 'user=a', '--set', 'port=70000'], 2, /port must be between 1 and 65535/],
  ['port not a number', ['create', 'postgres', '--name', 'x', '--set', 'user=a', '--set', 'port=abc'], 2, /port must be a number/],
  ['bad enum', ['create', 'postgres', '--name', 'x', '--set', 'user=a', '--set', 'sslMode=maybe'], 2, /sslMode must be one of/],
  ['unknown field', [...http, '--name', 'x', '--set', 'baseUlr=https://b.example.com'], 2, /no field 'baseUlr'.*\n.*did you mean 'baseUrl'/],
  ['secret given with --set', [...http, '--name', 'x', '--set', 'auth=bearer', '--set', 'token=abc'], 2, /token is a secret.*\n.*--secret-stdin token/],
  ['plain field with --secret-env', [...http, '--name', 'x', '--secret-env', 'baseUrl=HOME'], 2, /not a secret field/],
  ['field that does not apply', [...http, '--name', 'x', '--set', 'username=ann'], 2, /username does not apply/],
  ['--set without =', [...http, '--name', 'x', '--set', 'auth'], 2, /--set expects key=value/],
  ['unset secret env var', [...http, '--name', 'x', '--set', 'auth=bearer', '--secret-env', 'token=NOT_SET_ANYWHERE'], 2, /NOT_SET_ANYWHERE/],
  ['secret JSON that is not JSON', [...http, '--name', 'x', '--secret-env', 'secretHeaders=NOT_JSON'], 2, /secretHeaders must be JSON/],
  ['unknown category', ['list', '--category', 'nosql'], 2, /unknown category/],
  ['unknown connection', ['show', 'nope'], 2, /no connection named 'nope'/],
  ['bad secret store', ['list', '--secret-store', 'vault'], 2, /vault/],
];

test.each(cases)('%s', async (_label, args, code, message) => {
  const before = snapshot();
  const result = await runConn(args, { home, env });
  expect(result.code).toBe(code);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(message);
  expect(result.stderr).toMatch(/^error: .*\nhint: .*\n$/);
  expect(result.stderr).not.toContain('CANARY');
  expect(snapshot()).toEqual(before);
});

test('the same errors in --json are one document on stdout', async () => {
  const result = await runConn([...http, '--name', 'taken', '--json'], { home, env });
  expect(result.code).toBe(2);
  expect(JSON.parse(result.stdout)).toEqual({
    error: expect.objectContaining({ code: 'duplicate-name', exitCode: 2, message: expect.stringContaining('taken') }),
  });
});

function snapshot(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const file of filesUnder(home)) files[file.path] = file.content.toString('base64');
  expect(existsSync(join(home, 'connections.json'))).toBe(true);
  void readFileSync;
  return files;
}
