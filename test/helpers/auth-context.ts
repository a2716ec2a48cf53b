// An AuthContext for tests: settings and secrets in memory, a trace sink
// that keeps every event (redacted by src/trace/redact.ts when that module
// is there, since the real sink redacts), and a fetch that records the
// token requests in the trace as the HTTP adapter's does.

import type { AuthContext } from '../../src/auth/types.js';
import type { Secrets, Settings } from '../../src/connectors/types.js';
import type { TraceEvent, TraceEventInput } from '../../src/trace/events.js';
import { createTracedFetch } from '../../src/auth/oauth2-fetch.js';

export interface TestAuthContext extends AuthContext {
  /** Events as the sink passed them on (redacted when possible). */
  events: TraceEvent[];
  /** Events as the schemes emitted them, before any redaction. */
  rawEvents: TraceEvent[];
  saved: Record<string, string>;
}

type Redact = (event: TraceEvent) => TraceEvent;

export async function loadRedactor(
  secrets: string[],
): Promise<Redact | undefined> {
  // Written by another part of the project; absent in early checkouts.
  const modulePath = '../../src/trace/redact.js';
  try {
    const module = await import(modulePath);
    const redactor = module.createRedactor({ secrets });
    return (event: TraceEvent) => redactor.event(event) as TraceEvent;
  } catch {
    return undefined;
  }
}

export function authContext(
  name: string,
  settings: Settings,
  secrets: Secrets,
  redact?: Redact,
): TestAuthContext {
  const events: TraceEvent[] = [];
  const rawEvents: TraceEvent[] = [];
  const started = Date.now();
  const trace = {
    emit(input: TraceEventInput) {
      const event = { ...input, at: Date.now() - started } as TraceEvent;
      rawEvents.push(event);
      events.push(redact ? redact(event) : event);
    },
  };
  const saved: Record<string, string> = {};
  return {
    connectionName: name,
    settings,
    secrets: { ...secrets },
    trace,
    signal: new AbortController().signal,
    fetch: createTracedFetch(trace),
    async saveSecret(field, value) {
      saved[field] = value;
    },
    events,
    rawEvents,
    saved,
  };
}
