// Every simple auth scheme against a server that checks it for real: basic,
// digest (SHA-256 and MD5), bearer, API key in a header or the query, a
// header template, cookie login (shown in the trace) and client
// certificates (PEM files, and a PFX with a passphrase).

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { adapter } from '../../src/adapters/http/index.js';
import { UsageError } from '../../src/errors.js';
import { makeCerts, type CertFiles } from '../helpers/certs.js';
import { clearProxyEnv, startHttp, startHttps, testContext, type TestServer } from '../helpers/http-servers.js';

const USER = 'ada';
const PASSWORD = 'pä55 "word"';
const TOKEN = 'tok-7f3a';
const API_KEY = 'key-91c2';
const SESSION = 'sess-5521';

let server: TestServer;
let mtls: TestServer;
let certs: CertFiles;
let restoreEnv: () => void;

type Check = (request: IncomingMessage, body: string) => boolean | 'challenge';

const checks: Record<string, Check> = {
  '/basic': (r) => r.headers.authorization === `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`,
  '/digest': (r) => checkDigest(r, ['SHA-256', 'MD5']),
  '/digest-md5': (r) => checkDigest(r, ['MD5']),
  '/bearer': (r) => r.headers.authorization === `Bearer ${TOKEN}`,
  '/key-header': (r) => r.headers['x-api-key'] === API_KEY,
  '/key-scheme': (r) => r.headers.authorization === `Token ${API_KEY}`,
  '/key-query': (r) => new URL(r.url ?? '', 'http://x').searchParams.get('key') === API_KEY,
  '/template': (r) => r.headers.authorization === `Token ${TOKEN}` && r.headers['x-user'] === USER,
  '/session': (r) => (r.headers.cookie ?? '').split('; ').includes(`sid=${SESSION}`),
};

function handle(request: IncomingMessage, response: ServerResponse, body: string): void {
  const path = new URL(request.url ?? '/', 'http://x').pathname;
  if (path === '/login') return login(request, response, body);
  const check = checks[path];
  const verdict = check ? check(request, body) : false;
  if (verdict === true) {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    return;
  }
  const headers: Record<string, string[]> = { 'content-type': ['application/json'] };
  if (verdict === 'challenge') headers['www-authenticate'] = challenges(path);
  response.writeHead(401, headers).end('{"error":{"message":"bad credentials"}}');
}

function login(request: IncomingMessage, response: ServerResponse, body: string): void {
  const sent = JSON.parse(body || '{}') as { user?: string; pass?: string };
  if (sent.user !== USER || sent.pass !== PASSWORD) {
    response.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"wrong login"}');
    return;
  }
  response.writeHead(302, {
    location: '/home',
    'set-cookie': [`sid=${SESSION}; Path=/; HttpOnly`, 'theme=dark; Path=/'],
  }).end();
}

function challenges(path: string): string[] {
  const md5 = 'Digest realm="conn test", qop="auth,auth-int", nonce="n-123", opaque="op-9", algorithm=MD5';
  if (path === '/digest-md5') return [md5];
  return [`Digest realm="conn test", qop="auth", nonce="n-456", opaque="op-9", algorithm=SHA-256`, md5];
}

// The server side of RFC 7616: recompute the response from the password.
function checkDigest(request: IncomingMessage, algorithms: string[]): boolean | 'challenge' {
  const header = request.headers.authorization ?? '';
  if (!header.startsWith('Digest ')) return 'challenge';
  const params: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/g)) {
    params[m[1]] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  if (!algorithms.includes(params.algorithm) || params.algorithm !== algorithms[0]) return false;
  const hash = (text: string) =>
    createHash(params.algorithm === 'MD5' ? 'md5' : 'sha256').update(text).digest('hex');
  const ha1 = hash(`${USER}:conn test:${PASSWORD}`);
  const ha2 = hash(`${request.method}:${request.url}`);
  const expected = hash(`${ha1}:${params.nonce}:${params.nc}:${params.cnonce}:auth:${ha2}`);
  return params.username === USER && params.uri === request.url &&
    params.opaque === 'op-9' && params.response === expected;
}

beforeAll(async () => {
  restoreEnv = clearProxyEnv();
  certs = makeCerts();
  server = await startHttp((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handle(request, response, Buffer.concat(chunks).toString()));
  });
  mtls = await startHttps(
    {
      cert: certs.read(certs.server.cert),
      key: certs.read(certs.server.key),
      ca: certs.read(certs.caCert),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (request, response) => {
      const peer = (request.socket as TLSSocket).getPeerCertificate();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ client: peer.subject?.CN ?? null }));
    },
  );
});

afterAll(async () => {
  await server.close();
  await mtls.close();
  certs.remove();
  restoreEnv();
});

function run(settings: Record<string, unknown>, secrets: Record<string, string>) {
  const ctx = testContext({ baseUrl: server.url, ...settings } as never, secrets);
  return { ctx, outcome: adapter.test(ctx) };
}

