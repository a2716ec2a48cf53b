// Runs one test through its adapter: builds the redactor from the
// connection's own secrets, the trace sink every event passes through, the
// timeout, and turns anything the adapter throws into a failed outcome.

import type { ConnectorDefinition, Secrets, Settings } from '../connectors/types.js';
import type { TraceEvent } from '../trace/events.js';
import { createRedactor } from '../trace/redact.js';
import { createTraceSink } from '../trace/sink.js';
import { loadAdapter } from './index.js';
import { CliError } from '../errors.js';
import type { TestOutcome } from './types.js';

export interface TestRequest {
  name: string;
  connector: ConnectorDefinition;
  settings: Settings;
  secrets: Secrets;
  timeoutMs: number;
  maxBodyBytes: number;
  /** Called with each redacted event as it happens (--verbose). */
  onEvent?: (event: TraceEvent) => void;
  saveSecret?: (field: string, value: string) => Promise<void>;
  signal?: AbortSignal;
}

export interface TestRun {
  name: string;
  connector: string;
  startedAt: string;
  durationMs: number;
  outcome: TestOutcome;
  trace: TraceEvent[];
}

export async function runTest(request: TestRequest): Promise<TestRun> {
  const adapter = await loadAdapter(request.connector.adapter);
  const redactor = createRedactor({ secrets: Object.values(request.secrets) });
  const sink = createTraceSink({
    redactor,
    listeners: request.onEvent ? [request.onEvent] : [],
  });
  const startedAt = new Date();
  const started = performance.now();
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
  let outcome: TestOutcome;
  try {
    outcome = await adapter.test({
      connectionName: request.name,
      connector: request.connector,
      settings: request.settings,
      secrets: request.secrets,
      trace: sink,
      signal,
      timeoutMs: request.timeoutMs,
      maxBodyBytes: request.maxBodyBytes,
      saveSecret: request.saveSecret,
    });
  } catch (error) {
    outcome = crashed(error, signal);
  }
  return {
    name: request.name,
    connector: request.connector.id,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    outcome: redactOutcome(outcome, redactor.text),
    trace: sink.events(),
  };
}

function crashed(error: unknown, signal: AbortSignal): TestOutcome {
  if (signal.aborted) {
    return {
      ok: false,
      summary: 'timed out',
      failure: { class: 'timeout', hint: 'the system did not answer in time; raise --timeout or check the network' },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CliError) {
    // A setting the adapter cannot use (bad rule, unreadable file): the
    // connection fails with the error's own hint, and --all goes on.
    return {
      ok: false,
      summary: message.split('\n')[0],
      failure: { class: 'settings', hint: error.hint ?? 'check the connection with `conn show`' },
    };
  }
  return {
    ok: false,
    summary: message.split('\n')[0],
    failure: { class: 'unknown', hint: 'run with --verbose to see the trace' },
  };
}

/** Adapters should not put secrets in summaries; this makes sure. */
function redactOutcome(outcome: TestOutcome, text: (s: string) => string): TestOutcome {
  const details = outcome.details
    ? Object.fromEntries(Object.entries(outcome.details).map(([k, v]) => [k, typeof v === 'string' ? text(v) : v]))
    : undefined;
  return {
    ...outcome,
    summary: text(outcome.summary),
    failure: outcome.failure ? { ...outcome.failure, hint: text(outcome.failure.hint) } : undefined,
    details,
  };
}
