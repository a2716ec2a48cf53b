// Cookie (session) login: one login request, whose Set-Cookie cookies are
// then sent with every request. The login goes through the traced fetch, so
// `--verbose` shows it. Its body is a template: `{{password}}` is filled in
// and escaped for the body's content type (JSON or form).

import type { Secrets, Settings } from '../connectors/types.js';
import { UsageError } from '../errors.js';
import { fieldValue, renderTemplate, requireField } from './template.js';
import type { AuthContext, AuthScheme } from './types.js';

const DEFAULT_BODY = '{"username": "{{username}}", "password": "{{password}}"}';

/** The login was answered, but not with a session; `status` is its status. */
export class LoginError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LoginError';
  }
}

export function createCookieAuth(settings: Settings, secrets: Secrets): AuthScheme {
  const loginPath = requireField('loginPath', 'cookie', settings, {});
  const method = (fieldValue('loginMethod', settings, {}) ?? 'POST').toUpperCase();
  const contentType = fieldValue('loginContentType', settings, {}) ?? 'application/json';
  const template = fieldValue('loginBody', settings, {}) ?? DEFAULT_BODY;
  const body = renderTemplate(template, settings, secrets, encoderFor(contentType));
  const cookies = new Map<string, string>();
  return {
    async prepare(ctx: AuthContext) {
      const url = loginUrl(settings.baseUrl, loginPath);
      const hasBody = method !== 'GET' && method !== 'HEAD';
      const response = await ctx.fetch(url, {
        method,
        headers: hasBody ? { 'content-type': contentType } : {},
        body: hasBody ? body : undefined,
        // The session cookie often comes with a redirect to a home page.
        redirect: 'manual',
        signal: ctx.signal,
      });
      keepCookies(response.headers.getSetCookie(), cookies);
      // Session values are credentials: hidden wherever the API echoes them.
      for (const value of cookies.values()) ctx.trace.addSecret?.(value);
      checkLogin(response, cookies);
    },
    sign(request) {
      if (cookies.size === 0) return;
      const pairs = [...cookies].map(([name, value]) => `${name}=${value}`);
      request.headers.cookie = pairs.join('; ');
    },
  };
}

function checkLogin(response: Response, cookies: Map<string, string>): void {
  const status = `${response.status} ${response.statusText}`.trim();
  if (response.status >= 400) {
    throw new LoginError(`login failed: ${status}`, response.status);
  }
  if (cookies.size === 0) {
    throw new LoginError(
      `login answered ${status} but set no cookie; check loginPath and loginBody`,
    );
  }
}

function encoderFor(contentType: string): (value: string) => string {
  if (/json/i.test(contentType)) return (value) => JSON.stringify(value).slice(1, -1);
  if (/x-www-form-urlencoded/i.test(contentType)) return encodeURIComponent;
  return (value) => value;
}

/** Relative login paths are appended to the base URL's path, as testPath is. */
function loginUrl(baseUrl: unknown, loginPath: string): URL {
  if (/^https?:\/\//i.test(loginPath)) return new URL(loginPath);
  if (typeof baseUrl !== 'string') {
    throw new UsageError('cookie login needs baseUrl', 'set baseUrl', 'missing-field');
  }
  const url = new URL(baseUrl);
  const [path, query] = loginPath.split('?', 2);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  if (query !== undefined) url.search = query;
  return url;
}

/** Name and value of each cookie; attributes matter little for one test. */
function keepCookies(setCookies: string[], cookies: Map<string, string>): void {
  for (const line of setCookies) {
    const [pair, ...attributes] = line.split(';');
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const name = pair.slice(0, at).trim();
    const expired = attributes.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a));
    if (expired) cookies.delete(name);
    else cookies.set(name, pair.slice(at + 1).trim());
  }
}
