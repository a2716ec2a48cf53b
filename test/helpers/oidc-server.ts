// A real OAuth 2.0 / OpenID Connect server for the tests: oidc-provider on
// 127.0.0.1 with a random port, its development login and consent pages
// (which accept any user), client credentials, device flow and revocation.
// Beside it, /api/me is a protected resource that accepts the provider's
// access tokens, so the tests can check what the schemes send. A small
// Browser plays the person: it follows redirects, keeps cookies and submits
// the forms it is shown.

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Clients registered with the test server. */
export const TEST_CLIENTS = {
  /** Confidential; every grant; tokens with the usual lifetimes. */
  app: { id: 'conn-app', secret: 'app-secret-CANARY-7f3a9c' },
  /** Confidential; access tokens of 30 s and refresh tokens of 2 s. */
  brief: { id: 'conn-brief', secret: 'brief-secret-5d1e' },
  /** Public (PKCE only, no secret), as a CLI is registered in practice. */
  cli: { id: 'conn-cli' },
} as const;

export const SHORT_ACCESS_TTL_S = 30;
export const SHORT_REFRESH_TTL_S = 2;

export interface OidcServer {
  issuer: string;
  /** Calls of /api/me, with the bearer token each carried. */
  apiCalls: Array<{ token: string | undefined; status: number }>;
  revoke(token: string): Promise<void>;
  close(): Promise<void>;
}

// oidc-provider ships no types; the tests use this much of it.
interface ProviderLike {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  AccessToken: { find(token: string): Promise<unknown> };
  ClientCredentials: { find(token: string): Promise<unknown> };
  on(event: string, listener: (...args: unknown[]) => void): void;
  registerGrantType(
    name: string,
    handler: (ctx: GrantContext, next: () => Promise<void>) => Promise<void>,
    params: string[],
  ): void;
}

interface GrantContext {
  oidc: {
    params: Record<string, string | undefined>;
    client: unknown;
    provider: {
      ClientCredentials: new (values: object) => {
        save(): Promise<string>;
        expiration: number;
      };
    };
  };
  status: number;
  body: unknown;
}

/** The one user the password grant knows. */
export const TEST_USER = { name: 'ada', password: 'correct horse' };

export async function startOidcServer(): Promise<OidcServer> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (
    _req,
    res,
  ) => res.end();
  const server = createServer((req, res) => handler(req, res));
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;

  const provider = await createProvider(issuer);
  const apiCalls: OidcServer['apiCalls'] = [];
  const oidc = provider.callback();
  handler = (req, res) => {
    if (req.url?.startsWith('/api/')) {
      void serveApi(provider, req, res, apiCalls);
    } else {
      oidc(req, res);
    }
  };

  return {
    issuer,
    apiCalls,
    revoke: (token) => revoke(issuer, token),
    close: () => close(server),
  };
}

async function createProvider(issuer: string): Promise<ProviderLike> {
  // A variable keeps TypeScript from asking for oidc-provider's types.
  const moduleName = 'oidc-provider';
  const { default: Provider } = await import(moduleName);
  const provider = new Provider(issuer, providerConfiguration());
  provider.registerGrantType('password', passwordGrant, [
    'username',
    'password',
    'scope',
  ]);
  // Server errors would otherwise vanish into a 500 page.
  provider.on('server_error', (_ctx: unknown, error: unknown) => {
    console.error('oidc-provider server_error', error);
  });
  return provider as ProviderLike;
}

function providerConfiguration(): Record<string, unknown> {
  const grants = [
    'password',
    'authorization_code',
    'refresh_token',
    'client_credentials',
    'urn:ietf:params:oauth:grant-type:device_code',
  ];
  const confidential = (client: { id: string; secret: string }) => ({
    client_id: client.id,
    client_secret: client.secret,
    grant_types: grants,
    response_types: ['code'],
    // Native clients may use any port on the loopback (RFC 8252 7.3).
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/callback'],
    scope: 'openid offline_access api:read',
  });
  return {
    clients: [
      confidential(TEST_CLIENTS.app),
      confidential(TEST_CLIENTS.brief),
      {
        ...confidential({ id: TEST_CLIENTS.cli.id, secret: 'unused' }),
        client_secret: undefined,
        token_endpoint_auth_method: 'none',
      },
    ],
    scopes: ['openid', 'offline_access', 'api:read'],
    cookies: { keys: ['test-cookie-key-not-secret'] },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
    },
    pkce: { required: () => true },
    // Every code grant gets a refresh token, offline_access or not.
    issueRefreshToken: async () => true,
    // Refresh tokens are rotated on each use, as many real servers do.
    rotateRefreshToken: () => true,
    ttl: ttlConfiguration(),
  };
}

/**
 * oidc-provider has no resource owner password grant (it is deprecated);
 * this one checks the single test user and issues an access token.
 */
