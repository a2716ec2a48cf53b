// OAuth 2.0 against a real authorization server (oidc-provider on
// 127.0.0.1): each grant, refresh ahead of expiry and after a 401, expired
// and revoked refresh tokens, a forged state, and the canary client secret
// kept out of the trace.

import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { Settings } from '../../src/connectors/types.js';
import type { OutgoingRequest } from '../../src/auth/types.js';
import {
  authorizeOAuth2,
  createOAuth2Scheme,
  TOKEN_FIELDS,
} from '../../src/auth/oauth2.js';
import type { OAuth2Interaction } from '../../src/auth/oauth2.js';
import {
  Browser,
  startOidcServer,
  TEST_CLIENTS,
  TEST_USER,
} from '../helpers/oidc-server.js';
import type { OidcServer } from '../helpers/oidc-server.js';
import { authContext, loadRedactor } from '../helpers/auth-context.js';
import type { TestAuthContext } from '../helpers/auth-context.js';

const CANARY = TEST_CLIENTS.app.secret;

let server: OidcServer;
let redact: Awaited<ReturnType<typeof loadRedactor>>;
const contexts: TestAuthContext[] = [];

beforeAll(async () => {
  // oidc-provider notes each default page it renders; the tests use them.
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  server = await startOidcServer();
  redact = await loadRedactor([CANARY, TEST_CLIENTS.brief.secret]);
});

afterAll(async () => {
  await server.close();
});

function context(settings: Settings, clientSecret?: string) {
  const secrets: Record<string, string> = clientSecret ? { clientSecret } : {};
  const ctx = authContext('api', settings, secrets, redact);
  contexts.push(ctx);
  return ctx;
}

function appSettings(extra: Settings = {}): Settings {
  return { clientId: TEST_CLIENTS.app.id, issuer: server.issuer, ...extra };
}

/** The test plays the person at the browser, in the background. */
function browserInteraction(failures: unknown[]): OAuth2Interaction {
  return {
    timeoutMs: 15_000,
    openBrowser: (url) => {
      new Browser().open(url).catch((error) => failures.push(error));
    },
    showAuthorizationUrl: () => undefined,
    showDeviceCode: (prompt) => {
      const browser = new Browser({ user_code: prompt.userCode });
      browser.open(prompt.verificationUri).catch((e) => failures.push(e));
    },
  };
}

async function callApi(ctx: TestAuthContext, scheme = createOAuth2Scheme()) {
  await scheme.prepare?.(ctx);
  const request: OutgoingRequest = {
    method: 'GET',
    url: new URL(`${server.issuer}/api/me`),
    headers: {},
  };
  await scheme.sign(request, ctx);
  let response = await send(request);
  const unauthorized = { status: response.status, headers: {} };
  if (response.status === 401 && (await scheme.retryAfterUnauthorized?.(unauthorized, ctx))) {
    await scheme.sign(request, ctx);
    response = await send(request);
  }
  return response.status;
}

function send(request: OutgoingRequest) {
  return fetch(request.url, { method: request.method, headers: request.headers });
}

function tokenRequests(ctx: TestAuthContext) {
  return ctx.rawEvents.filter(
    (e) => e.type === 'request' && e.url.endsWith('/token'),
  );
}

describe('client credentials', () => {
  test('Basic client authentication, audience and extra parameters', async () => {
    const ctx = context(
      appSettings({
        scopes: 'api:read',
        audience: 'https://api.example.test',
        extraParams: '{"resource_hint": "one"}',
      }),
      CANARY,
    );

    expect(await callApi(ctx)).toBe(200);

    const [request] = tokenRequests(ctx);
    expect(request.type === 'request' && request.body).toContain(
      'audience=https%3A%2F%2Fapi.example.test',
    );
    expect(request.type === 'request' && request.body).toContain('resource_hint=one');
    const headers = request.type === 'request' ? request.headers : [];
    expect(headers.find(([k]) => k === 'authorization')?.[1]).toMatch(/^Basic /);
    expect(ctx.saved[TOKEN_FIELDS.accessToken]).toBeTruthy();
    expect(Date.parse(ctx.saved[TOKEN_FIELDS.expiresAt])).toBeGreaterThan(Date.now());
  });

  test('client secret in the body, token URL without discovery', async () => {
    const ctx = context(
      {
        clientId: TEST_CLIENTS.app.id,
        tokenUrl: `${server.issuer}/token`,
        clientAuth: 'body',
      },
      CANARY,
    );

    expect(await callApi(ctx)).toBe(200);

    const [request] = tokenRequests(ctx);
    expect(request.type === 'request' && request.body).toContain('client_secret=');
  });

  test('a wrong client secret is a credentials failure', async () => {
    const ctx = context(appSettings(), 'not-the-secret');

    await expect(callApi(ctx)).rejects.toMatchObject({ code: 'credentials' });
  });

  test('a stored token is used until shortly before it expires', async () => {
    const ctx = context(appSettings(), CANARY);
    await callApi(ctx);
    const first = ctx.saved[TOKEN_FIELDS.accessToken];

    expect(await callApi(ctx)).toBe(200);
    expect(tokenRequests(ctx)).toHaveLength(1);

    ctx.secrets[TOKEN_FIELDS.expiresAt] = new Date(Date.now() + 30_000).toISOString();
    expect(await callApi(ctx)).toBe(200);
    expect(tokenRequests(ctx)).toHaveLength(2);
    expect(ctx.saved[TOKEN_FIELDS.accessToken]).not.toBe(first);
  });
});

