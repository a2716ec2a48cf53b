// Runs one test through its adapter: builds the redactor from the
// connection's own secrets, the trace sink every event passes through, the
// timeout, and turns anything the adapter throws into a failed outcome.

import type { ConnectorDefinition, Secrets, Settings } from '../connectors/types.js';
import type { TraceEvent } from '../trace/events.js';
import { createRedactor } from '../trace/redact.js';
import { createTraceSink } from '../trace/sink.js';
import { loadAdapter } from './index.js';
import { CliError } from '../errors.js';
import type { Adapter, TestOutcome } from './types.js';

const BACKSTOP_GRACE_MS = 2000;

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

/** An adapter that can start loading what its test needs ahead of it. */
export interface Preparable {
  prepare?(): Promise<unknown>;
}

/**
 * Starts an adapter's slow loading (an HTTP client library) while the
 * caller still reads secrets, which may wait on a key derivation. A failure
 * is left for the test itself to meet and report.
 */
export function prepareTest(adapter: Adapter & Preparable): void {
  adapter.prepare?.().catch(() => undefined);
}

export async function runTest(request: TestRequest): Promise<TestRun> {
  const adapter = await loadAdapter(request.connector.adapter);
  const redactor = createRedactor(redactionFor(request));
  const sink = createTraceSink({
    redactor,
    listeners: request.onEvent ? [request.onEvent] : [],
  });
  const startedAt = new Date();
  const started = performance.now();
  // A backstop only: each adapter keeps its own deadlines within timeoutMs,
  // so a stall is classified by phase (connect, first byte, body) before
  // this fires.
  const timeout = AbortSignal.timeout(request.timeoutMs + BACKSTOP_GRACE_MS);
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
      saveSecret:
        request.saveSecret &&
        (async (field, value) => {
          // A token obtained mid-test is redacted from every later event; an
          // expiry is a time, not a credential.
          if (field !== 'oauthExpiresAt') sink.addSecret(value);
          await request.saveSecret!(field, value);
        }),
    });
  } catch (error) {
    outcome = crashed(error, signal);
  }
  return {
    name: request.name,
    connector: request.connector.id,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    // The sink's redactor has also learned the tokens obtained on the way.
    outcome: sink.redactor().outcome(outcome),
    trace: sink.events(),
  };
}

function crashed(error: unknown, signal: AbortSignal): TestOutcome {
  if (signal.aborted) {
    return {
      ok: false,
      summary: 'timed out',
      failure: {
        class: 'timeout',
        hint: 'the system did not answer in time; raise --timeout or check the network',
      },
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

/**
 * What the redactor must know: every secret value, the basic-auth pair
 * (sent base64-encoded as user:password), and the header and parameter
 * names a connector declares sensitive.
 */
function redactionFor(request: TestRequest) {
  const { settings, secrets } = request;
  const pairs: Array<[string, string]> = [];
  if (typeof settings.username === 'string' && secrets.password) {
    pairs.push([settings.username, secrets.password]);
  }
  const values = Object.values(secrets);
  const names: unknown[] = [
    settings.apiKeyName,
    ...sensitiveNames(request.connector.settings?.sensitiveHeaders),
  ];
  // Headers built from a template carry secrets under names of its own.
  if (typeof settings.authTemplate === 'string') {
    for (const line of settings.authTemplate.split('\n')) {
      const name = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*:/.exec(line)?.[1];
      if (name) names.push(name);
    }
  }
  // A JSON secret (secretHeaders) is stored as one text, but sent as its
  // separate values: each value, and each header name, must be known.
  for (const text of values) {
    const object = jsonObject(text);
    if (!object) continue;
    for (const [name, value] of Object.entries(object)) {
      names.push(name);
      if (typeof value === 'string' || typeof value === 'number') values.push(String(value));
    }
  }
  const headerNames = names.filter(
    (name): name is string => typeof name === 'string' && name !== '',
  );
  return { secrets: values, pairs, headerNames, paramNames: headerNames };
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function sensitiveNames(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