async function passwordGrant(
  ctx: GrantContext,
  next: () => Promise<void>,
): Promise<void> {
  const { username, password, scope } = ctx.oidc.params;
  if (username !== TEST_USER.name || password !== TEST_USER.password) {
    ctx.status = 400;
    ctx.body = { error: 'invalid_grant', error_description: 'wrong user' };
    return next();
  }
  const { ClientCredentials } = ctx.oidc.provider;
  const token = new ClientCredentials({ client: ctx.oidc.client, scope });
  const accessToken = await token.save();
  ctx.body = {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: token.expiration,
    scope,
  };
  return next();
}

function ttlConfiguration(): Record<string, unknown> {
  const brief = (client?: { clientId?: string }) =>
    client?.clientId === TEST_CLIENTS.brief.id;
  return {
    AccessToken: (_ctx: unknown, _token: unknown, client?: { clientId?: string }) =>
      brief(client) ? SHORT_ACCESS_TTL_S : 3600,
    ClientCredentials: () => 3600,
    RefreshToken: (_ctx: unknown, _token: unknown, client?: { clientId?: string }) =>
      brief(client) ? SHORT_REFRESH_TTL_S : 86400,
    DeviceCode: () => 600,
    Grant: () => 86400,
    IdToken: () => 3600,
    Interaction: () => 600,
    Session: () => 86400,
    AuthorizationCode: () => 60,
  };
}

async function serveApi(
  provider: ProviderLike,
  req: IncomingMessage,
  res: ServerResponse,
  calls: OidcServer['apiCalls'],
): Promise<void> {
  const header = req.headers.authorization ?? '';
  const token = /^Bearer (.+)$/i.exec(header)?.[1];
  const known = token ? await findToken(provider, token) : undefined;
  const status = known ? 200 : 401;
  calls.push({ token, status });
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(known ? { ok: true } : { error: 'invalid_token' }));
}

async function findToken(provider: ProviderLike, token: string) {
  // Client credentials tokens are a model of their own in oidc-provider.
  return (
    (await provider.AccessToken.find(token)) ??
    (await provider.ClientCredentials.find(token))
  );
}

async function revoke(issuer: string, token: string): Promise<void> {
  const { id, secret } = TEST_CLIENTS.app;
  const basic = Buffer.from(`${id}:${secret}`).toString('base64');
  const response = await fetch(`${issuer}/token/revocation`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }).toString(),
  });
  if (response.status !== 200) {
    throw new Error(`revocation answered ${response.status}`);
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address && typeof address === 'object') resolve(address.port);
      else reject(new Error('no port'));
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** What the Browser fills into the forms it meets. */
export interface BrowserInputs {
  login?: string;
  password?: string;
  user_code?: string;
}

/**
 * Plays a person at a browser: follows redirects, keeps cookies and submits
 * each page's first form, filling in the inputs it is given. It stops at a
 * page without a form (the loopback listener's answer, or the device
 * flow's success page) and returns that page's URL and text.
 */
export class Browser {
  private readonly cookies = new Map<string, string>();
  readonly visited: string[] = [];

  constructor(private readonly inputs: BrowserInputs = {}) {}

  async open(start: string): Promise<{ url: string; text: string }> {
    let request: { url: string; init: RequestInit } = {
      url: start,
      init: { method: 'GET' },
    };
    for (let step = 0; step < 25; step++) {
      const response = await this.send(request.url, request.init);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        request = { url: new URL(location, request.url).href, init: {} };
        continue;
      }
      const text = await response.text();
      const form = parseForm(text, request.url);
      if (!form) return { url: request.url, text };
      request = this.submit(form);
    }
    throw new Error('the browser followed too many pages');
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    this.visited.push(url);
    const headers = new Headers(init.headers);
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) this.keep(line);
    return response;
  }

  private keep(setCookie: string): void {
    const [pair] = setCookie.split(';');
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    if (/expires=Thu, 01 Jan 1970/i.test(setCookie) || !value) {
      this.cookies.delete(name);
    } else {
      this.cookies.set(name, value);
    }
  }

  private submit(form: ParsedForm): { url: string; init: RequestInit } {
    const fields = new URLSearchParams(form.fields);
    const fill: Record<string, string | undefined> = {
      login: this.inputs.login ?? 'conn-tester',
      password: this.inputs.password ?? 'any password',
      user_code: this.inputs.user_code,
    };
    for (const [name, value] of Object.entries(fill)) {
      if (fields.has(name) && value !== undefined) fields.set(name, value);
    }
    return {
      url: form.action,
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: fields.toString(),
      },
    };
  }
}

interface ParsedForm {
  action: string;
  fields: Array<[string, string]>;
}

function parseForm(html: string, pageUrl: string): ParsedForm | undefined {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const action = attribute(form[1], 'action') ?? pageUrl;
  const fields: Array<[string, string]> = [];
  for (const input of form[2].matchAll(/<(?:input|button)\b([^>]*)>/gi)) {
    const name = attribute(input[1], 'name');
    if (name) fields.push([name, attribute(input[1], 'value') ?? '']);
  }
  return { action: new URL(decode(action), pageUrl).href, fields };
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(tag);
  return match ? decode(match[1]) : undefined;
}

function decode(text: string): string {
  return text
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#x2F;/gi, '/')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}
