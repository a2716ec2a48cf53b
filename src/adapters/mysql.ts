// MySQL, MariaDB and the services that speak their protocol (Aurora MySQL,
// PlanetScale). The test opens the TCP socket itself and hands it to mysql2,
// which speaks the protocol on it; the server's greeting tells the version
// and the authentication plugin it proposes.

import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import type { Connection, ConnectionOptions } from 'mysql2';

import type { TimingEvent, TraceSink } from '../trace/events.js';
import type { Adapter, AdapterContext, TestFailure, TestOutcome } from './types.js';
import { type DbSettings, failedOutcome, limits, readDbSettings,
  requireSettings } from './db-settings.js';
import { Deadline, dial, endWithin, errorCode, errorMessage, ms } from './db-net.js';
import { readTlsFiles, type TlsFiles, traceTls } from './db-tls.js';

const DEFAULTS = { port: 3306, sslMode: 'require', testQuery: 'SELECT 1' } as const;

type Phases = TimingEvent['phases'];

/** The server greeting (HandshakeV10) as mysql2 parsed it. */
interface Greeting {
  serverVersion: string;
  authPluginName?: string;
  connectionId: number;
}

/** What happened on the socket that mysql2 does not report itself. */
interface Watch {
  /** Set when our own host name check rejected the certificate. */
  identityError?: Error;
  /**
   * The TLS error as Node raised it: mysql2 overwrites its code with
   * HANDSHAKE_SSL_ERROR, which would hide why verification failed.
   */
  tlsError?: Error;
}

export const adapter: Adapter = {
  testability: (settings, connector) =>
    requireSettings(settings, ['host', 'user'], connector),
  test: testMysql,
};

async function testMysql(ctx: AdapterContext): Promise<TestOutcome> {
  const db = readDbSettings(ctx.settings, DEFAULTS);
  const deadline = new Deadline(...limits(ctx, db), ctx.signal);
  const phases: Phases = {};
  const watch: Watch = {};
  let connection: Connection | undefined;
  try {
    connection = await open(ctx, db, deadline, phases, watch);
    const greeting = await authenticate(connection, deadline, watch);
    traceGreeting(greeting, ctx.trace);
    return await runTestQuery(connection, greeting, db, deadline, ctx.trace, phases);
  } catch (err) {
    const reported = watch.identityError ?? watch.tlsError ?? err;
    return failedOutcome(reported, db, deadline, ctx.trace, phases,
      (e) => classifyMysql(e, db));
  } finally {
    await disconnect(connection, ctx.trace);
  }
}

async function open(
  ctx: AdapterContext,
  db: DbSettings,
  deadline: Deadline,
  phases: Phases,
  watch: Watch,
): Promise<Connection> {
  const files = db.sslMode === 'disable'
    ? undefined
    : await readTlsFiles(db, ctx.secrets.sslKeyPassphrase);
  const socket = await dial(db.host, db.port, deadline, ctx.trace, phases);

  const mysql = (await import('mysql2')).default;
  const options: ConnectionOptions = {
    host: db.host,
    port: db.port,
    user: db.user,
    password: ctx.secrets.password,
    database: db.database,
    stream: socket,
    multipleStatements: false,
    ssl: files ? sslOptions(db, files) : undefined,
  };
  const connection = mysql.createConnection(options);
  connection.on('error', () => undefined);
  watchTlsUpgrade(connection, db, ctx.trace, phases, watch);
  return connection;
}

/**
 * mysql2 checks only the chain; the host name is checked here, before
 * mysql2 answers the server, so `verify-full` also works for an address
 * (mysql2 would compare an address against 'localhost').
 */
function sslOptions(db: DbSettings, files: TlsFiles): ConnectionOptions['ssl'] {
  return {
    ca: files.ca,
    cert: files.cert,
    key: files.key,
    passphrase: files.passphrase,
    rejectUnauthorized: db.sslMode !== 'require' || files.ca !== undefined,
    verifyIdentity: false,
  };
}

