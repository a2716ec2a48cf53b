// The PostgreSQL adapter against a real PostgreSQL 15 started for this file:
// a successful test with its protocol trace, and each failure class made
// for real (wrong password, missing database, TLS required, bad CA, wrong
// host name, stopped server, no free slots, no SELECT on the test table).

import net from 'node:net';
import pg from 'pg';

import { adapter } from '../../src/adapters/postgres.js';
import { expectNoSecret, makeContext, steps } from '../helpers/db-context.js';
import { freePort } from '../helpers/db-process.js';
import { startPostgres, TLS_ONLY_ROLE, type PostgresServer } from '../helpers/postgres-server.js';

const CANARY = 'canary-Pg-7f3a9c41e2';
const MAX_CONNECTIONS = 6;

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres({ maxConnections: MAX_CONNECTIONS });
  await server.query(`CREATE ROLE app LOGIN PASSWORD '${CANARY}'`);
  await server.query(`CREATE ROLE ${TLS_ONLY_ROLE} LOGIN PASSWORD '${CANARY}'`);
  await server.query('CREATE DATABASE shop OWNER postgres');
  await server.query('CREATE TABLE secrets_table (id int)', 'shop');
  await server.query('REVOKE ALL ON secrets_table FROM PUBLIC', 'shop');
}, 60000);

afterAll(async () => {
  await server?.stop();
});

function settings(extra: Record<string, string | number> = {}) {
  return { host: server.host, port: server.port, user: 'app',
    database: 'shop', sslMode: 'disable', ...extra };
}

async function run(extra: Record<string, string | number> = {}, password = CANARY) {
  const testRun = makeContext('postgres', settings(extra), { password });
  const outcome = await adapter.test(testRun.ctx);
  expectNoSecret(testRun, outcome, CANARY);
  return { ...testRun, outcome };
}

test('passes and traces every protocol step without TLS', async () => {
  const { outcome, events } = await run();
  expect(outcome.ok).toBe(true);
  expect(outcome.details?.serverVersion).toMatch(/^15\./);
  const byName = steps(events);
  expect(Object.keys(byName)).toEqual(
    expect.arrayContaining(['dns', 'tcp', 'auth', 'server', 'query', 'close']));
  expect(byName.auth.data?.method).toMatch(/SCRAM-SHA-256/);
  expect(byName.query.data?.rows).toBe(1);
  expect(byName.tcp.durationMs).toBeGreaterThanOrEqual(0);
});

test('resolves a host name itself and reports the lookup', async () => {
  const { outcome, events } = await run({ host: 'localhost' });
  expect(outcome.ok).toBe(true);
  expect(steps(events).dns.data?.address).toBe('127.0.0.1');
});

test('verify-full with the right CA reports the TLS session', async () => {
  const { outcome, events } = await run({ host: 'localhost',
    sslMode: 'verify-full', sslCa: server.certs.ca });
  expect(outcome.ok).toBe(true);
  const tls = steps(events).tls;
  expect(tls.data?.version).toMatch(/^TLSv1\.[23]$/);
  expect(tls.data?.subject).toContain('CN=localhost');
  expect(tls.data?.verified).toBe(true);
  expect(String(tls.data?.expires)).toMatch(/^\d{4}-/);
  expect(steps(events).auth.data?.method).toMatch(/SCRAM-SHA-256-PLUS/);
});

test('require encrypts without verifying and says so', async () => {
  const { outcome, events } = await run({ sslMode: 'require' });
  expect(outcome.ok).toBe(true);
  expect(steps(events).tls.data?.verified).toBe(false);
  expect(events.some((e) => e.type === 'note' && e.level === 'warn')).toBe(true);
});

test('wrong password is a credentials failure', async () => {
  const { outcome } = await run({}, 'not-the-password');
  expect(outcome.failure?.class).toBe('credentials');
});

test('unknown database', async () => {
  const { outcome } = await run({ database: 'no_such_db' });
  expect(outcome.failure?.class).toBe('unknown-database');
});

test('a role admitted only over TLS, tried without it', async () => {
  const { outcome } = await run({ user: TLS_ONLY_ROLE });
  expect(outcome.failure?.class).toBe('tls-required');
  const ok = await run({ user: TLS_ONLY_ROLE, sslMode: 'require' });
  expect(ok.outcome.ok).toBe(true);
});

test('verify-ca against another CA fails verification', async () => {
  const { outcome } = await run({ sslMode: 'verify-ca', sslCa: server.certs.otherCa });
  expect(outcome.failure?.class).toMatch(/^tls-(unknown-ca|self-signed)$/);
});

test('verify-full by address fails on the host name', async () => {
  const { outcome } = await run({ sslMode: 'verify-full', sslCa: server.certs.ca });
  expect(outcome.failure?.class).toBe('tls-hostname');
});

test('a port where nothing listens is refused', async () => {
  const { outcome } = await run({ port: await freePort() });
  expect(outcome.failure?.class).toBe('refused');
});

test('a name that does not resolve', async () => {
  const { outcome } = await run({ host: 'no-such-host.invalid' });
  expect(outcome.failure?.class).toBe('dns');
});

test('a server that accepts but never answers times out', async () => {
  const silent = net.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    const { outcome } = await run({ port, connectTimeout: 1 });
    expect(outcome.failure?.class).toBe('timeout');
  } finally {
    silent.close();
  }
});

test('permission denied on the test query', async () => {
  const { outcome } = await run({ testQuery: 'SELECT * FROM secrets_table' });
  expect(outcome.failure?.class).toBe('permissions');
});

test('the test query cannot write', async () => {
  const { outcome } = await run({ testQuery: 'CREATE TABLE sneaky (id int)' });
  expect(outcome.ok).toBe(false);
  const tables = await server.query(
    "SELECT 1 FROM pg_tables WHERE tablename = 'sneaky'", 'shop');
  expect(tables.rowCount).toBe(0);
});

test('no connection slots left', async () => {
  const held: pg.Client[] = [];
  try {
    // Fill every slot but the superuser's reserved one, bounded by the cap.
    for (let i = 0; i < MAX_CONNECTIONS - 1; i++) {
      const client = new pg.Client({ host: server.dir, port: server.port,
        user: 'postgres', database: 'postgres' });
      client.on('error', () => undefined);
      await client.connect();
      held.push(client);
    }
    const { outcome } = await run();
    expect(outcome.failure?.class).toBe('too-many-connections');
  } finally {
    await Promise.all(held.map((client) => client.end()));
  }
});
