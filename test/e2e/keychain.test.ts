// The real keychain: gnome-keyring under a private D-Bus session. `conn
// create` must put the secret where `secret-tool search service conn` finds
// it and in no file; `conn rm` must remove it.

import { searchKeyring, startKeyring, type KeyringSession } from '../helpers/keyring.js';
import { expectNoCanary, filesUnder, removeDir, runConn, tempDir } from '../helpers/cli.js';

const CANARY = 'CANARY-keychain-Wb3';
let keyring: KeyringSession;
let home: string;

beforeAll(async () => {
  keyring = await startKeyring();
  home = tempDir();
}, 30000);
afterAll(async () => {
  await keyring?.stop();
  removeDir(home);
});

const conn = (args: string[], input?: string) =>
  runConn(args, { home, input, env: { ...keyring.env, HOME: keyring.home, CONN_HOME: home } });

test('auto picks the keychain; create stores the secret there and in no file; rm removes it', async () => {
  const doctor = JSON.parse((await conn(['doctor', '--json'])).stdout);
  expect(doctor.secretStore.kind).toBe('keychain');
  expect(doctor.keychain.available).toBe(true);

  const created = await conn(['create', 'postgres', '--name', 'db', '--set', 'user=app', '--secret-stdin', 'password', '--no-test'], CANARY);
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);

  const found = searchKeyring(keyring.env);
  expect(found).toContain('db/password');
  expect(found).toContain(CANARY);
  const places: Record<string, Buffer> = {};
  for (const file of filesUnder(home)) places[file.path] = file.content;
  expectNoCanary(CANARY, places);

  const renamed = await conn(['rename', 'db', 'db2']);
  expect(renamed.code).toBe(0);
  const afterRename = searchKeyring(keyring.env);
  expect(afterRename).toContain('db2/password');
  expect(afterRename).not.toContain('db/password');

  const removed = await conn(['rm', 'db2', '--yes']);
  expect(removed.code).toBe(0);
  expect(searchKeyring(keyring.env)).not.toContain(CANARY);
}, 60000);

test('--secret-store keychain without a keychain is exit 3 with a hint', async () => {
  const result = await runConn(['create', 'postgres', '--name', 'x', '--set', 'user=a', '--secret-stdin', 'password',
    '--secret-store', 'keychain'], { home, input: 'pw', env: { DBUS_SESSION_BUS_ADDRESS: undefined, CONN_KEYCHAIN_TIMEOUT_MS: '2000' } });
  expect(result.code).toBe(3);
  expect(result.stderr).toMatch(/^error: .*keychain.*\nhint: /s);
  expect(JSON.parse((await runConn(['list', '--json'], { home })).stdout)).toEqual([]);
}, 30000);