/**
 * mysql2 upgrades to TLS inside the protocol and swaps its `stream` for the
 * TLS socket. Watching that assignment is the only way to see the
 * handshake's timing and result; if mysql2 stops assigning, the trace only
 * loses the TLS step.
 */
function watchTlsUpgrade(
  connection: Connection,
  db: DbSettings,
  trace: TraceSink,
  phases: Phases,
  watch: Watch,
): void {
  const core = connection as unknown as { stream: unknown };
  let current = core.stream;
  Object.defineProperty(core, 'stream', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (next: unknown) => {
      current = next;
      if (next instanceof tls.TLSSocket) onTlsSocket(next, db, trace, phases, watch);
    },
  });
}

function onTlsSocket(
  socket: tls.TLSSocket,
  db: DbSettings,
  trace: TraceSink,
  phases: Phases,
  watch: Watch,
): void {
  const start = performance.now();
  socket.prependOnceListener('error', (err: NodeJS.ErrnoException) => {
    watch.tlsError ??= Object.assign(new Error(err.message), { code: err.code });
  });
  socket.prependOnceListener('secureConnect', () => {
    phases.tls = ms(performance.now() - start);
    if (db.sslMode === 'verify-full') {
      const problem = tls.checkServerIdentity(db.host, socket.getPeerCertificate());
      if (problem) {
        watch.identityError = problem;
        socket.destroy(problem);
        return;
      }
    }
    traceTls(socket, db.sslMode, phases.tls, trace);
  });
}

async function authenticate(
  connection: Connection,
  deadline: Deadline,
  watch: Watch,
): Promise<Greeting> {
  const done = new Promise<void>((resolve, reject) => {
    connection.connect((err) => (err ? reject(err) : resolve()));
  });
  await deadline.bound('auth', done, () => connection.destroy());
  if (watch.identityError) throw watch.identityError;
  const greeting = (connection as unknown as { _handshakePacket?: Greeting })
    ._handshakePacket;
  return greeting ?? { serverVersion: 'unknown', connectionId: 0 };
}

function traceGreeting(greeting: Greeting, trace: TraceSink): void {
  const method = greeting.authPluginName ?? 'unknown';
  trace.emit({ type: 'step', name: 'auth',
    detail: `server proposed ${method}; accepted`,
    data: { method, source: 'server greeting (a later plugin switch is not ' +
      'reported by mysql2)' } });
  const version = displayVersion(greeting.serverVersion);
  trace.emit({ type: 'step', name: 'server', detail: `version ${version}`,
    data: { version, connectionId: greeting.connectionId } });
}

/** MariaDB prefixes "5.5.5-" for old clients; the rest is its version. */
function displayVersion(version: string): string {
  return version.replace(/^5\.5\.5-(?=.*mariadb)/i, '');
}

/** Runs the test query inside a read-only transaction, one statement only. */
async function runTestQuery(
  connection: Connection,
  greeting: Greeting,
  db: DbSettings,
  deadline: Deadline,
  trace: TraceSink,
  phases: Phases,
): Promise<TestOutcome> {
  const start = performance.now();
  await deadline.bound('query', query(connection, 'START TRANSACTION READ ONLY'));
  const result = await deadline.bound('query', query(connection, db.testQuery));
  await deadline.bound('query', query(connection, 'ROLLBACK'));
  const durationMs = ms(performance.now() - start);

  const rows = Array.isArray(result) ? result.length : 0;
  const plural = rows === 1 ? '' : 's';
  trace.emit({ type: 'step', name: 'query', detail: `${db.testQuery} → ${rows} row${plural}`,
    durationMs, data: { query: db.testQuery, rows } });
  phases.total = ms(deadline.elapsed());
  trace.emit({ type: 'timing', phases });
  return { ok: true,
    summary: `connected as ${db.user}${db.database ? ` to ${db.database}` : ''}; ` +
      `${db.testQuery} returned ${rows} row${plural}`,
    details: { serverVersion: displayVersion(greeting.serverVersion), rows,
      queryMs: durationMs, tls: db.sslMode !== 'disable' } };
}

