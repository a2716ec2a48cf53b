// Redis (and servers that speak RESP: Valkey, ElastiCache, Upstash). The
// test opens the socket and TLS itself and gives the open stream to ioredis
// through its Connector option, then sends AUTH, SELECT, INFO and the test
// command one by one, so each reply is traced and classified on its own.
// Redis has no server-chosen authentication method: the trace says which
// AUTH form was sent.

import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Redis as RedisClient } from 'ioredis';

import type { TimingEvent, TraceSink } from '../trace/events.js';
import type { Adapter, AdapterContext, TestFailure, TestOutcome } from './types.js';
import { type DbSettings, failedOutcome, limits, readDbSettings,
  text } from './db-settings.js';
import { Deadline, dial, endWithin, errorMessage, ms } from './db-net.js';
import { readTlsFiles, SettingsProblem, tlsOptions, traceTls } from './db-tls.js';

const DEFAULTS = { port: 6379, sslMode: 'disable', testQuery: 'PING' } as const;

/**
 * Commands a test may send: they only read. A test command outside this
 * list is refused before connecting, so a connection can never write.
 */
const READ_ONLY = new Set(['PING', 'ECHO', 'DBSIZE', 'TIME', 'INFO', 'EXISTS',
  'TYPE', 'TTL', 'PTTL', 'GET', 'MGET', 'STRLEN', 'GETRANGE', 'HGET', 'HMGET',
  'HLEN', 'HEXISTS', 'HKEYS', 'LLEN', 'LINDEX', 'LRANGE', 'SCARD', 'SISMEMBER',
  'ZCARD', 'ZSCORE', 'ZRANGE', 'XLEN', 'SCAN', 'ROLE', 'LASTSAVE']);

type Phases = TimingEvent['phases'];

export const adapter: Adapter = {
  testability: () => ({ testable: true }),
  test: testRedis,
};

async function testRedis(ctx: AdapterContext): Promise<TestOutcome> {
  const db = readDbSettings(ctx.settings, DEFAULTS);
  const deadline = new Deadline(...limits(ctx, db), ctx.signal);
  const phases: Phases = {};
  let client: RedisClient | undefined;
  try {
    const command = testCommand(db.testQuery);
    const stream = await open(ctx, db, deadline, phases);
    client = await attach(stream, deadline);
    await authenticate(client, ctx, deadline);
    await selectDatabase(client, ctx.settings.database, deadline, ctx.trace);
    const version = await serverVersion(client, deadline, ctx.trace);
    return await runTestCommand(client, command, version, deadline, ctx.trace, phases);
  } catch (err) {
    return failedOutcome(err, db, deadline, ctx.trace, phases,
      (e) => classifyRedis(e, db));
  } finally {
    await disconnect(client, ctx.trace);
  }
}

/** Splits the test command into words and checks that it only reads. */
function testCommand(line: string): string[] {
  const words = line.trim().split(/\s+/);
  const name = words[0].toUpperCase();
  if (!READ_ONLY.has(name)) {
    throw new SettingsProblem(`test command ${name} is not on conn's list ` +
      'of read-only commands', 'use PING, DBSIZE, EXISTS key or GET key');
  }
  return [name, ...words.slice(1)];
}

async function open(
  ctx: AdapterContext,
  db: DbSettings,
  deadline: Deadline,
  phases: Phases,
): Promise<Duplex> {
  const files = db.sslMode === 'disable'
    ? undefined
    : await readTlsFiles(db, ctx.secrets.sslKeyPassphrase);
  const socket = await dial(db.host, db.port, deadline, ctx.trace, phases);
  if (!files) return socket;

  const tlsStart = performance.now();
  const secure = tls.connect({ ...tlsOptions(db.sslMode, db.host, files), socket });
  const handshake = new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  await deadline.bound('tls', handshake, () => secure.destroy());
  secure.removeAllListeners('error');
  secure.on('error', () => undefined);
  phases.tls = ms(performance.now() - tlsStart);
  traceTls(secure, db.sslMode, phases.tls, ctx.trace);
  return secure;
}

/**
 * Hands the open stream to ioredis. No password, database or ready check
 * in its options: those would be sent by ioredis in the background, where
 * their replies could not be traced or classified one by one.
 */
async function attach(stream: Duplex, deadline: Deadline): Promise<RedisClient> {
  const { Redis } = await import('ioredis');
  class OpenStream {
    connect = async () => stream;
    disconnect = () => { stream.end(); };
    check = () => true;
  }
  const client = new Redis({
    lazyConnect: true,
    Connector: OpenStream as never,
    enableReadyCheck: false,
    disableClientInfo: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
  });
  client.on('error', () => undefined);
  await deadline.bound('auth', client.connect(), () => client.disconnect());
  return client;
}

