// The file store on a real disk: encryption, permissions, the plain-file
// warning, and the failures that must leave the file untouched.

import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from '../../src/errors.js';
import {
  FileSecretStore,
  deleteSecrets,
  moveSecrets,
  readSecrets,
  writeSecrets,
} from '../../src/store/secrets/index.js';

const CANARY = 'canary-file-4c2e8b6a9f';
const PASSPHRASE = 'correct horse battery staple';
let root: string;
let file: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'conn-file-store-'));
  // A folder the store must create itself, to check its mode.
  file = join(root, 'data', 'conn', 'secrets.json');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

function open(passphrase?: string, warnings: string[] = []) {
  return new FileSecretStore({
    file,
    passphrase,
    warn: (message) => warnings.push(message),
  });
}

async function failure(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(CliError);
  const cliError = error as CliError;
  expect(`${cliError.message} ${cliError.hint}`).not.toContain(CANARY);
  return cliError;
}

describe('with CONN_PASSPHRASE', () => {
  test('the file holds no value, is 0600 in a 0700 folder', async () => {
    const warnings: string[] = [];
    await open(PASSPHRASE, warnings).set('api', 'token', CANARY);

    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(CANARY);
    expect(JSON.parse(text)).toMatchObject({
      version: 1,
      encrypted: true,
      kdf: { name: 'scrypt', N: expect.any(Number) },
      cipher: { name: 'aes-256-gcm' },
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'data', 'conn')).mode & 0o777).toBe(0o700);
    expect(await open(PASSPHRASE).get('api', 'token')).toBe(CANARY);
    expect(warnings).toEqual([]);
  });

  test('every write draws a fresh salt and IV', async () => {
    const store = open(PASSPHRASE);
    await store.set('api', 'token', CANARY);
    const first = JSON.parse(readFileSync(file, 'utf8'));
    await store.set('api', 'token', `${CANARY}-2`);
    const second = JSON.parse(readFileSync(file, 'utf8'));

    expect(second.kdf.salt).not.toBe(first.kdf.salt);
    expect(second.cipher.iv).not.toBe(first.cipher.iv);
  });

  test('a wrong passphrase is exit 3 and overwrites nothing', async () => {
    await open(PASSPHRASE).set('api', 'token', CANARY);
    const before = readFileSync(file);

    const read = await failure(open('wrong').get('api', 'token'));
    expect(read.exitCode).toBe(3);
    expect(read.hint).toContain('CONN_PASSPHRASE');
    const write = await failure(open('wrong').set('api', 'other', 'x'));
    expect(write.exitCode).toBe(3);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  test('an encrypted file without a passphrase is exit 3', async () => {
    await open(PASSPHRASE).set('api', 'token', CANARY);
    const before = readFileSync(file);

    const read = await failure(open(undefined).get('api', 'token'));
    expect(read.exitCode).toBe(3);
    expect(read.message).toContain(file);
    expect(read.hint).toContain('CONN_PASSPHRASE');
    await failure(open('').delete('api', 'token'));
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  test('a plain file is encrypted on the next write', async () => {
    await open(undefined).set('api', 'token', CANARY);
    expect(readFileSync(file, 'utf8')).toContain(CANARY);

    await open(PASSPHRASE).set('db', 'password', `${CANARY}-db`);
    expect(readFileSync(file, 'utf8')).not.toContain(CANARY);
    expect(await open(PASSPHRASE).get('api', 'token')).toBe(CANARY);
  });
});

describe('without CONN_PASSPHRASE', () => {
  test('one warning per process names the file', async () => {
    const warnings: string[] = [];
    const store = open(undefined, warnings);
    await store.set('api', 'token', CANARY);
    await store.set('api', 'user', 'me');
    await store.get('api', 'token');
    await open(undefined, warnings).get('api', 'token');

    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(file);
    expect(warnings[0]).toContain('CONN_PASSPHRASE');
    expect(warnings[0]).not.toContain(CANARY);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test('reading when there is no file says nothing', async () => {
    const warnings: string[] = [];
    expect(await open(undefined, warnings).get('api', 'token'))
      .toBeUndefined();
    expect(warnings).toEqual([]);
  });
});

describe('a damaged file', () => {
  test.each([
    ['broken JSON', `{"version": 1, "secrets": {"api": "${CANARY}"`],
    [
      'a wrong shape',
      `{"version": 1, "encrypted": false, "secrets": ["${CANARY}"]}`,
    ],
    ['no version', `{"secrets": {"api": {"token": "${CANARY}"}}}`],
  ])('with %s is exit 3 naming the file', async (_, content) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);

    const read = await failure(open(PASSPHRASE).get('api', 'token'));
    expect(read.exitCode).toBe(3);
    expect(read.message).toContain(file);
    await failure(open(PASSPHRASE).set('api', 'token', 'x'));
    expect(readFileSync(file, 'utf8')).toBe(content);
  });
});

describe('the helpers over the file store', () => {
  test('write, read with env overrides, move and delete', async () => {
    const store = open(PASSPHRASE);
    await writeSecrets(store, 'api', { token: CANARY, user: 'me' });
    const env = { CONN_SECRET_API_USER: 'from-env' };

    expect(await readSecrets(store, 'api', ['token', 'user', 'none'], env))
      .toEqual({ token: CANARY, user: 'from-env' });
    await moveSecrets(store, 'api', 'api-2', ['token', 'user']);
    expect(await readSecrets(open(PASSPHRASE), 'api', ['token'], {}))
      .toEqual({});
    expect(await readSecrets(open(PASSPHRASE), 'api-2', ['token', 'user'], {}))
      .toEqual({ token: CANARY, user: 'me' });
    await deleteSecrets(store, 'api-2', ['token', 'user']);
    expect(JSON.parse(readFileSync(file, 'utf8')).ciphertext).toBeDefined();
    expect(await open(PASSPHRASE).get('api-2', 'token')).toBeUndefined();
  });

  test('1000 connections are read from one file', async () => {
    const changes = Array.from({ length: 1000 }, (_, i) => (
      { connection: `c${i}`, field: 'password', value: `v${i}` }
    ));
    await open(PASSPHRASE).update(changes);

    const reader = open(PASSPHRASE);
    let matched = 0;
    for (let i = 0; i < 1000; i++) {
      const found = await readSecrets(reader, `c${i}`, ['password'], {});
      if (found.password === `v${i}`) matched++;
    }
    expect(matched).toBe(1000);
    // Speed itself is measured by `npm run bench`, not asserted here.
  });

  test('a change by another process is seen on the next read', async () => {
    const reader = open(PASSPHRASE);
    await open(PASSPHRASE).set('api', 'token', 'old');
    expect(await reader.get('api', 'token')).toBe('old');

    await open(PASSPHRASE).set('api', 'token', CANARY);
    expect(await reader.get('api', 'token')).toBe(CANARY);
  });
});
