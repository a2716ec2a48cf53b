// The trace sink an adapter emits into. Each event is stamped with the time
// since the test started, redacted, kept (for the run log and --json) and
// only then handed to the listeners (--verbose). Nothing downstream ever
// sees an event the redactor has not seen first.

import type { TraceEvent, TraceEventInput, TraceSink } from './events.js';
import type { Redactor, RedactorOptions } from './redact.js';

export type TraceListener = (event: TraceEvent) => void;

export interface TraceSinkOptions {
  redactor: Redactor;
  /** A performance.now() reading; defaults to the moment of creation. */
  startedAt?: number;
  listeners?: TraceListener[];
  /** The clock, for tests; performance.now by default. */
  now?: () => number;
}

export interface RecordingTraceSink extends TraceSink {
  /** The redacted events so far, in the order they were emitted. */
  events(): TraceEvent[];
  /**
   * Teaches the redactor values learned during the test (a token an OAuth
   * flow just obtained), so later events hide them too.
   */
  addSecrets(more: Partial<RedactorOptions>): void;
  addSecret(value: string): void;
  /** The redactor as it stands, with everything learned so far. */
  redactor(): Redactor;
}

export function createTraceSink(options: TraceSinkOptions): RecordingTraceSink {
  const now = options.now ?? (() => performance.now());
  const startedAt = options.startedAt ?? now();
  const listeners = options.listeners ?? [];
  const kept: TraceEvent[] = [];
  let redactor = options.redactor;

  return {
    emit(input: TraceEventInput): void {
      const at = roundMs(now() - startedAt);
      const event = redactor.event({ ...input, at } as TraceEvent);
      kept.push(event);
      for (const listener of listeners) listener(event);
    },
    events: () => [...kept],
    addSecrets(more) {
      redactor = redactor.extend(more);
    },
    addSecret(value) {
      if (value) redactor = redactor.extend({ secrets: [value] });
    },
    redactor: () => redactor,
  };
}

/** Tenths of a millisecond: finer is noise, coarser hides fast steps. */
function roundMs(ms: number): number {
  return Math.max(0, Math.round(ms * 10) / 10);
}