async function authenticate(
  client: RedisClient,
  ctx: AdapterContext,
  deadline: Deadline,
): Promise<void> {
  const user = text(ctx.settings.user);
  const password = ctx.secrets.password;
  const start = performance.now();
  if (password === undefined || password === '') {
    ctx.trace.emit({ type: 'step', name: 'auth',
      detail: 'no password set; sent no AUTH', data: { method: 'none' } });
    return;
  }
  const auth = user ? client.auth(user, password) : client.auth(password);
  await deadline.bound('auth', auth);
  const method = user ? `AUTH as ACL user ${user}` : 'AUTH with the password ' +
    '(default user)';
  ctx.trace.emit({ type: 'step', name: 'auth', detail: `${method}; accepted`,
    durationMs: ms(performance.now() - start),
    data: { method: user ? 'acl' : 'requirepass', user: user ?? 'default' } });
}

async function selectDatabase(
  client: RedisClient,
  database: unknown,
  deadline: Deadline,
  trace: TraceSink,
): Promise<void> {
  const index = Number(database ?? 0);
  if (!index) return;
  const start = performance.now();
  await deadline.bound('query', client.select(index));
  trace.emit({ type: 'step', name: 'select', detail: `SELECT ${index}`,
    durationMs: ms(performance.now() - start), data: { database: index } });
}

/** INFO server carries the version; an ACL user may not be allowed it. */
async function serverVersion(
  client: RedisClient,
  deadline: Deadline,
  trace: TraceSink,
): Promise<string | null> {
  try {
    const info = await deadline.bound('query', client.info('server'));
    const version = /^redis_version:(.+)$/m.exec(info)?.[1]?.trim() ?? null;
    const mode = /^redis_mode:(.+)$/m.exec(info)?.[1]?.trim() ?? null;
    trace.emit({ type: 'step', name: 'server', detail: `version ${version ?? '?'}`,
      data: { version, mode } });
    return version;
  } catch (err) {
    if (!/NOPERM/.test(errorMessage(err))) throw err;
    trace.emit({ type: 'note', level: 'info', message: 'this user may not ' +
      'run INFO, so the server version is unknown' });
    return null;
  }
}

async function runTestCommand(
  client: RedisClient,
  command: string[],
  version: string | null,
  deadline: Deadline,
  trace: TraceSink,
  phases: Phases,
): Promise<TestOutcome> {
  const start = performance.now();
  const reply = await deadline.bound('query', client.call(command[0], ...command.slice(1)));
  const durationMs = ms(performance.now() - start);

  const rows = Array.isArray(reply) ? reply.length : reply === null ? 0 : 1;
  const line = command.join(' ');
  trace.emit({ type: 'step', name: 'query', detail: `${line} → ${describe(reply)}`,
    durationMs, data: { query: line, rows } });
  phases.total = ms(deadline.elapsed());
  trace.emit({ type: 'timing', phases });
  return { ok: true, summary: `${line} answered ${describe(reply)}`,
    details: { serverVersion: version, rows, queryMs: durationMs } };
}

/** A short description of a reply: values are data, so only their shape. */
function describe(reply: unknown): string {
  if (reply === null) return 'nil';
  if (Array.isArray(reply)) return `${reply.length} item${reply.length === 1 ? '' : 's'}`;
  if (typeof reply === 'number') return `integer ${reply}`;
  if (reply === 'PONG' || reply === 'OK') return reply;
  return 'a value';
}

async function disconnect(client: RedisClient | undefined, trace: TraceSink): Promise<void> {
  if (!client) return;
  const start = performance.now();
  const clean = client.status === 'ready' && await endWithin(client.quit(), 2000);
  if (!clean) client.disconnect();
  trace.emit({ type: 'step', name: 'close', durationMs: ms(performance.now() - start),
    detail: clean ? 'sent QUIT and closed' : 'closed the socket' });
}

const REPLIES: Array<[RegExp, TestFailure]> = [
  [/^WRONGPASS/, { class: 'credentials', hint: 'the server rejected the ' +
    'user name or password; check both (and that the ACL user is on)' }],
  [/^NOAUTH/, { class: 'credentials', hint: 'the server requires a ' +
    'password and the connection has none; set the password' }],
  [/without any password configured/, { class: 'credentials', hint: 'the ' +
    'server has no password; remove the password from the connection' }],
  [/^NOPERM/, { class: 'permissions', hint: 'the user may log in but not ' +
    'run the test command; grant it in the ACL or change the command' }],
  [/max number of clients/i, { class: 'too-many-connections', hint: 'the ' +
    'server has reached maxclients; close idle clients or raise the limit' }],
  [/DB index is out of range|invalid DB index/i, { class: 'unknown-database',
    hint: 'no database with that number; the server has fewer databases' }],
  [/^LOADING/, { class: 'server-error', hint: 'the server is loading its ' +
    'data set; try again in a moment' }],
];

function classifyRedis(err: unknown, db: DbSettings): TestFailure | undefined {
  const message = errorMessage(err);
  const known = REPLIES.find(([pattern]) => pattern.test(message));
  if (known) return known[1];
  if (/Connection is closed/i.test(message) && db.sslMode === 'disable') {
    return { class: 'tls-required', hint: 'the server closed the connection ' +
      'without answering, which a TLS-only port does; probably use sslMode ' +
      'require (rediss://)' };
  }
  return undefined;
}
