// `conn create` and `conn edit` on a terminal: the connector picked from a
// list that typing filters, the fields asked with defaults, a bad value asked
// again, secrets masked (never echoed), and an empty secret on edit keeping
// the stored one.

import { removeDir, runConn, tempDir } from '../helpers/cli.js';
import { runInTerminal } from '../helpers/pty.js';

const CANARY = 'CANARY-typed-Pw9';
let home: string;
const env = { CONN_SECRET_STORE: 'file', CONN_PASSPHRASE: 'pass phrase' };

beforeAll(() => {
  home = tempDir();
});
afterAll(() => removeDir(home));

test('create asks for everything, re-asks a bad port and masks the password', async () => {
  const result = await runInTerminal(['create', '--no-test'], [
    { waitFor: 'Connector', type: 'postgres' },
    { waitFor: 'PostgreSQL (postgres)', type: '\r' },
    { waitFor: 'Connection name', type: 'typed-db\r' },
    { waitFor: 'Connection string', type: '\r' },
    { waitFor: 'Host', type: '\r' },
    { waitFor: 'Port', type: '\u0015' + '99999\r' },
    { waitFor: 'between 1 and 65535', type: '\u0015' + '5433\r' },
    { waitFor: 'Database', type: '\r' },
    { waitFor: 'User', type: 'app\r' },
    { waitFor: 'Password', type: `${CANARY}\r` },
    { waitFor: 'SSL mode', type: '\r' },
  ], { home, env });

  expect(result.screen).toContain("Created connection 'typed-db'");
  expect(result.code).toBe(0);
  expect(result.screen).not.toContain(CANARY);
  const shown = JSON.parse((await runConn(['show', 'typed-db', '--json'], { home, env })).stdout);
  expect(shown.connector).toBe('postgres');
  expect(shown.settings).toMatchObject({ host: 'localhost', port: 5433, user: 'app', sslMode: 'require' });
  expect(shown.secrets).toEqual({ password: 'stored' });
}, 60000);

test('edit offers the current values; an empty secret keeps the stored one', async () => {
  const result = await runInTerminal(['edit', 'typed-db', '--no-test'], [
    { waitFor: 'Host', type: '\r' },
    { waitFor: 'Port', type: '\r' },
    { waitFor: 'Database', type: '\r' },
    { waitFor: 'User', type: '\u0015' + 'etl\r' },
    { waitFor: 'Password', type: '\r' },
    { waitFor: 'SSL mode', type: '\r' },
  ], { home, env });
  expect(result.screen).toContain("Updated connection 'typed-db'");
  const shown = JSON.parse((await runConn(['show', 'typed-db', '--json'], { home, env })).stdout);
  expect(shown.settings).toMatchObject({ port: 5433, user: 'etl' });
  expect(shown.secrets).toEqual({ password: 'stored' });
  expect(result.screen).toContain('(empty keep');
}, 60000);

test('rm asks on a terminal and a no keeps the connection', async () => {
  const result = await runInTerminal(['rm', 'typed-db'], [{ waitFor: 'Remove', type: 'n\r' }], { home, env });
  expect(result.screen).toContain('Nothing removed');
  expect(JSON.parse((await runConn(['list', '--json'], { home, env })).stdout)).toHaveLength(1);
}, 60000);

test('Ctrl-C in a prompt exits 130 quietly, writing nothing', async () => {
  const result = await runInTerminal(['create', '--no-test'], [
    { waitFor: 'Connector', type: 'http' },
    { waitFor: 'HTTP API (http)', type: '\r' },
    { waitFor: 'Connection name', type: '\u0003' },
  ], { home, env });
  expect(result.code).toBe(130);
  expect(result.screen).not.toMatch(/error|at .*\.js/);
  expect(JSON.parse((await runConn(['list', '--json'], { home, env })).stdout)).toHaveLength(1);
}, 60000);
