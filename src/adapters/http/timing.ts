// Connection timings from the socket's own events: `lookup` (DNS done),
// `connect` (TCP done) and `secureConnect` (TLS done). The adapter wraps
// undici's connector with this, so the numbers belong to this test's own
// sockets; a global diagnostics channel would also see every other request
// the process makes and need matching by origin.

import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { buildConnector } from 'undici';

export interface ConnectionTimes {
  startedAt: number;
  lookupAt?: number;
  connectedAt?: number;
  secureAt?: number;
  /** Whether the connection is up (TCP, and TLS for https). */
  ready: boolean;
  /**
   * The socket's own error. undici may report only "other side closed"
   * when a TLS alert (e.g. certificate required) ended the connection.
   */
  socketError?: Error;
}

/** Watches the connections one dispatcher opens, newest last. */
export class ConnectionWatch {
  latest?: ConnectionTimes;

  /** True while a connection is being opened (DNS, TCP or TLS). */
  get connecting(): boolean {
    return this.latest !== undefined && !this.latest.ready;
  }

  wrap(base: buildConnector.connector): buildConnector.connector {
    return (options, callback) => {
      const times: ConnectionTimes = { startedAt: now(), ready: false };
      this.latest = times;
      const done: buildConnector.Callback = (...args) => {
        times.ready = args[0] === null;
        callback(...args);
      };
      // undici's connector returns its socket, though its type says void.
      const socket = (base as unknown as Connect)(options, done);
      if (socket) observe(socket, times);
    };
  }
}

type Connect = (
  options: buildConnector.Options,
  callback: buildConnector.Callback,
) => Socket | undefined;

function observe(socket: Socket, times: ConnectionTimes): void {
  socket.once('lookup', () => { times.lookupAt = now(); });
  socket.once('connect', () => { times.connectedAt = now(); });
  socket.once('secureConnect', () => { times.secureAt = now(); });
  socket.on('error', (error: Error) => { times.socketError ??= error; });
}

export function now(): number {
  return performance.now();
}

export type Phases = Partial<
  Record<'dns' | 'connect' | 'tls' | 'firstByte' | 'download' | 'total', number>
>;

/**
 * Durations of each phase of one exchange, in milliseconds: dns, connect
 * (TCP) and tls only when the exchange opened a new connection; firstByte
 * from the request being sent (connection ready) to the response headers;
 * download from headers to the end of the body; total from start to end.
 */
export function phases(
  startedAt: number,
  connection: ConnectionTimes | undefined,
  headersAt: number | undefined,
  endedAt: number,
): Phases {
  const result: Phases = {};
  let sentAt = startedAt;
  if (connection && connection.startedAt >= startedAt) {
    const { lookupAt, connectedAt, secureAt } = connection;
    const tcpFrom = lookupAt ?? connection.startedAt;
    if (lookupAt) result.dns = round(lookupAt - connection.startedAt);
    if (connectedAt) result.connect = round(connectedAt - tcpFrom);
    if (secureAt && connectedAt) result.tls = round(secureAt - connectedAt);
    sentAt = secureAt ?? connectedAt ?? sentAt;
  }
  if (headersAt) {
    result.firstByte = round(headersAt - sentAt);
    result.download = round(endedAt - headersAt);
  }
  result.total = round(endedAt - startedAt);
  return result;
}

function round(ms: number): number {
  return Math.max(0, Math.round(ms * 100) / 100);
}