describe('header schemes', () => {
  test('basic', async () => {
    const { outcome } = run({ testPath: '/basic', auth: 'basic', username: USER }, { password: PASSWORD });
    expect(await outcome).toMatchObject({ ok: true });
  });

  test('basic with a wrong password is a credentials failure with the API message', async () => {
    const { outcome } = run({ testPath: '/basic', auth: 'basic', username: USER }, { password: 'nope' });
    const result = await outcome;
    expect(result).toMatchObject({ ok: false, failure: { class: 'credentials' } });
    expect(result.summary).toBe('401 Unauthorized: bad credentials');
  });

  test('digest prefers SHA-256 and answers the challenge once', async () => {
    const { ctx, outcome } = run({ testPath: '/digest?x=1', auth: 'digest', username: USER }, { password: PASSWORD });
    expect(await outcome).toMatchObject({ ok: true });
    expect(ctx.trace.ofType('response').map((e) => e.status)).toEqual([401, 200]);
    const second = ctx.trace.ofType('request')[1];
    expect(second.headers.find(([name]) => name === 'authorization')?.[1]).toMatch(/^Digest .*algorithm=SHA-256/);
  });

  test('digest MD5, and a wrong password stops after one retry', async () => {
    const good = run({ testPath: '/digest-md5', auth: 'digest', username: USER }, { password: PASSWORD });
    expect((await good.outcome).ok).toBe(true);
    const bad = run({ testPath: '/digest-md5', auth: 'digest', username: USER }, { password: 'nope' });
    expect(await bad.outcome).toMatchObject({ ok: false, failure: { class: 'credentials' } });
    expect(bad.ctx.trace.ofType('request')).toHaveLength(2);
  });

  test('bearer', async () => {
    expect((await run({ testPath: '/bearer', auth: 'bearer' }, { token: TOKEN }).outcome).ok).toBe(true);
  });

  test('API key in a header, default name', async () => {
    const { outcome } = run({ testPath: '/key-header', auth: 'apikey' }, { apiKey: API_KEY });
    expect((await outcome).ok).toBe(true);
  });

  test('API key in a header with a scheme', async () => {
    const settings = { testPath: '/key-scheme', auth: 'apikey', apiKeyName: 'Authorization', apiKeyScheme: 'Token' };
    expect((await run(settings, { apiKey: API_KEY }).outcome).ok).toBe(true);
  });

  test('API key in the query', async () => {
    const settings = { testPath: '/key-query?x=1', auth: 'apikey', apiKeyIn: 'query', apiKeyName: 'key' };
    const { ctx, outcome } = run(settings, { apiKey: API_KEY });
    expect((await outcome).ok).toBe(true);
    expect(ctx.trace.ofType('request')[0].url).toBe(`${server.url}/key-query?x=1&key=${API_KEY}`);
  });

  test('header template with secret and plain fields', async () => {
    const settings = {
      testPath: '/template', auth: 'template', username: USER,
      authTemplate: 'Authorization: Token {{token}}\nX-User: {{username}}',
    };
    expect((await run(settings, { token: TOKEN }).outcome).ok).toBe(true);
  });

  test('a template naming an unknown field is a usage error', async () => {
    const settings = { testPath: '/template', auth: 'template', authTemplate: 'Authorization: {{nope}}' };
    await expect(run(settings, {}).outcome).rejects.toThrow(UsageError);
  });

  test('a missing secret is a usage error naming the field', async () => {
    await expect(run({ testPath: '/bearer', auth: 'bearer' }, {}).outcome).rejects.toThrow(/'token'/);
  });
});

describe('cookie login', () => {
  const settings = {
    testPath: '/session', auth: 'cookie', username: USER, loginPath: '/login',
    loginBody: '{"user": "{{username}}", "pass": "{{password}}"}',
  };

  test('the login cookies are replayed, and the login is in the trace', async () => {
    const { ctx, outcome } = run(settings, { password: PASSWORD });
    expect(await outcome).toMatchObject({ ok: true });
    const requests = ctx.trace.ofType('request');
    expect(requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual(['POST /login', 'GET /session']);
    expect(requests[1].headers).toContainEqual(['cookie', `sid=${SESSION}; theme=dark`]);
  });

  test('a refused login is a credentials failure', async () => {
    const { outcome } = run(settings, { password: 'nope' });
    expect(await outcome).toMatchObject({
      ok: false, summary: 'login failed: 401 Unauthorized', failure: { class: 'credentials' },
    });
  });
});

describe('client certificate', () => {
  const base = () => ({ baseUrl: mtls.url, testPath: '/', auth: 'clientCert', caFile: certs.caCert,
    okWhen: { json: { path: '$.client', equals: ['client'] } } });

  test('PEM certificate and key', async () => {
    const ctx = testContext({ ...base(), certFile: certs.client.cert, keyFile: certs.client.key });
    expect(await adapter.test(ctx)).toMatchObject({ ok: true });
  });

  test('PFX with a secret passphrase', async () => {
    const ctx = testContext({ ...base(), pfxFile: certs.clientPfx }, { passphrase: certs.clientPfxPassphrase });
    expect(await adapter.test(ctx)).toMatchObject({ ok: true });
  });

  test('a certificate from a CA the server does not trust is refused', async () => {
    const ctx = testContext({ ...base(), certFile: certs.selfSigned.cert, keyFile: certs.selfSigned.key });
    const outcome = await adapter.test(ctx);
    expect(outcome.ok).toBe(false);
    expect(outcome.failure?.class).toBe('tls-client-cert-required');
    expect(outcome.failure?.hint).toMatch(/refused the client certificate/);
  });
});
