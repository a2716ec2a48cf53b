// The Redis adapter against a real redis-server started for this file, with
// requirepass, an ACL user and a TLS port: each failure class made for real.

import { Redis } from 'ioredis';

import { adapter } from '../../src/adapters/redis.js';
import { expectNoSecret, makeContext, steps } from '../helpers/db-context.js';
import { freePort } from '../helpers/db-process.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

const CANARY = 'canary-Rd-4e8b1f62a0';
const MAX_CLIENTS = 6;

let server: RedisServer;

beforeAll(async () => {
  server = await startRedis({ password: CANARY, maxClients: MAX_CLIENTS });
  await server.command('ACL', 'SETUSER', 'app', 'on', `>${CANARY}`,
    '~*', '+ping', '+info', '+select', '+get', '+quit');
  await server.command('ACL', 'SETUSER', 'pinger', 'on', `>${CANARY}`, '+ping', '+quit');
}, 30000);

afterAll(async () => {
  await server?.stop();
});

function settings(extra: Record<string, string | number> = {}) {
  return { host: server.host, port: server.port, ...extra };
}

async function run(extra: Record<string, string | number> = {}, password = CANARY) {
  const testRun = makeContext('redis', settings(extra), { password });
  const outcome = await adapter.test(testRun.ctx);
  expectNoSecret(testRun, outcome, CANARY);
  return { ...testRun, outcome };
}

test('PING with requirepass, traced', async () => {
  const { outcome, events } = await run();
  expect(outcome.ok).toBe(true);
  expect(outcome.details?.serverVersion).toMatch(/^\d+\.\d+/);
  const byName = steps(events);
  expect(Object.keys(byName)).toEqual(
    expect.arrayContaining(['dns', 'tcp', 'auth', 'server', 'query', 'close']));
  expect(byName.auth.data?.method).toBe('requirepass');
  expect(byName.query.detail).toContain('PONG');
});

test('an ACL user and a database number', async () => {
  const { outcome, events } = await run({ user: 'app', database: 3 });
  expect(outcome.ok).toBe(true);
  expect(steps(events).auth.data?.method).toBe('acl');
  expect(steps(events).select.data?.database).toBe(3);
});

test('TLS with verify-full by name', async () => {
  const { outcome, events } = await run({ host: 'localhost', port: server.tlsPort,
    sslMode: 'verify-full', sslCa: server.certs.ca });
  expect(outcome.ok).toBe(true);
  expect(steps(events).tls.data?.verified).toBe(true);
  expect(steps(events).tls.data?.subject).toContain('CN=localhost');
});

test('TLS against another CA fails verification', async () => {
  const { outcome } = await run({ port: server.tlsPort, sslMode: 'verify-ca',
    sslCa: server.certs.otherCa });
  expect(outcome.failure?.class).toMatch(/^tls-(unknown-ca|self-signed)$/);
});

test('TLS verify-full by address fails on the host name', async () => {
  const { outcome } = await run({ port: server.tlsPort, sslMode: 'verify-full',
    sslCa: server.certs.ca });
  expect(outcome.failure?.class).toBe('tls-hostname');
});

test('plain text to the TLS port', async () => {
  const { outcome } = await run({ port: server.tlsPort, connectTimeout: 2 });
  expect(outcome.failure?.class).toBe('tls-required');
});

test('wrong password', async () => {
  const { outcome } = await run({}, 'not-the-password');
  expect(outcome.failure?.class).toBe('credentials');
});

test('no password where one is required', async () => {
  const { outcome } = await run({}, '');
  expect(outcome.failure?.class).toBe('credentials');
});

test('a database number the server does not have', async () => {
  const { outcome } = await run({ database: 99 });
  expect(outcome.failure?.class).toBe('unknown-database');
});

test('an ACL user without the test command', async () => {
  const { outcome } = await run({ user: 'pinger', testQuery: 'GET somekey' });
  expect(outcome.failure?.class).toBe('permissions');
});

test('a writing test command is refused before connecting', async () => {
  const { outcome, events } = await run({ testQuery: 'SET k v' });
  expect(outcome.failure?.class).toBe('settings');
  expect(steps(events).tcp).toBeUndefined();
});

test('a port where nothing listens is refused', async () => {
  const { outcome } = await run({ port: await freePort() });
  expect(outcome.failure?.class).toBe('refused');
});

test('maxclients reached', async () => {
  const held: Redis[] = [];
  try {
    for (let i = 0; i < MAX_CLIENTS; i++) {
      const client = new Redis({ host: server.host, port: server.port,
        password: CANARY, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
      held.push(client);
      await client.ping().catch(() => undefined);
    }
    const { outcome } = await run();
    expect(outcome.failure?.class).toBe('too-many-connections');
  } finally {
    held.forEach((client) => client.disconnect());
  }
});
