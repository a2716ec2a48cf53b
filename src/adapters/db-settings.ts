// Settings and results shared by the database adapters: the fields every
// database connector has, read with their types, and the one way a failed
// test becomes a TestOutcome (an error event, timings, a hint).

import type { ConnectorDefinition, Settings } from '../connectors/types.js';
import type { TimingEvent, TraceSink } from '../trace/events.js';
import type { AdapterContext, TestFailure, TestOutcome, Testability } from './types.js';
import { classifyCommon, type Endpoint } from './db-failure.js';
import { type Deadline, errorCode, errorMessage, ms } from './db-net.js';
import { SSL_MODES, type SslMode, type TlsPaths } from './db-tls.js';

export interface DbSettings extends TlsPaths {
  host: string;
  port: number;
  database?: string;
  user?: string;
  sslMode: SslMode;
  connectTimeoutMs: number;
  testQuery: string;
}

export interface DbDefaults {
  port: number;
  sslMode: SslMode;
  testQuery: string;
}

const DEFAULT_CONNECT_TIMEOUT_S = 10;

export function readDbSettings(settings: Settings, defaults: DbDefaults): DbSettings {
  const mode = text(settings.sslMode);
  const timeout = Number(settings.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_S);
  return {
    host: text(settings.host) ?? 'localhost',
    port: Number(settings.port ?? defaults.port),
    database: text(settings.database),
    user: text(settings.user),
    sslMode: SSL_MODES.includes(mode as SslMode) ? (mode as SslMode) : defaults.sslMode,
    sslCa: text(settings.sslCa),
    sslCert: text(settings.sslCert),
    sslKey: text(settings.sslKey),
    connectTimeoutMs: (timeout > 0 ? timeout : DEFAULT_CONNECT_TIMEOUT_S) * 1000,
    testQuery: text(settings.testQuery) ?? defaults.testQuery,
  };
}

/** A non-empty string setting, or undefined. */
export function text(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Testable when every named setting has a value. */
export function requireSettings(
  settings: Settings,
  keys: string[],
  connector: ConnectorDefinition,
): Testability {
  const missing = keys.filter((key) => text(settings[key]) === undefined);
  if (missing.length === 0) return { testable: true };
  return { testable: false, fields: missing,
    reason: `${connector.name} needs ${missing.join(', ')} to be tested` };
}

/**
 * Turns an error into a failed outcome. `classify` knows the server's own
 * error codes; network, TLS and timeout errors are classified here.
 */
export function failedOutcome(
  err: unknown,
  at: Endpoint,
  deadline: Deadline,
  trace: TraceSink,
  phases: TimingEvent['phases'],
  classify: (err: unknown) => TestFailure | undefined,
): TestOutcome {
  const failure = classify(err) ?? classifyCommon(err, at) ?? {
    class: 'unknown',
    hint: 'an error conn does not know; the trace shows what happened',
  };
  const message = errorMessage(err);
  trace.emit({ type: 'error', message, code: errorCode(err) });
  trace.emit({ type: 'timing', phases: { ...phases, total: ms(deadline.elapsed()) } });
  return { ok: false, summary: `${failure.class}: ${message}`, failure };
}

/** The deadline's two limits, from the connection and the test command. */
export function limits(ctx: AdapterContext, db: DbSettings): [number, number] {
  return [db.connectTimeoutMs, ctx.timeoutMs > 0 ? ctx.timeoutMs : db.connectTimeoutMs * 3];
}
