// A hand-made AdapterContext for driving the database adapters directly:
// the connector comes from connectors/<id>.json with its field defaults
// applied, and the trace sink stamps `at` and keeps every event, so a test
// can look at the trace and prove no secret reached it.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import type { AdapterContext, TestOutcome } from '../../src/adapters/types.js';
import type { ConnectorDefinition, Secrets, Settings } from '../../src/connectors/types.js';
import type { TraceEvent, TraceEventInput } from '../../src/trace/events.js';

export function loadConnector(id: string): ConnectorDefinition {
  const path = join(process.cwd(), 'connectors', `${id}.json`);
  return JSON.parse(readFileSync(path, 'utf8')) as ConnectorDefinition;
}

export interface TestRun {
  ctx: AdapterContext;
  events: TraceEvent[];
}

export function makeContext(
  connectorId: string,
  settings: Settings,
  secrets: Secrets = {},
  timeoutMs = 15000,
): TestRun {
  const connector = loadConnector(connectorId);
  const withDefaults: Settings = {};
  for (const field of connector.fields) {
    if (field.default !== undefined && !field.secret) {
      withDefaults[field.key] = field.default;
    }
  }
  const events: TraceEvent[] = [];
  const started = performance.now();
  const ctx: AdapterContext = {
    connectionName: `test-${connectorId}`,
    connector,
    settings: { ...withDefaults, ...settings },
    secrets,
    trace: {
      emit: (event: TraceEventInput) => {
        events.push({ ...event, at: performance.now() - started } as TraceEvent);
      },
    },
    signal: new AbortController().signal,
    timeoutMs,
    maxBodyBytes: 4096,
  };
  return { ctx, events };
}

/** The step events of a run by name, for short assertions. */
export function steps(events: TraceEvent[]): Record<string, TraceEvent & { type: 'step' }> {
  const byName: Record<string, TraceEvent & { type: 'step' }> = {};
  for (const event of events) {
    if (event.type === 'step') byName[event.name] = event;
  }
  return byName;
}

/** Fails with the trace attached, so a failing test shows what happened. */
export function expectNoSecret(run: TestRun, outcome: TestOutcome, secret: string): void {
  const text = JSON.stringify({ events: run.events, outcome });
  if (text.includes(secret)) {
    throw new Error(`the secret reached the trace or outcome:\n${text}`);
  }
}
