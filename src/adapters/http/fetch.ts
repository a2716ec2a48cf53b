// The traced fetch auth schemes get (AuthContext.fetch): login and token
// requests go through the test's own client, so they appear in the trace,
// use the connection's TLS and proxy settings, and share its deadline.
// It takes string, URLSearchParams and byte bodies, which is what login and
// token requests send; streams and FormData are refused.

import type { OutgoingRequest } from '../../auth/types.js';
import { headerList, type Exchange, type HttpClient } from './client.js';
import { redirectOf, RedirectGuard, sameOrigin } from './redirects.js';

/** A login or token response the test cannot go on with. */
export class FetchRefusal extends Error {
  constructor(
    message: string,
    readonly kind: 'too-large' | 'redirect-loop',
  ) {
    super(message);
    this.name = 'FetchRefusal';
  }
}

const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

export function tracedFetch(client: HttpClient): typeof globalThis.fetch {
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    init?.signal?.throwIfAborted();
    const first = await toOutgoing(input, init);
    const mode = init?.redirect ?? 'follow';
    const guard = new RedirectGuard(first.method, first.url);
    let request = first;
    for (;;) {
      const exchange = await client.send(request);
      if (exchange.body.tooLarge) {
        const size = `larger than ${client.maxResponseBytes} bytes`;
        throw new FetchRefusal(`${request.url.href}: response ${size}`, 'too-large');
      }
      const redirect = redirectOf(exchange);
      if (!redirect || mode === 'manual') return toResponse(exchange);
      if (mode === 'error') throw new TypeError(`redirected to ${redirect.url.href}`);
      const stop = guard.next(redirect);
      if (stop) throw new FetchRefusal(stop, 'redirect-loop');
      request = {
        method: redirect.method,
        url: redirect.url,
        headers: followHeaders(request, redirect.url, redirect.keepBody),
        body: redirect.keepBody ? request.body : undefined,
      };
    }
  };
  return fetch as typeof globalThis.fetch;
}

async function toOutgoing(
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<OutgoingRequest> {
  const fromRequest = input instanceof Request ? input : undefined;
  const headers: Record<string, string> = {};
  new Headers(init?.headers ?? fromRequest?.headers).forEach((value, name) => {
    headers[name] = value;
  });
  let body = init?.body ?? undefined;
  if (body === undefined && fromRequest?.body) {
    body = Buffer.from(await fromRequest.arrayBuffer());
  }
  return {
    method: (init?.method ?? fromRequest?.method ?? 'GET').toUpperCase(),
    url: new URL(fromRequest ? fromRequest.url : String(input)),
    headers,
    body: toBody(body, headers),
  };
}

function toBody(
  body: RequestInit['body'],
  headers: Record<string, string>,
): string | Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    return body.toString();
  }
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) {
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }
  throw new TypeError('the traced fetch takes string, URLSearchParams or byte bodies');
}

/** Credentials never follow a redirect to another origin. */
function followHeaders(
  request: OutgoingRequest,
  to: URL,
  keepBody: boolean,
): Record<string, string> {
  const headers = { ...request.headers };
  if (!sameOrigin(request.url, to)) {
    for (const name of CREDENTIAL_HEADERS) delete headers[name];
  }
  if (!keepBody) {
    delete headers['content-type'];
    delete headers['content-length'];
  }
  return headers;
}

function toResponse(exchange: Exchange): Response {
  const empty =
    [101, 204, 205, 304].includes(exchange.status) ||
    exchange.request.method === 'HEAD';
  const response = new Response(empty ? null : exchange.body.data, {
    status: exchange.status,
    statusText: exchange.statusText,
    headers: decodedHeaders(exchange),
  });
  // A constructed Response has an empty url; token code may read it.
  Object.defineProperty(response, 'url', { value: exchange.request.url.href });
  return response;
}

/** The body handed over is already decoded: its encoding headers would lie. */
function decodedHeaders(exchange: Exchange): Array<[string, string]> {
  const list = headerList(exchange.headers);
  if (exchange.body.note) return list;
  const stale = ['content-encoding', 'content-length'];
  return list.filter(([name]) => !stale.includes(name));
}
