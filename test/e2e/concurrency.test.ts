// 20 `conn create` processes at once: the lock serialises them, so all 20
// connections land and the file stays valid JSON.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, runConn, tempDir } from '../helpers/cli.js';

let home: string;
beforeAll(() => {
  home = tempDir();
});
afterAll(() => removeDir(home));

test('20 concurrent creates leave 20 connections and a valid file', async () => {
  const env = { CONN_SECRET_STORE: 'file', CONN_PASSPHRASE: 'pass phrase' };
  const runs = Array.from({ length: 20 }, (_, i) =>
    runConn(['create', 'postgres', '--name', `db-${i}`, '--set', 'user=app', '--secret-stdin', 'password', '--no-test'],
      { home, env, input: `pw-${i}`, timeoutMs: 60000 }));
  const results = await Promise.all(runs);
  for (const result of results) {
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  }
  const doc = JSON.parse(readFileSync(join(home, 'connections.json'), 'utf8'));
  expect(Object.keys(doc.connections)).toHaveLength(20);
  const shown = await runConn(['show', 'db-7', '--json'], { home, env });
  expect(JSON.parse(shown.stdout).secrets).toEqual({ password: 'stored' });
}, 120000);