describe('resource owner password', () => {
  function passwordContext(password: string) {
    const ctx = context(appSettings({
      oauthGrant: 'password',
      oauthUsername: TEST_USER.name,
      scopes: 'api:read',
    }), CANARY);
    ctx.secrets.oauthPassword = password;
    return ctx;
  }

  test('the user name and password buy a token', async () => {
    const ctx = passwordContext(TEST_USER.password);

    expect(await callApi(ctx)).toBe(200);

    expect(tokenRequests(ctx)[0]).toMatchObject({
      body: expect.stringContaining('grant_type=password'),
    });
  });

  test('a wrong password is a credentials failure', async () => {
    const ctx = passwordContext('wrong');

    await expect(callApi(ctx)).rejects.toMatchObject({
      code: 'credentials',
      message: expect.stringContaining('invalid_grant'),
    });
  });
});

describe('authorization code with PKCE', () => {
  test('the browser comes back to the loopback listener', async () => {
    const failures: unknown[] = [];
    const ctx = context(appSettings({
      oauthGrant: 'authorization_code',
      scopes: 'openid offline_access api:read',
    }), CANARY);

    const result = await authorizeOAuth2(ctx, browserInteraction(failures));

    expect(failures).toEqual([]);
    expect(result.hasRefreshToken).toBe(true);
    expect(ctx.saved[TOKEN_FIELDS.refreshToken]).toBeTruthy();
    const [request] = tokenRequests(ctx);
    expect(request.type === 'request' && request.body).toContain('code_verifier=');
    expect(await callApi(ctx)).toBe(200);
  });

  test('a public client (no secret) with PKCE alone', async () => {
    const failures: unknown[] = [];
    const ctx = context({
      clientId: TEST_CLIENTS.cli.id,
      issuer: server.issuer,
      oauthGrant: 'authorization_code',
      scopes: 'openid api:read',
    });

    const result = await authorizeOAuth2(ctx, browserInteraction(failures));

    expect(failures).toEqual([]);
    expect(result.grant).toBe('authorization_code');
    expect(await callApi(ctx)).toBe(200);
  });

  test('a redirect with the wrong state is refused and the listener closes', async () => {
    let redirectUri = '';
    const ctx = context(appSettings({ oauthGrant: 'authorization_code' }), CANARY);
    const interaction: OAuth2Interaction = {
      ...browserInteraction([]),
      openBrowser: (url) => {
        redirectUri = new URL(url).searchParams.get('redirect_uri') ?? '';
        void fetch(`${redirectUri}?code=stolen&state=forged`).catch(() => undefined);
      },
    };

    await expect(authorizeOAuth2(ctx, interaction)).rejects.toMatchObject({
      code: 'protocol',
      message: expect.stringContaining('wrong state'),
    });
    await expect(fetch(redirectUri)).rejects.toThrow();
    expect(tokenRequests(ctx)).toHaveLength(0);
  });

  test('without a browser the listener times out', async () => {
    const ctx = context(appSettings({ oauthGrant: 'authorization_code' }), CANARY);
    const shown: string[] = [];
    const interaction: OAuth2Interaction = {
      ...browserInteraction([]),
      timeoutMs: 300,
      openBrowser: false,
      showAuthorizationUrl: (url) => void shown.push(url),
    };

    await expect(authorizeOAuth2(ctx, interaction)).rejects.toMatchObject({
      code: 'timeout',
    });
    expect(shown[0]).toContain('code_challenge_method=S256');
  });
});

