// The database connectors end to end: the built binary against a real
// PostgreSQL, MariaDB and Redis, each started once for this file on
// 127.0.0.1 and a random port. A canary password goes in through
// --secret-stdin and through a connection string on --url-stdin, is tested
// on save, then through test (human, --verbose, --json), log, list and show:
// it never shows in any output or file, and a wrong password is exit 1 with
// the failure class `credentials`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { removeDir, tempDir } from '../helpers/cli.js';
import { startMariadb, type MariadbServer } from '../helpers/mariadb-server.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { expectExit, jsonOf, startSession, type Session } from '../helpers/e2e-session.js';

interface TraceEvent {
  type: string;
  name?: string;
  detail?: string;
}

interface TestResult {
  name: string;
  ok: boolean;
  summary: string;
  failure?: { class: string; hint: string };
  trace: TraceEvent[];
}

interface Database {
  /** The connector `conn create` is given. */
  connector: string;
  /** The URL scheme of its connection strings. */
  scheme: string;
  /** Extra settings a connection needs (a database name, an SSL mode). */
  settings: Record<string, string>;
  /** Starts the server; resolves to its ports and a way to stop it. */
  start(): Promise<Started>;
  /** Protocol steps every passing test shows, in this order. */
  steps: string[];
  /** What the auth step names: the method the server asked for. */
  authMethod: RegExp;
  /** A connection string for the URL user, its password already encoded. */
  url(server: Started, password: string): string;
  /** Flags given beside the connection string. */
  urlFlags: (server: Started) => string[];
  /** Protocol steps a test of that connection string shows. */
  urlSteps: string[];
}

interface Started {
  port: number;
  tlsPort?: number;
  certs: { ca: string };
  stop(): Promise<void>;
}

// Every password here is a canary, and `@` and `/` in the one that goes in a
// connection string make it travel percent-encoded there.
const PASSWORD = 'CANARY-db-pass-Hw7Tq2';
const URL_PASSWORD = 'CANARY-db-url@Zk4/Pv';
const WRONG = 'CANARY-db-wrong-Qm3Rx8';
const REDIS_ADMIN = 'CANARY-redis-admin-Ns6Lc1';
const CANARIES = [PASSWORD, URL_PASSWORD, WRONG, REDIS_ADMIN];
const USER = 'app';
const URL_USER = 'urlapp';

const sqlQuote = (text: string) => `'${text.replace(/'/g, "''")}'`;

const DATABASES: Record<string, Database> = {
  postgres: {
    connector: 'postgres',
    scheme: 'postgres',
    settings: { database: 'postgres', sslMode: 'require' },
    steps: ['dns', 'tcp', 'tls', 'auth', 'server', 'query'],
    authMethod: /SCRAM-SHA-256/,
    url: (server, password) => `postgres://${URL_USER}:${password}@127.0.0.1:` +
      `${server.port}/postgres?sslmode=require`,
    urlFlags: () => [],
    urlSteps: ['tls', 'auth', 'query'],
    async start() {
      const server: PostgresServer = await startPostgres({ maxConnections: 20 });
      await server.query(`CREATE ROLE ${USER} LOGIN PASSWORD ${sqlQuote(PASSWORD)}`);
      await server.query(`CREATE ROLE ${URL_USER} LOGIN PASSWORD ${sqlQuote(URL_PASSWORD)}`);
      return server;
    },
  },
  mariadb: {
    connector: 'mariadb',
    scheme: 'mariadb',
    settings: { sslMode: 'require' },
    steps: ['dns', 'tcp', 'tls', 'auth', 'server', 'query'],
    authMethod: /mysql_native_password|caching_sha2_password|ed25519/,
    url: (server, password) => `mariadb://${URL_USER}:${password}@127.0.0.1:${server.port}`,
    urlFlags: () => [],
    urlSteps: ['auth', 'query'],
    async start() {
      const server: MariadbServer = await startMariadb();
      await server.query(`CREATE USER '${USER}'@'%' IDENTIFIED BY ${sqlQuote(PASSWORD)}`);
      await server.query(`CREATE USER '${URL_USER}'@'%' IDENTIFIED BY ${sqlQuote(URL_PASSWORD)}`);
      return server;
    },
  },
  redis: {
    connector: 'redis',
    scheme: 'redis',
    settings: {},
    steps: ['dns', 'tcp', 'auth', 'server', 'query'],
    authMethod: /AUTH/i,
    // rediss:// turns TLS on with full verification, against the TLS port;
    // the test certificate names localhost only, so a flag asks for the CA
    // check without the host name.
    url: (server, password) => `rediss://${URL_USER}:${password}@127.0.0.1:` +
      `${server.tlsPort}/0`,
    urlFlags: (server) => ['--set', 'sslMode=verify-ca', '--set', `sslCa=${server.certs.ca}`],
    urlSteps: ['tls', 'auth', 'query'],
    async start() {
      const server: RedisServer = await startRedis({ password: REDIS_ADMIN });
      for (const [user, password] of [[USER, PASSWORD], [URL_USER, URL_PASSWORD]]) {
        await server.command('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '+@all');
      }
      return server;
    },
  },
};

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) removeDir(home);
});

