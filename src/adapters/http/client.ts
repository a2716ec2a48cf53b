// One HTTP client per test: an undici dispatcher with the connection's TLS
// and proxy settings, and `send`, which performs one request/response pair
// and reports it to the trace (request, response, timings, errors). It never
// follows redirects itself: the caller does, so each hop is traced.

import { STATUS_CODES } from 'node:http';
import type { ConnectionOptions } from 'node:tls';
import type { Dispatcher } from 'undici';
import type { OutgoingRequest } from '../../auth/types.js';
import type { TraceSink } from '../../trace/events.js';
import { BodyError, readBody, type BodyRead } from './body.js';
import type { HeaderList } from './settings.js';
import { ConnectionWatch, now, phases } from './timing.js';
import { proxyForDisplay, type ProxyEnv } from './transport.js';

export interface ClientOptions {
  trace: TraceSink;
  /** The user's abort (Ctrl-C). */
  userSignal: AbortSignal;
  timeoutMs: number;
  maxBodyBytes: number;
  maxResponseBytes: number;
  tls: ConnectionOptions;
  proxy?: ProxyEnv;
}

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface Exchange {
  request: OutgoingRequest;
  status: number;
  statusText: string;
  headers: ResponseHeaders;
  body: BodyRead;
}

/** Where an exchange was when it failed. */
export type Phase = 'connect' | 'first-byte' | 'body';

export class ExchangeError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly phase: Phase,
    /** The test's own deadline ran out (not one of undici's timers). */
    readonly deadline: boolean,
    readonly interrupted: boolean,
    /**
     * A new TLS connection closed before any answer: what servers do when
     * they refuse a client certificate without a TLS alert.
     */
    readonly closedAfterHandshake = false,
    readonly clientCertSent = false,
  ) {
    super((cause as Error)?.message ?? String(cause));
    this.name = 'ExchangeError';
  }
}

/**
 * What the dispatcher is destroyed with once a test is over. Given no
 * error, undici makes one per client, and the socket's destroy formats its
 * stack: a cost on every test for an error nobody reads. No request is in
 * flight by then, so it reaches no caller.
 */
const TEST_OVER = new Error('the test is over');

/**
 * A test's requests go one after another, so one connection per origin is
 * enough, and undici then puts no pool in front of it. Redirects and auth
 * retries within the test may still reuse it; other tests never do.
 */
const ONE_PER_ORIGIN = 1;

let undiciLoading: Promise<typeof import('undici')> | undefined;

/**
 * undici, loaded on first use, not at the top, so listing connections never
 * loads it. Starting early lets it load while the secret store decrypts.
 */
export function loadUndici(): Promise<typeof import('undici')> {
  undiciLoading ??= import('undici');
  return undiciLoading;
}

export class HttpClient {
  private readonly deadline: AbortSignal;
  private readonly signal: AbortSignal;

  private constructor(
    private readonly dispatcher: Dispatcher,
    private readonly watch: ConnectionWatch,
    private readonly options: ClientOptions,
  ) {
    this.deadline = AbortSignal.timeout(options.timeoutMs);
    this.signal = AbortSignal.any([options.userSignal, this.deadline]);
  }

  static async open(options: ClientOptions): Promise<HttpClient> {
    const undici = await loadUndici();
    const watch = new ConnectionWatch();
    const connectOptions = { ...options.tls, timeout: options.timeoutMs };
    const connect = watch.wrap(undici.buildConnector(connectOptions));
    const common = {
      connect,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    };
    const dispatcher = options.proxy
      ? new undici.EnvHttpProxyAgent({
          ...common,
          ...options.proxy,
          requestTls: connectOptions,
        })
      : new undici.Agent({ ...common, connections: ONE_PER_ORIGIN });
    const client = new HttpClient(dispatcher, watch, options);
    client.traceProxy();
    return client;
  }

  get maxResponseBytes(): number {
    return this.options.maxResponseBytes;
  }

  async close(): Promise<void> {
    // destroy, not close: a stalled server must not keep the test waiting.
    await this.dispatcher.destroy(TEST_OVER).catch(() => undefined);
  }

  async send(request: OutgoingRequest): Promise<Exchange> {
    const startedAt = now();
    let headersAt: number | undefined;
    this.traceRequest(request);
    try {
      const response = await this.dispatch(request);
      headersAt = now();
      const headers = response.headers as ResponseHeaders;
      const body = await readBody(
        response.body,
        firstHeader(headers, 'content-encoding'),
        this.options.maxResponseBytes,
      );
      const exchange = {
        request,
        status: response.statusCode,
        statusText: STATUS_CODES[response.statusCode] ?? '',
        headers,
        body,
      };
      this.traceResponse(exchange);
      return exchange;
    } catch (error) {
      throw this.failed(error, request, startedAt, headersAt);
    } finally {
      this.traceTiming(startedAt, headersAt);
    }
  }