describe('device authorization', () => {
  test('the person approves the user code on another device', async () => {
    const failures: unknown[] = [];
    const ctx = context(appSettings({
      oauthGrant: 'device_code',
      scopes: 'openid offline_access api:read',
    }), CANARY);

    const result = await authorizeOAuth2(ctx, browserInteraction(failures));

    expect(failures).toEqual([]);
    expect(result.grant).toBe('device_code');
    expect(await callApi(ctx)).toBe(200);
  });
});

describe('refresh', () => {
  async function authorized(clientId: string, secret: string) {
    const ctx = context({
      clientId,
      issuer: server.issuer,
      oauthGrant: 'authorization_code',
      scopes: 'openid offline_access api:read',
    }, secret);
    await authorizeOAuth2(ctx, browserInteraction([]));
    return ctx;
  }

  test('an access token close to expiry is refreshed before the request', async () => {
    const ctx = await authorized(TEST_CLIENTS.brief.id, TEST_CLIENTS.brief.secret);
    const first = ctx.saved[TOKEN_FIELDS.accessToken];

    expect(await callApi(ctx)).toBe(200);

    expect(ctx.saved[TOKEN_FIELDS.accessToken]).not.toBe(first);
    expect(tokenRequests(ctx).at(-1)).toMatchObject({
      body: expect.stringContaining('grant_type=refresh_token'),
    });
  });

  test('a 401 leads to one refresh and one retry', async () => {
    const ctx = await authorized(TEST_CLIENTS.app.id, CANARY);
    ctx.secrets[TOKEN_FIELDS.accessToken] = 'revoked-elsewhere';

    expect(await callApi(ctx)).toBe(200);

    expect(server.apiCalls.slice(-2).map((c) => c.status)).toEqual([401, 200]);
  });

  test('an expired refresh token asks for conn auth again', async () => {
    const ctx = await authorized(TEST_CLIENTS.brief.id, TEST_CLIENTS.brief.secret);
    await new Promise((resolve) => setTimeout(resolve, 2500));

    await expect(callApi(ctx)).rejects.toMatchObject({
      code: 'auth-expired',
      hint: 'run `conn auth api` again',
    });
  });

  test('a revoked refresh token asks for conn auth again', async () => {
    const ctx = await authorized(TEST_CLIENTS.app.id, CANARY);
    await server.revoke(ctx.saved[TOKEN_FIELDS.refreshToken]);
    ctx.secrets[TOKEN_FIELDS.expiresAt] = new Date(0).toISOString();

    await expect(callApi(ctx)).rejects.toMatchObject({ code: 'auth-expired' });
  });

  test('a connection that was never authorized says so', async () => {
    const ctx = context(appSettings({ oauthGrant: 'authorization_code' }), CANARY);

    await expect(callApi(ctx)).rejects.toMatchObject({
      code: 'auth-expired',
      message: expect.stringContaining('holds no token'),
    });
  });
});

describe('the canary client secret', () => {
  test('never appears in what the schemes report themselves', () => {
    const own = contexts.flatMap((c) =>
      c.rawEvents.filter((e) => e.type === 'step' || e.type === 'note'),
    );
    expect(own.length).toBeGreaterThan(0);
    expect(JSON.stringify(own)).not.toContain(CANARY);
  });

  test('never appears in any trace event after redaction', () => {
    if (!redact) return; // src/trace/redact.ts has not landed yet
    const basic = Buffer.from(`${TEST_CLIENTS.app.id}:${CANARY}`).toString('base64');
    const all = JSON.stringify(contexts.flatMap((c) => c.events));
    expect(all).not.toContain(CANARY);
    expect(all).not.toContain(basic);
  });

  test('tokens and PKCE verifiers are redacted from the trace too', () => {
    if (!redact) return;
    const tokens = contexts.flatMap((c) => [
      c.saved[TOKEN_FIELDS.accessToken],
      c.saved[TOKEN_FIELDS.refreshToken],
    ]).filter(Boolean);
    const verifiers = contexts.flatMap((c) =>
      c.rawEvents.flatMap((e) =>
        e.type === 'request' ? [...(e.body ?? '').matchAll(/code_verifier=([^&]+)/g)].map((m) => m[1]) : [],
      ),
    );
    expect(tokens.length).toBeGreaterThan(0);
    expect(verifiers.length).toBeGreaterThan(0);
    const all = JSON.stringify(contexts.flatMap((c) => c.events));
    for (const value of [...tokens, ...verifiers]) expect(all).not.toContain(value);
  });
});
