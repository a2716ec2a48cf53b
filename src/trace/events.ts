// Trace events: what one test did, in order. Adapters emit them into a
// TraceSink; the sink redacts each event before anything else sees it (see
// redact.ts), then the terminal renderer and the run log receive it.

export interface TraceBase {
  /** Milliseconds since the test started. */
  at: number;
}

export interface RequestEvent extends TraceBase {
  type: 'request';
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: string;
  /** Bytes of the body that were cut from `body` by the --max-body limit. */
  bodyCut?: number;
  /** `1.1`, `2`; the renderer shows HTTP/1.1 when absent. */
  httpVersion?: string;
}

export interface ResponseEvent extends TraceBase {
  type: 'response';
  status: number;
  statusText?: string;
  httpVersion?: string;
  headers: Array<[string, string]>;
  body?: string;
  bodyCut?: number;
  /** Total body size in bytes when known. */
  bodySize?: number;
}

/** One protocol step: DNS lookup, TCP connect, TLS, SCRAM auth, a query. */
export interface StepEvent extends TraceBase {
  type: 'step';
  name: string;
  detail?: string;
  durationMs?: number;
  data?: Record<string, string | number | boolean | null>;
}

export interface TimingEvent extends TraceBase {
  type: 'timing';
  /** dns, connect, tls, firstByte, total, in milliseconds. */
  phases: Partial<Record<'dns' | 'connect' | 'tls' | 'firstByte' | 'download' | 'total', number>>;
}

export interface NoteEvent extends TraceBase {
  type: 'note';
  level: 'info' | 'warn';
  message: string;
}

export interface ErrorEvent extends TraceBase {
  type: 'error';
  message: string;
  code?: string;
}

export type TraceEvent =
  | RequestEvent
  | ResponseEvent
  | StepEvent
  | TimingEvent
  | NoteEvent
  | ErrorEvent;

/** Distributes `Omit` over the union so each event keeps its own fields. */
export type TraceEventInput = TraceEvent extends infer E
  ? E extends TraceEvent
    ? Omit<E, 'at'>
    : never
  : never;

export interface TraceSink {
  /** Stamps `at`, redacts, then passes the event on. */
  emit(event: TraceEventInput): void;
  /**
   * A credential obtained during the test (a session cookie, a signed
   * assertion, an exchanged token): hidden from every later event and from
   * the result. Nothing is stored.
   */
  addSecret?(value: string): void;
}
