// The network steps every database adapter shares: name resolution, the TCP
// connect and bounds on time. The adapters resolve and connect themselves,
// then hand the open socket to the driver, so the trace shows real timings
// for each step instead of one opaque "connect" from the driver.

import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

import type { TimingEvent, TraceSink } from '../trace/events.js';

/** Which part of the test a timeout or abort interrupted. */
export type Phase = 'dns' | 'tcp' | 'tls' | 'auth' | 'query';

export class PhaseTimeoutError extends Error {
  readonly code = 'PHASE_TIMEOUT';
  constructor(readonly phase: Phase, readonly ms: number) {
    super(`no answer within ${ms} ms (${phase})`);
    this.name = 'PhaseTimeoutError';
  }
}

export class AbortedError extends Error {
  readonly code = 'ABORTED';
  constructor() {
    super('the test was interrupted');
    this.name = 'AbortedError';
  }
}

/**
 * A clock for one test: when it started, when the connect phase must end
 * and when the whole test must end.
 */
export class Deadline {
  readonly started = performance.now();
  private readonly connectBy: number;
  private readonly totalBy: number;

  constructor(connectMs: number, totalMs: number, readonly signal: AbortSignal) {
    this.totalBy = this.started + totalMs;
    this.connectBy = this.started + Math.min(connectMs, totalMs);
  }

  elapsed(): number {
    return performance.now() - this.started;
  }

  /** Milliseconds left for a phase: connect phases end sooner. */
  remaining(phase: Phase): number {
    const by = phase === 'query' ? this.totalBy : this.connectBy;
    return Math.max(0, by - performance.now());
  }

  /**
   * Waits for `work` until the phase's time runs out or the test is aborted.
   * `cancel` releases whatever the work holds (a socket) when it loses.
   */
  async bound<T>(phase: Phase, work: Promise<T>, cancel?: () => void): Promise<T> {
    const ms = Math.round(this.remaining(phase));
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const loser = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PhaseTimeoutError(phase, ms)), ms);
      onAbort = () => reject(new AbortedError());
      if (this.signal.aborted) onAbort();
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, loser]);
    } catch (err) {
      cancel?.();
      throw err;
    } finally {
      clearTimeout(timer);
      if (onAbort) this.signal.removeEventListener('abort', onAbort);
      work.catch(() => undefined);
    }
  }
}

/** Milliseconds with one decimal: enough to read, short in the trace. */
export function ms(value: number): number {
  return Math.round(value * 10) / 10;
}

export interface Resolved {
  address: string;
  family: number;
  durationMs: number;
}

/** Resolves the host ourselves so the trace has a real lookup time. */
export async function resolveHost(
  host: string,
  deadline: Deadline,
  trace: TraceSink,
): Promise<Resolved> {
  const family = net.isIP(host);
  if (family !== 0) {
    trace.emit({ type: 'step', name: 'dns', detail: `${host} is an address`,
      durationMs: 0, data: { address: host } });
    return { address: host, family, durationMs: 0 };
  }
  const start = performance.now();
  const found = await deadline.bound('dns', lookup(host));
  const durationMs = ms(performance.now() - start);
  trace.emit({ type: 'step', name: 'dns', detail: `${host} → ${found.address}`,
    durationMs, data: { host, address: found.address, family: found.family } });
  return { ...found, durationMs };
}

/** Opens a TCP connection to an address; the caller owns the socket. */
export async function connectTcp(
  address: string,
  port: number,
  deadline: Deadline,
  trace: TraceSink,
): Promise<net.Socket> {
  const socket = net.connect({ host: address, port });
  await watchConnect(socket, address, port, deadline, trace);
  return socket;
}

/**
 * Name lookup then TCP connect, each traced, their durations recorded in
 * the timing phases. The caller owns the socket.
 */
export async function dial(
  host: string,
  port: number,
  deadline: Deadline,
  trace: TraceSink,
  phases: TimingEvent['phases'],
): Promise<net.Socket> {
  const resolved = await resolveHost(host, deadline, trace);
  phases.dns = resolved.durationMs;
  const started = performance.now();
  const socket = await connectTcp(resolved.address, port, deadline, trace);
  phases.connect = ms(performance.now() - started);
  return socket;
}

/**
 * Waits for a socket that is connecting (by us or by a driver) and traces
 * the TCP step. Returns how long the connect took.
 */
export async function watchConnect(
  socket: net.Socket,
  address: string,
  port: number,
  deadline: Deadline,
  trace: TraceSink,
): Promise<number> {
  const start = performance.now();
  let failed: ((err: Error) => void) | undefined;
  const opened = new Promise<void>((resolve, reject) => {
    failed = reject;
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  await deadline.bound('tcp', opened, () => socket.destroy());
  if (failed) socket.off('error', failed);
  socket.setNoDelay(true);

  const durationMs = ms(performance.now() - start);
  trace.emit({ type: 'step', name: 'tcp',
    detail: `connected to ${address}:${port}`, durationMs,
    data: { address, port, localPort: socket.localPort ?? null } });
  return durationMs;
}

/** Waits for a clean goodbye, at most `limitMs`; false if it failed or hung. */
export async function endWithin(ending: Promise<unknown>, limitMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, limitMs, false);
  });
  const ended = ending.then(() => true, () => false);
  try {
    return await Promise.race([ended, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Node's `Error & { code }` shape, read without trusting it. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' || typeof code === 'number'
    ? String(code)
    : undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
