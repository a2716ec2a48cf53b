// The environment store: variable names, and the rule that the environment
// wins over any stored value.

import { CliError } from '../../src/errors.js';
import {
  EnvSecretStore,
  readSecrets,
  secretEnvName,
  type SecretStore,
} from '../../src/store/secrets/index.js';

const CANARY = 'canary-env-91d3f07c2a';

/** A store holding values in memory; it counts reads to prove laziness. */
function memoryStore(values: Record<string, string>) {
  const store = {
    kind: 'file' as const,
    reads: 0,
    describe: () => 'memory',
    async get(connection: string, field: string) {
      store.reads++;
      return values[`${connection}/${field}`];
    },
    async set() {},
    async delete() {},
  };
  return store satisfies SecretStore;
}

test.each([
  ['api', 'token', 'CONN_SECRET_API_TOKEN'],
  ['stripe-prod', 'api_key', 'CONN_SECRET_STRIPE_PROD_API_KEY'],
  ['my.db', 'password', 'CONN_SECRET_MY_DB_PASSWORD'],
  ['Crm 2', 'clientSecret', 'CONN_SECRET_CRM_2_CLIENTSECRET'],
  ['café', 'pass', 'CONN_SECRET_CAF__PASS'],
])('%s / %s is read from %s', (connection, field, name) => {
  expect(secretEnvName(connection, field)).toBe(name);
});

test('the env store reads its variables, ignoring empty ones', async () => {
  const store = new EnvSecretStore({
    CONN_SECRET_API_TOKEN: CANARY,
    CONN_SECRET_API_USER: '',
  });

  expect(await store.get('api', 'token')).toBe(CANARY);
  expect(await store.get('api', 'user')).toBeUndefined();
  expect(store.describe()).toContain('CONN_SECRET_');
});

test('the env store cannot be written, and deleting does nothing', async () => {
  const store = new EnvSecretStore({ CONN_SECRET_API_TOKEN: 'kept' });

  const error = await store.set('api', 'token').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CliError);
  expect((error as CliError).exitCode).toBe(2);
  expect((error as CliError).hint).toContain('CONN_SECRET_API_TOKEN');
  await store.delete();
  expect(await store.get('api', 'token')).toBe('kept');
});

test('the environment overrides the store, field by field', async () => {
  const store = memoryStore({ 'api/token': 'stored', 'api/user': 'me' });
  const env = { CONN_SECRET_API_TOKEN: CANARY };

  const secrets = await readSecrets(store, 'api', ['token', 'user', 'x'], env);
  expect(secrets).toEqual({ token: CANARY, user: 'me' });
  expect(store.reads).toBe(2);
});

test('the store opens only when the environment lacks a value', async () => {
  let opened = 0;
  const open = async () => {
    opened++;
    return memoryStore({});
  };
  const env = { CONN_SECRET_API_TOKEN: CANARY, CONN_SECRET_API_USER: 'me' };

  const secrets = await readSecrets(open, 'api', ['token', 'user'], env);
  expect(secrets).toEqual({ token: CANARY, user: 'me' });
  expect(opened).toBe(0);
  await readSecrets(open, 'api', ['token', 'other'], env);
  expect(opened).toBe(1);
});