  private dispatch(request: OutgoingRequest) {
    const { url } = request;
    const headers = { ...request.headers };
    const pending = this.dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: request.method as Dispatcher.HttpMethod,
      headers,
      body: request.body,
      signal: this.signal,
    });
    return abortable(pending, this.signal);
  }

  private failed(
    error: unknown,
    request: OutgoingRequest,
    startedAt: number,
    headersAt: number | undefined,
  ): ExchangeError {
    let cause = error;
    if (error instanceof BodyError) {
      cause = error.cause;
      this.tracePartialBody(error.partial);
    }
    cause = this.socketErrorFor(cause);
    const phase: Phase =
      headersAt !== undefined ? 'body' : this.watch.connecting ? 'connect' : 'first-byte';
    const fresh = this.watch.latest;
    const closedAfterHandshake =
      phase === 'first-byte' &&
      fresh?.secureAt !== undefined &&
      fresh.startedAt >= startedAt &&
      ['UND_ERR_SOCKET', 'ECONNRESET'].includes(errorCode(cause) ?? '');
    const { cert, pfx } = this.options.tls;
    const failure = new ExchangeError(
      cause,
      phase,
      this.deadline.aborted,
      this.options.userSignal.aborted,
      closedAfterHandshake,
      Boolean(cert || pfx),
    );
    this.options.trace.emit({
      type: 'error',
      message: `${request.method} ${request.url.href}: ${failure.message}`,
      code: errorCode(cause),
    });
    return failure;
  }

  /** The socket's own error, when undici only saw the connection close. */
  private socketErrorFor(cause: unknown): unknown {
    const code = errorCode(cause);
    const socketError = this.watch.latest?.socketError;
    const vague = code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
    return vague && socketError && errorCode(socketError) !== code ? socketError : cause;
  }

  private traceProxy(): void {
    const proxy = this.options.proxy;
    if (!proxy) return;
    const parts = [
      proxy.httpsProxy && `HTTPS_PROXY=${proxyForDisplay(proxy.httpsProxy)}`,
      proxy.httpProxy && `HTTP_PROXY=${proxyForDisplay(proxy.httpProxy)}`,
      proxy.noProxy && `NO_PROXY=${proxy.noProxy}`,
    ];
    this.options.trace.emit({
      type: 'step',
      name: 'proxy',
      detail: parts.filter(Boolean).join(' '),
    });
  }

  private traceRequest(request: OutgoingRequest): void {
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    this.options.trace.emit({
      type: 'request',
      method: request.method,
      url: request.url.href,
      headers: Object.entries(request.headers),
      ...shownBody(body, request.headers['content-type'], this.options.maxBodyBytes),
    });
  }

  private traceResponse(exchange: Exchange): void {
    const { body, headers } = exchange;
    this.options.trace.emit({
      type: 'response',
      status: exchange.status,
      statusText: exchange.statusText,
      httpVersion: '1.1',
      headers: headerList(headers),
      ...shownBody(
        body.data,
        firstHeader(headers, 'content-type'),
        this.options.maxBodyBytes,
        body.decodedBytes,
      ),
      bodySize: body.complete ? body.decodedBytes : undefined,
    });
    if (body.note) this.note(body.note);
    if (body.tooLarge) {
      this.note(
        `stopped reading the body after ${body.decodedBytes} bytes ` +
          `(maxResponseBytes is ${this.options.maxResponseBytes})`,
      );
    }
  }

  private tracePartialBody(partial: BodyRead): void {
    if (partial.decodedBytes === 0) return;
    this.note(`${partial.decodedBytes} bytes of the body arrived before the failure`);
  }

  private traceTiming(startedAt: number, headersAt: number | undefined): void {
    this.options.trace.emit({
      type: 'timing',
      phases: phases(startedAt, this.watch.latest, headersAt, now()),
    });
  }

  private note(message: string): void {
    this.options.trace.emit({ type: 'note', level: 'info', message });
  }
}

const TEXT_TYPE =
  /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded)|$)/i;

/** A body as the trace shows it: text cut at the limit, or a size line. */
function shownBody(
  data: Buffer | undefined,
  contentType: string | undefined,
  limit: number,
  size = data?.length ?? 0,
): { body?: string; bodyCut?: number } {
  if (!data || size === 0) return {};
  if (!TEXT_TYPE.test((contentType ?? '').trim())) {
    return { body: `(${size} bytes of ${contentType})` };
  }
  const shown = data.subarray(0, Math.max(0, limit));
  const cut = size - shown.length;
  return { body: shown.toString('utf8'), ...(cut > 0 ? { bodyCut: cut } : {}) };
}

export function headerList(headers: ResponseHeaders): HeaderList {
  const list: HeaderList = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) list.push([name, item]);
  }
  return list;
}

export function firstHeader(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The first error code along the `cause` chain (undici wraps socket errors). */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * undici only records an abort for a request that never got a connection,
 * and keeps reconnecting (a proxy that drops every CONNECT spins forever).
 * The race makes the timeout end the request; the caller's finally then
 * destroys the dispatcher, which stops the reconnecting.
 */
function abortable<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  // The loser of the race must not become an unhandled rejection.
  pending.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
