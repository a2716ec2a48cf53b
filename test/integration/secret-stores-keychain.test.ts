// The keychain store against a real gnome-keyring on a private D-Bus
// session (see test/helpers/keyring.ts). The native module reads the
// process's real environment, so the session's variables are set there
// (not only on jest's copy) for the duration of this file.

import { createServer, type Server } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../../src/errors.js';
import { resolvePaths } from '../../src/store/paths.js';
import {
  KeychainSecretStore,
  openSecretStore,
  probeKeychain,
} from '../../src/store/secrets/index.js';
import {
  searchKeyring,
  setProcessEnv,
  startKeyring,
  type KeyringSession,
} from '../helpers/keyring.js';

const CANARY = 'canary-kc-7f3a9d1e5b';
let session: KeyringSession;
let restoreEnv: (() => Promise<void>) | undefined;

beforeAll(async () => {
  session = await startKeyring();
  restoreEnv = await setProcessEnv(session.env);
});

afterAll(async () => {
  await restoreEnv?.();
  await session?.stop();
});

function store(): KeychainSecretStore {
  return new KeychainSecretStore({ timeoutMs: 5000, env: process.env });
}

test('set, get and delete go through the Secret Service', async () => {
  await store().set('api', 'token', CANARY);

  expect(await store().get('api', 'token')).toBe(CANARY);
  const listing = searchKeyring(session.env);
  expect(listing).toContain('attribute.service = conn');
  expect(listing).toContain('attribute.username = api/token');
  expect(listing).toContain(CANARY);

  await store().delete('api', 'token');
  expect(await store().get('api', 'token')).toBeUndefined();
  expect(searchKeyring(session.env)).not.toContain('api/token');
});

test('one store sees its own writes without reading again', async () => {
  const keychain = store();
  expect(await keychain.get('db', 'password')).toBeUndefined();

  await keychain.set('db', 'password', `${CANARY}-db`);
  expect(await keychain.get('db', 'password')).toBe(`${CANARY}-db`);
  await keychain.delete('db', 'password');
  expect(await keychain.get('db', 'password')).toBeUndefined();
  await keychain.delete('db', 'password');
});

test('many reads switch to one bulk read with the same answers', async () => {
  const names = Array.from({ length: 12 }, (_, i) => `bulk-${i}`);
  for (const name of names) await store().set(name, 'key', `${CANARY}-${name}`);

  const reader = store();
  for (const name of names) {
    expect(await reader.get(name, 'key')).toBe(`${CANARY}-${name}`);
  }
  expect(await reader.get('bulk-absent', 'key')).toBeUndefined();
  for (const name of names) await reader.delete(name, 'key');
  expect(searchKeyring(session.env)).not.toContain('bulk-');
});

test('no secret value reaches any file under HOME', async () => {
  await store().set('files', 'secret', CANARY);

  const files = filesUnder(session.home);
  // The daemon really wrote its keyring here, so the check means something.
  expect(files.some((file) => file.endsWith('.keyring'))).toBe(true);
  const offenders = files.filter((file) =>
    readFileSync(file).includes(CANARY),
  );
  expect(offenders).toEqual([]);
  await store().delete('files', 'secret');
});

test('the probe answers yes on the session and says why', async () => {
  const probe = await probeKeychain(5000, process.env);
  expect(probe).toEqual({ available: true, reason: expect.any(String) });
});

test('the probe answers no at once when there is no bus', async () => {
  const started = Date.now();
  const probe = await probeKeychain(5000, {});

  expect(probe.available).toBe(false);
  expect(probe.reason).toContain('DBUS_SESSION_BUS_ADDRESS');
  // Not a speed check: it proves the probe did not wait for its 5 s timeout.
  expect(Date.now() - started).toBeLessThan(4000);
});

test('a bus that never answers is a timeout, not a hang', async () => {
  await withSilentBus(async (env) => {
    const probe = await probeKeychain(300, env);
    expect(probe.available).toBe(false);
    expect(probe.reason).toMatch(/did not answer within 300 ms/);

    const keychain = new KeychainSecretStore({ timeoutMs: 300, env });
    const error = await keychain.set('api', 'token', CANARY).catch((e) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(error.exitCode).toBe(3);
    expect(error.hint).toMatch(/--secret-store file/);
    expect(`${error.message} ${error.hint}`).not.toContain(CANARY);
  });
});

test('auto picks the keychain when it answers, else the file', async () => {
  const home = mkdtempSync(join(tmpdir(), 'conn-auto-'));
  try {
    const paths = resolvePaths({ CONN_HOME: home });
    const warn = () => undefined;
    const withBus = await openSecretStore({
      choice: 'auto', paths, env: process.env, warn,
    });
    expect(withBus.store.kind).toBe('keychain');
    expect(withBus.reason).toMatch(/^keychain store/);

    const noBus = await openSecretStore({
      choice: 'auto', paths, env: { CONN_HOME: home }, warn,
    });
    expect(noBus.store.kind).toBe('file');
    expect(noBus.reason).toContain('DBUS_SESSION_BUS_ADDRESS');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** A unix socket that accepts connections and never says a word. */
async function withSilentBus(
  action: (env: NodeJS.ProcessEnv) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'conn-silent-bus-'));
  const socketPath = join(dir, 'bus');
  const server: Server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  try {
    await action({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${socketPath}` });
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