for (const [label, db] of Object.entries(DATABASES)) {
  describe(`${label}: a canary password end to end`, () => {
    let server: Started;
    let session: Session;

    beforeAll(async () => {
      server = await db.start();
      const home = tempDir(`conn-e2e-${label}-`);
      homes.push(home);
      session = startSession(home, CANARIES);
    }, 45000);

    afterAll(async () => {
      await server?.stop();
    }, 20000);

    const create = (name: string, password: string, extra: string[] = []) => {
      const args = ['create', db.connector, '--name', name, '--set', 'host=127.0.0.1',
        '--set', `port=${server.port}`, '--set', `user=${USER}`];
      for (const [key, value] of Object.entries(db.settings)) args.push('--set', `${key}=${value}`);
      return session.conn([...args, '--secret-stdin', 'password', ...extra],
        { input: `${password}\n` });
    };

    test('create with --secret-stdin tests on save and comes out online', async () => {
      const created = await create('db', PASSWORD);
      expectExit(created, 0);
      expect(created.stdout + created.stderr).toMatch(/online/);

      const list = jsonOf<Array<{ name: string; status: string }>>(
        await session.conn(['list', '--json']));
      expect(list).toEqual([expect.objectContaining({ name: 'db', status: 'online' })]);
    });

    test('test --verbose shows the protocol steps; --json carries them', async () => {
      const verbose = await session.conn(['test', 'db', '--verbose']);
      expectExit(verbose, 0);
      for (const step of db.steps) expect(verbose.stderr).toMatch(new RegExp(`^\\* ${step}\\b`, 'm'));
      expect(verbose.stderr).toMatch(db.authMethod);
      expect(verbose.stdout).toMatch(/✓ db/);

      const json = await session.conn(['test', 'db', '--json']);
      expectExit(json, 0);
      const [result] = jsonOf<TestResult[]>(json);
      expect(result.ok).toBe(true);
      const names = result.trace.filter((e) => e.type === 'step').map((e) => e.name);
      expect(names.filter((name) => db.steps.includes(name!))).toEqual(db.steps);
      expect(result.trace.find((e) => e.name === 'auth')?.detail).toMatch(db.authMethod);
    });

    test('a wrong password: exit 1, class credentials, status offline', async () => {
      const created = await create('wrong', WRONG);
      expectExit(created, 1);

      const json = await session.conn(['test', 'wrong', '--json']);
      expectExit(json, 1);
      const [result] = jsonOf<TestResult[]>(json);
      expect(result.failure?.class).toBe('credentials');
      expect(result.failure?.hint).toBeTruthy();

      const all = await session.conn(['test', '--all']);
      expectExit(all, 1);
      expect(all.stdout).toMatch(/✓ db\b/);
      expect(all.stdout).toMatch(/✗ wrong\b/);
      expect(all.stdout).toContain('hint:');
      const list = jsonOf<Array<{ name: string; status: string }>>(
        await session.conn(['list', '--json']));
      expect(Object.fromEntries(list.map((c) => [c.name, c.status])))
        .toMatchObject({ db: 'online', wrong: 'offline' });
    });

    test('a connection string on --url-stdin: its password goes to the secret store', async () => {
      const url = db.url(server, encodeURIComponent(URL_PASSWORD));
      const created = await session.conn(['create', '--name', 'fromurl', '--url-stdin',
        ...db.urlFlags(server)], { input: `${url}\n` });
      expectExit(created, 0);
      expect(created.stdout + created.stderr).toMatch(/online/);

      const shown = jsonOf<{ connector: string; settings: Record<string, unknown>;
        secrets: Record<string, string> }>(await session.conn(['show', 'fromurl', '--json']));
      expect(shown.connector).toBe(db.connector);
      expect(shown.settings).toMatchObject({ host: '127.0.0.1', user: URL_USER });
      expect(shown.secrets).toEqual({ password: 'stored' });
      expect(shown.settings).not.toHaveProperty('password');
      const connections = readFileSync(join(session.home, 'connections.json'), 'utf8');
      expect(connections).toContain(URL_USER);

      const tested = await session.conn(['test', 'fromurl', '--json']);
      expectExit(tested, 0);
      const steps = jsonOf<TestResult[]>(tested)[0].trace.map((e) => e.name);
      expect(steps).toEqual(expect.arrayContaining(db.urlSteps));
    });

    test('--url works too, and warns that the password shows in `ps`', async () => {
      const url = db.url(server, encodeURIComponent(URL_PASSWORD));
      const created = await session.conn(['create', '--name', 'fromarg', '--url', url,
        ...db.urlFlags(server)]);
      expectExit(created, 0);
      expect(created.stderr).toContain('--url-stdin');
      const shown = jsonOf<{ secrets: Record<string, string> }>(
        await session.conn(['show', 'fromarg', '--json']));
      expect(shown.secrets).toEqual({ password: 'stored' });
    });

    test('log, show and list, human and --json, and every file stay clean', async () => {
      const log = await session.conn(['log', 'db']);
      expectExit(log, 0);
      expect(log.stdout).toMatch(/^\* auth\b/m);
      const runs = jsonOf<Array<{ outcome: { ok: boolean } }>>(
        await session.conn(['log', 'wrong', '--json', '--runs', '5']));
      expect(runs.length).toBeGreaterThan(1);
      expect(runs.every((run) => !run.outcome.ok)).toBe(true);
      const others = await Promise.all([['show', 'db'], ['list'], ['log', 'fromurl']]
        .map((args) => session.conn(args)));
      for (const result of others) expectExit(result, 0);
      session.expectCleanFiles();
    });
  });
}
