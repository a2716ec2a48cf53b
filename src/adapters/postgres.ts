// PostgreSQL and the databases that speak its protocol (Redshift,
// CockroachDB, TimescaleDB, Supabase, Neon). The test resolves the host and
// opens the socket itself, lets node-postgres speak the protocol on it, and
// listens to the protocol messages the driver parses to see which
// authentication the server asked for and which version it reports.

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { EventEmitter } from 'node:events';
import type tls from 'node:tls';
import type { Client, ClientConfig, QueryConfig } from 'pg';

import type { TraceSink, TimingEvent } from '../trace/events.js';
import type { Adapter, AdapterContext, TestFailure, TestOutcome } from './types.js';
import { type DbSettings, failedOutcome, limits, readDbSettings,
  requireSettings } from './db-settings.js';
import { Deadline, endWithin, errorCode, errorMessage, ms, resolveHost,
  watchConnect } from './db-net.js';
import { readTlsFiles, tlsOptions, traceTls } from './db-tls.js';

const DEFAULTS = { port: 5432, sslMode: 'require', testQuery: 'SELECT 1' } as const;

type Phases = TimingEvent['phases'];

/** What the protocol messages told us while connecting. */
interface Handshake {
  auth: string;
  parameters: Map<string, string>;
  tlsStarted?: number;
}

interface Session {
  client: Client;
  handshake: Handshake;
}

/** The driver's connection: an event emitter of parsed protocol messages. */
type PgConnection = EventEmitter & { stream: net.Socket | tls.TLSSocket };

export const adapter: Adapter = {
  testability: (settings, connector) =>
    requireSettings(settings, ['host', 'user'], connector),
  test: testPostgres,
};

async function testPostgres(ctx: AdapterContext): Promise<TestOutcome> {
  const db = readDbSettings(ctx.settings, DEFAULTS);
  const deadline = new Deadline(...limits(ctx, db), ctx.signal);
  const phases: Phases = {};
  let session: Session | undefined;
  try {
    session = await connect(ctx, db, deadline, phases);
    return await runTestQuery(session, db, deadline, ctx.trace, phases);
  } catch (err) {
    return failedOutcome(err, db, deadline, ctx.trace, phases, classifyPostgres);
  } finally {
    await disconnect(session?.client, ctx.trace);
  }
}

async function connect(
  ctx: AdapterContext,
  db: DbSettings,
  deadline: Deadline,
  phases: Phases,
): Promise<Session> {
  const files = db.sslMode === 'disable'
    ? {}
    : await readTlsFiles(db, ctx.secrets.sslKeyPassphrase);
  const resolved = await resolveHost(db.host, deadline, ctx.trace);
  phases.dns = resolved.durationMs;

  const pg = (await import('pg')).default;
  const socket = new net.Socket();
  const config: ClientConfig = {
    host: resolved.address,
    port: db.port,
    user: db.user,
    password: ctx.secrets.password,
    database: db.database,
    application_name: 'conn',
    ssl: db.sslMode === 'disable' ? false : tlsOptions(db.sslMode, db.host, files),
    stream: () => socket,
  };
  const client = new pg.Client(config);
  client.on('error', () => undefined);
  const handshake = watchHandshake(client.connection as unknown as PgConnection,
    db, ctx.trace, phases);

  const connecting = client.connect();
  connecting.catch(() => undefined);
  phases.connect = await watchConnect(socket, resolved.address, db.port,
    deadline, ctx.trace);
  await deadline.bound('auth', connecting, () => socket.destroy());
  traceSession(handshake, ctx.trace);
  return { client, handshake };
}

/**
 * Listens to the messages node-postgres parses: the authentication request
 * is the server's own choice, read from the wire, not guessed.
 */
function watchHandshake(
  connection: PgConnection,
  db: DbSettings,
  trace: TraceSink,
  phases: Phases,
): Handshake {
  const seen: Handshake = { auth: 'trust (the server asked for no password)',
    parameters: new Map() };
  connection.once('sslconnect', () => {
    seen.tlsStarted = performance.now();
    const secure = connection.stream as tls.TLSSocket;
    secure.once('secureConnect', () => {
      phases.tls = ms(performance.now() - (seen.tlsStarted ?? 0));
      traceTls(secure, db.sslMode, phases.tls, trace);
    });
  });
  connection.once('authenticationSASL', (msg: { mechanisms: string[] }) => {
    seen.auth = `SASL, offering ${msg.mechanisms.join(', ')}`;
  });
  connection.once('authenticationMD5Password', () => { seen.auth = 'md5'; });
  connection.once('authenticationCleartextPassword', () => {
    seen.auth = 'cleartext password';
  });
  connection.on('parameterStatus',
    (msg: { parameterName: string; parameterValue: string }) => {
      seen.parameters.set(msg.parameterName, msg.parameterValue);
    });
  return seen;
}

