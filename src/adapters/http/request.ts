// The test request: built from the test settings, signed by the auth scheme
// for the base URL's origin only, answered once more after a 401 challenge
// when the scheme asks, and followed through redirects hop by hop.

import type { AuthContext, AuthScheme, OutgoingRequest } from '../../auth/types.js';
import type { Exchange, HttpClient, ResponseHeaders } from './client.js';
import { redirectOf, RedirectGuard, sameOrigin, type Redirect } from './redirects.js';
import { joinUrl, type HttpConfig } from './settings.js';

export interface TestRequestResult {
  exchange: Exchange;
  redirects: number;
  /** Set when the redirect chain was stopped: why. */
  redirectStop?: string;
}

export interface Session {
  client: HttpClient;
  auth: AuthScheme;
  authContext: AuthContext;
  config: HttpConfig;
}

export async function runTestRequest(session: Session): Promise<TestRequestResult> {
  const { config } = session;
  let hop: Redirect = {
    method: config.test.method,
    url: joinUrl(config.baseUrl, config.test.path),
    keepBody: true,
  };
  const guard = new RedirectGuard(hop.method, hop.url);
  for (;;) {
    const exchange = await sendSigned(session, hop);
    const redirect = redirectOf(exchange);
    if (!redirect) return { exchange, redirects: guard.hops };
    const stop = guard.next(redirect);
    if (stop) return { exchange, redirects: guard.hops, redirectStop: stop };
    session.authContext.trace.emit({
      type: 'step',
      name: 'redirect',
      detail: `${exchange.status} to ${redirect.method} ${redirect.url.href}`,
    });
    hop = redirect;
  }
}

async function sendSigned(session: Session, hop: Redirect): Promise<Exchange> {
  const { client, auth, authContext } = session;
  const exchange = await client.send(await buildRequest(session, hop));
  const ownOrigin = sameOrigin(hop.url, session.config.baseUrl);
  if (exchange.status !== 401 || !ownOrigin || !auth.retryAfterUnauthorized) {
    return exchange;
  }
  const response = { status: 401, headers: definedHeaders(exchange.headers) };
  if (!(await auth.retryAfterUnauthorized(response, authContext))) return exchange;
  authContext.trace.emit({
    type: 'step',
    name: 'auth',
    detail: 'answering the 401 challenge with credentials',
  });
  return client.send(await buildRequest(session, hop));
}

async function buildRequest(session: Session, hop: Redirect): Promise<OutgoingRequest> {
  const { config, auth, authContext } = session;
  const ownOrigin = sameOrigin(hop.url, config.baseUrl);
  const headers: Record<string, string> = { 'user-agent': 'conn' };
  const secretHeaders = ownOrigin ? config.secretHeaders : [];
  for (const [name, value] of [...config.headers, ...config.test.headers, ...secretHeaders]) {
    headers[name.toLowerCase()] = value;
  }
  const body = hop.keepBody ? config.test.body : undefined;
  if (body !== undefined && headers['content-type'] === undefined) {
    headers['content-type'] = looksLikeJson(body) ? 'application/json' : 'text/plain;charset=UTF-8';
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const request = { method: hop.method, url: new URL(hop.url.href), headers, body };
  // Credentials belong to the base URL's origin; a redirect elsewhere gets none.
  if (ownOrigin) await auth.sign(request, authContext);
  return request;
}

function looksLikeJson(text: string): boolean {
  try {
    JSON.parse(text);
    return /^\s*[[{]/.test(text);
  } catch {
    return false;
  }
}

function definedHeaders(headers: ResponseHeaders): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) result[name] = value;
  }
  return result;
}