function query(connection: Connection, sql: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    connection.query(sql, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function disconnect(connection: Connection | undefined, trace: TraceSink): Promise<void> {
  if (!connection) return;
  const start = performance.now();
  const ending = new Promise<void>((resolve, reject) => {
    connection.end((err) => (err ? reject(err) : resolve()));
  });
  const clean = await endWithin(ending, 2000);
  if (!clean) connection.destroy();
  trace.emit({ type: 'step', name: 'close', durationMs: ms(performance.now() - start),
    detail: clean ? 'sent COM_QUIT and closed' : 'closed the socket' });
}

const SERVER_ERRORS: Record<string, TestFailure> = {
  ER_ACCESS_DENIED_ERROR: { class: 'credentials', hint: 'the server rejected ' +
    'the user name or password (or the account requires TLS); check both' },
  ER_DBACCESS_DENIED_ERROR: { class: 'permissions', hint: 'the user may not ' +
    'use this database, or it does not exist (MySQL does not say which)' },
  ER_BAD_DB_ERROR: { class: 'unknown-database', hint: 'no database by that ' +
    'name; check the database setting' },
  ER_CON_COUNT_ERROR: { class: 'too-many-connections', hint: 'the server has ' +
    'no connection slots left; close idle connections or raise max_connections' },
  ER_TOO_MANY_USER_CONNECTIONS: { class: 'too-many-connections', hint: 'this ' +
    'user has used all the connections it is allowed; close idle ones' },
  ER_USER_LIMIT_REACHED: { class: 'too-many-connections', hint: 'this user ' +
    'has reached a resource limit; wait or raise the limit' },
  ER_HOST_NOT_PRIVILEGED: { class: 'permissions', hint: 'the server does not ' +
    'accept this user from your address; ask for a grant for your host' },
  ER_TABLEACCESS_DENIED_ERROR: { class: 'permissions', hint: 'the user may ' +
    'connect but may not read what the test query reads' },
  ER_COLUMNACCESS_DENIED_ERROR: { class: 'permissions', hint: 'the user may ' +
    'connect but may not read those columns' },
  ER_SPECIFIC_ACCESS_DENIED_ERROR: { class: 'permissions', hint: 'the test ' +
    'query needs a privilege this user does not have' },
  ER_NO_SUCH_TABLE: { class: 'not-found', hint: 'the test query names a ' +
    'table that does not exist in this database' },
  ER_PARSE_ERROR: { class: 'settings', hint: 'the test query is not valid ' +
    'SQL for this server; SELECT 1 always is' },
  ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION: { class: 'settings', hint: 'the ' +
    'test query tries to write; conn runs it read-only' },
  ER_SECURE_TRANSPORT_REQUIRED: { class: 'tls-required', hint: 'the server ' +
    'accepts only TLS connections; set sslMode to require or stricter' },
  HANDSHAKE_NO_SSL_SUPPORT: { class: 'tls', hint: 'the server does not offer ' +
    'TLS; use sslMode disable only if the network between you is trusted' },
  PROTOCOL_CONNECTION_LOST: { class: 'reset', hint: 'the server closed the ' +
    'connection; check the port and sslMode' },
};

function classifyMysql(err: unknown, db: DbSettings): TestFailure | undefined {
  const code = errorCode(err) ?? '';
  if (code === 'ER_ACCESS_DENIED_ERROR' && db.sslMode === 'disable') {
    return { class: 'credentials', hint: 'the server rejected the login; ' +
      'MariaDB says the same for a wrong password and for a server or ' +
      'account that requires TLS, so check the password or try sslMode require' };
  }
  const known = SERVER_ERRORS[code];
  if (known) return known;
  const message = errorMessage(err);
  if (/insecure transport|secure.transport/i.test(message)) {
    return SERVER_ERRORS.ER_SECURE_TRANSPORT_REQUIRED;
  }
  if (/read.only transaction/i.test(message)) {
    return SERVER_ERRORS.ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION;
  }
  return undefined;
}