function traceSession(handshake: Handshake, trace: TraceSink): void {
  trace.emit({ type: 'step', name: 'auth',
    detail: `server asked for ${handshake.auth}; accepted`,
    data: { method: handshake.auth, source: 'protocol message' } });

  const params = handshake.parameters;
  const version = params.get('server_version') ?? null;
  trace.emit({ type: 'step', name: 'server', detail: `version ${version ?? '?'}`,
    data: { version, superuser: params.get('is_superuser') === 'on',
      encoding: params.get('server_encoding') ?? null } });
  if (params.get('is_superuser') === 'on') {
    trace.emit({ type: 'note', level: 'warn', message: 'this user is a ' +
      'superuser; an integration connection is safer with a role that ' +
      'may only do what the integration needs' });
  }
}

/**
 * Runs the test query in a read-only transaction, with the extended
 * protocol: that refuses several statements in one string, so a test query
 * cannot commit the transaction and write after it.
 */
async function runTestQuery(
  { client, handshake }: Session,
  db: DbSettings,
  deadline: Deadline,
  trace: TraceSink,
  phases: Phases,
): Promise<TestOutcome> {
  const start = performance.now();
  await deadline.bound('query', client.query('BEGIN READ ONLY'));
  const query = { text: db.testQuery, queryMode: 'extended' } as QueryConfig;
  const result = await deadline.bound('query', client.query(query));
  await deadline.bound('query', client.query('ROLLBACK'));
  const durationMs = ms(performance.now() - start);

  const rows = result.rowCount ?? result.rows.length;
  trace.emit({ type: 'step', name: 'query', detail: `${db.testQuery} → ${rows} ` +
    `row${rows === 1 ? '' : 's'}`, durationMs,
    data: { query: db.testQuery, rows, command: result.command ?? null } });
  phases.total = ms(deadline.elapsed());
  trace.emit({ type: 'timing', phases });

  const version = handshake.parameters.get('server_version') ?? null;
  return { ok: true,
    summary: `connected as ${db.user} to ${db.database ?? db.user}; ` +
      `${db.testQuery} returned ${rows} row${rows === 1 ? '' : 's'}`,
    details: { serverVersion: version, rows, queryMs: durationMs,
      tls: db.sslMode !== 'disable' } };
}

async function disconnect(client: Client | undefined, trace: TraceSink): Promise<void> {
  if (!client) return;
  const start = performance.now();
  const clean = await endWithin(client.end(), 2000);
  if (!clean) (client.connection as unknown as PgConnection).stream.destroy();
  trace.emit({ type: 'step', name: 'close', durationMs: ms(performance.now() - start),
    detail: clean ? 'sent Terminate and closed' : 'closed the socket' });
}

/** SQLSTATE codes and driver messages, most specific first. */
function classifyPostgres(err: unknown): TestFailure | undefined {
  const code = errorCode(err);
  const message = errorMessage(err);
  switch (code) {
    case '28P01':
      return { class: 'credentials', hint: 'the server rejected the user ' +
        'name or password; check both (the server does not say which)' };
    case '28000':
      return classifyHbaRejection(message);
    case '3D000':
      return { class: 'unknown-database', hint: 'no database by that ' +
        'name; check the database setting (names are case-sensitive)' };
    case '53300':
      return { class: 'too-many-connections', hint: 'the server or this ' +
        'role has no connection slots left; close idle connections or ' +
        'use a pooler' };
    case '42501':
      return { class: 'permissions', hint: 'the user may connect but is ' +
        'not allowed what the test query does; grant it or change the query' };
    case '42P01':
      return { class: 'not-found', hint: 'the test query names a table ' +
        'this user cannot see; check the name and the search_path' };
    case '42601':
      return { class: 'settings', hint: 'the test query is not valid SQL ' +
        'for this server; SELECT 1 always is' };
    case '25006':
      return { class: 'settings', hint: 'the test query tries to write; ' +
        'conn runs it read-only, so give a query that only reads' };
    case '57P03':
      return { class: 'server-error', hint: 'the server is starting up or ' +
        'shutting down; try again in a moment' };
  }
  return classifyDriverMessage(message);
}

function classifyHbaRejection(message: string): TestFailure {
  if (/no encryption/i.test(message)) {
    return { class: 'tls-required', hint: 'the server accepts this ' +
      'connection only over TLS; set sslMode to require or stricter' };
  }
  if (/pg_hba\.conf/i.test(message)) {
    return { class: 'permissions', hint: 'the server does not let this ' +
      'user reach this database from your address; ask for a pg_hba.conf ' +
      'entry or an allow-list change' };
  }
  return { class: 'credentials', hint: 'the server does not know this ' +
    'user or will not let it log in; check the user name' };
}

function classifyDriverMessage(message: string): TestFailure | undefined {
  if (/does not support SSL/i.test(message)) {
    return { class: 'tls', hint: 'the server does not offer TLS; use ' +
      'sslMode disable only if the network between you is trusted' };
  }
  if (/client password must be a string|password.*required/i.test(message)) {
    return { class: 'credentials', hint: 'the server asked for a password ' +
      'and the connection has none; set the password' };
  }
  if (/Connection terminated unexpectedly/i.test(message)) {
    return { class: 'reset', hint: 'the server closed the connection during ' +
      'the handshake; check the port and sslMode' };
  }
  return undefined;
}
