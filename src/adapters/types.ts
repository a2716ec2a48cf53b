// The one interface every adapter implements. An adapter turns a connection
// (settings plus resolved secrets) into a test against the real system and
// reports what happened as trace events. It never prints, never reads the
// secret store and never writes files: the test command does those.

import type { ConnectorDefinition, Secrets, Settings } from '../connectors/types.js';
import type { TraceSink } from '../trace/events.js';

/**
 * Why a test failed, as a stable class name plus a hint that says what to
 * check. The class names are part of the `--json` output.
 */
export type FailureClass =
  | 'dns'
  | 'refused'
  | 'unreachable'
  | 'timeout-connect'
  | 'timeout-first-byte'
  | 'timeout-body'
  | 'timeout'
  | 'tls-self-signed'
  | 'tls-expired'
  | 'tls-hostname'
  | 'tls-unknown-ca'
  | 'tls-client-cert-required'
  | 'tls-required'
  | 'tls'
  | 'credentials'
  | 'permissions'
  | 'not-found'
  | 'proxy-auth'
  | 'rate-limited'
  | 'server-error'
  | 'redirect-loop'
  | 'too-large'
  | 'reset'
  | 'rule'
  | 'unknown-database'
  | 'too-many-connections'
  | 'auth-expired'
  | 'protocol'
  /** The connection's own settings are unusable (an unreadable file). */
  | 'settings'
  | 'unknown';

export interface TestFailure {
  class: FailureClass;
  /** What to check, in one sentence. */
  hint: string;
}

export interface TestOutcome {
  ok: boolean;
  /** One line: status code and the server's own message, or the error. */
  summary: string;
  failure?: TestFailure;
  /** Facts worth keeping: status code, server version, row count. */
  details?: Record<string, string | number | boolean | null>;
}

export interface AdapterContext {
  connectionName: string;
  connector: ConnectorDefinition;
  /** Plain settings with connector defaults applied. */
  settings: Settings;
  /** Secret field values, resolved from the secret store and environment. */
  secrets: Secrets;
  trace: TraceSink;
  signal: AbortSignal;
  timeoutMs: number;
  /** Bodies in the trace are cut after this many bytes. */
  maxBodyBytes: number;
  /**
   * Lets an adapter save a secret it obtained (an OAuth token) into the
   * connection's secret store entry.
   */
  saveSecret?(field: string, value: string): Promise<void>;
}

/** Whether a connection has what its adapter needs to be tested. */
export type Testability =
  | { testable: true }
  | { testable: false; reason: string; fields: string[] };

export interface Adapter {
  /** Cheap check, run before any secret is read. */
  testability(settings: Settings, connector: ConnectorDefinition): Testability;
  test(ctx: AdapterContext): Promise<TestOutcome>;
}
