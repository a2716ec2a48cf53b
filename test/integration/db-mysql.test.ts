// The MySQL adapter against a real MariaDB started for this file: a
// successful test with its trace, and each failure class made for real.

import net from 'node:net';
import mysql from 'mysql2/promise';

import { adapter } from '../../src/adapters/mysql.js';
import { expectNoSecret, makeContext, steps } from '../helpers/db-context.js';
import { freePort } from '../helpers/db-process.js';
import { startMariadb, type MariadbServer } from '../helpers/mariadb-server.js';

const CANARY = 'canary-My-0c5d2b9e17';
const MAX_CONNECTIONS = 8;

let server: MariadbServer;

beforeAll(async () => {
  server = await startMariadb({ maxConnections: MAX_CONNECTIONS });
  await server.query('CREATE DATABASE shop');
  await server.query('CREATE TABLE shop.secrets_table (id int)');
  await server.query('CREATE TABLE shop.items (id int)');
  await server.query(`CREATE USER 'app'@'%' IDENTIFIED BY '${CANARY}'`);
  await server.query("GRANT SELECT ON shop.items TO 'app'@'%'");
  // A user with a global grant sees "unknown database" rather than
  // "access denied" for a database that does not exist.
  await server.query(`CREATE USER 'wide'@'%' IDENTIFIED BY '${CANARY}'`);
  await server.query("GRANT SELECT ON *.* TO 'wide'@'%'");
}, 60000);

afterAll(async () => {
  await server?.stop();
});

function settings(extra: Record<string, string | number> = {}) {
  return { host: server.host, port: server.port, user: 'app',
    database: 'shop', sslMode: 'disable', ...extra };
}

async function run(extra: Record<string, string | number> = {}, password = CANARY) {
  const testRun = makeContext('mariadb', settings(extra), { password });
  const outcome = await adapter.test(testRun.ctx);
  expectNoSecret(testRun, outcome, CANARY);
  return { ...testRun, outcome };
}

test('passes and traces every protocol step without TLS', async () => {
  const { outcome, events } = await run({ testQuery: 'SELECT * FROM items' });
  expect(outcome.ok).toBe(true);
  expect(String(outcome.details?.serverVersion)).toMatch(/^10\.\d+\.\d+-MariaDB/);
  const byName = steps(events);
  expect(Object.keys(byName)).toEqual(
    expect.arrayContaining(['dns', 'tcp', 'auth', 'server', 'query', 'close']));
  expect(byName.auth.data?.method).toBe('mysql_native_password');
  expect(byName.query.data?.rows).toBe(0);
});

test('verify-full by name with the right CA reports the TLS session', async () => {
  const { outcome, events } = await run({ host: 'localhost',
    sslMode: 'verify-full', sslCa: server.certs.ca });
  expect(outcome.ok).toBe(true);
  const tls = steps(events).tls;
  expect(tls.data?.subject).toContain('CN=localhost');
  expect(tls.data?.verified).toBe(true);
  expect(tls.durationMs).toBeGreaterThan(0);
});

test('verify-full by address fails on the host name', async () => {
  const { outcome } = await run({ sslMode: 'verify-full', sslCa: server.certs.ca });
  expect(outcome.failure?.class).toBe('tls-hostname');
});

test('verify-ca against another CA fails verification', async () => {
  const { outcome } = await run({ sslMode: 'verify-ca', sslCa: server.certs.otherCa });
  expect(outcome.failure?.class).toMatch(/^tls-(unknown-ca|self-signed)$/);
});

test('wrong password is a credentials failure', async () => {
  const { outcome } = await run({}, 'not-the-password');
  expect(outcome.failure?.class).toBe('credentials');
});

test('unknown database', async () => {
  const { outcome } = await run({ user: 'wide', database: 'no_such_db' });
  expect(outcome.failure?.class).toBe('unknown-database');
});

test('a database the user may not use', async () => {
  const { outcome } = await run({ database: 'mysql' });
  expect(outcome.failure?.class).toBe('permissions');
});

test('permission denied on the test query', async () => {
  const { outcome } = await run({ testQuery: 'SELECT * FROM secrets_table' });
  expect(outcome.failure?.class).toBe('permissions');
});

test('the test query cannot write', async () => {
  const { outcome } = await run({ user: 'wide', testQuery: 'CREATE TABLE sneaky (id int)' });
  expect(outcome.ok).toBe(false);
  const rows = await server.query(
    "SELECT 1 FROM information_schema.tables WHERE table_name = 'sneaky'");
  expect(rows).toEqual([]);
});

// MariaDB answers "access denied" when it requires TLS (MySQL 8 has its own
// error code, ER_SECURE_TRANSPORT_REQUIRED), so the hint names both causes.
test('the server requires TLS', async () => {
  await server.query('SET GLOBAL require_secure_transport = ON');
  try {
    const { outcome } = await run();
    expect(outcome.failure?.class).toBe('credentials');
    expect(outcome.failure?.hint).toMatch(/requires TLS/);
    const secure = await run({ sslMode: 'require' });
    expect(secure.outcome.ok).toBe(true);
  } finally {
    await server.query('SET GLOBAL require_secure_transport = OFF');
  }
});

test('a port where nothing listens is refused', async () => {
  const { outcome } = await run({ port: await freePort() });
  expect(outcome.failure?.class).toBe('refused');
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

test('no connection slots left', async () => {
  const held: mysql.Connection[] = [];
  try {
    // Open ordinary sessions until the server refuses one (MariaDB lets a
    // few more in than max_connections), bounded.
    for (let i = 0; i < MAX_CONNECTIONS + 5; i++) {
      const connection = await mysql.createConnection({ host: server.host,
        port: server.port, user: 'app', password: CANARY }).catch(() => undefined);
      if (!connection) break;
      held.push(connection);
    }
    const { outcome } = await run();
    expect(outcome.failure?.class).toBe('too-many-connections');
  } finally {
    await Promise.all(held.map((connection) => connection.end()));
  }
});
