// Each failure class the HTTP adapter names, produced for real: a name that
// does not resolve, a closed port, servers that stall or reset, TLS
// certificates that are wrong in each way, failing statuses, a body far
// larger than the cap, and a proxy that wants credentials.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Socket } from 'node:net';
import { adapter } from '../../src/adapters/http/index.js';
import { makeCerts, type CertFiles } from '../helpers/certs.js';
import {
  clearProxyEnv,
  startHttp,
  startHttps,
  startProxy,
  startTcp,
  testContext,
  type TestServer,
} from '../helpers/http-servers.js';

let certs: CertFiles;
let restoreEnv: () => void;
const servers: TestServer[] = [];

async function keep<T extends TestServer>(server: Promise<T>): Promise<T> {
  const started = await server;
  servers.push(started);
  return started;
}

beforeAll(() => {
  restoreEnv = clearProxyEnv();
  certs = makeCerts();
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  certs.remove();
  restoreEnv();
});

async function testUrl(baseUrl: string, settings = {}, secrets = {}, timeoutMs = 5000) {
  const ctx = testContext({ baseUrl, testPath: '/', ...settings }, secrets, { timeoutMs });
  const started = Date.now();
  const outcome = await adapter.test(ctx);
  return { ctx, outcome, ms: Date.now() - started };
}

describe('network', () => {
  test('a name under .invalid fails fast as dns', async () => {
    const { outcome, ms } = await testUrl('http://conn-test.invalid');
    expect(outcome).toMatchObject({ ok: false, failure: { class: 'dns' } });
    expect(outcome.summary).toContain('host name not found');
    expect(ms).toBeLessThan(3000);
  });

  test('a closed port is refused', async () => {
    const server = await startHttp(() => undefined);
    const { port } = server;
    await server.close();
    const { outcome, ctx } = await testUrl(`http://127.0.0.1:${port}`);
    expect(outcome).toMatchObject({ ok: false, failure: { class: 'refused' } });
    expect(outcome.failure!.hint).toMatch(/port/);
    expect(ctx.trace.ofType('error')[0].code).toBe('ECONNREFUSED');
  });
});

describe('timeouts', () => {
  test('a TLS handshake that never comes is a connect timeout', async () => {
    const server = await keep(startTcp(() => undefined, 'https'));
    const { outcome, ms } = await testUrl(server.url, {}, {}, 400);
    expect(outcome).toMatchObject({ ok: false, failure: { class: 'timeout-connect' } });
    expect(ms).toBeLessThan(3000);
  });

  test('a server that takes the request and stalls is a first-byte timeout', async () => {
    const server = await keep(startTcp((socket) => socket.resume()));
    const { outcome } = await testUrl(server.url, {}, {}, 400);
    expect(outcome).toMatchObject({ ok: false, failure: { class: 'timeout-first-byte' } });
  });

  test('a body that stops arriving is a body timeout', async () => {
    const server = await keep(startHttp((_, response) => {
      response.writeHead(200, { 'content-length': '1000' });
      response.write('x'.repeat(10));
    }));
    const { outcome, ctx } = await testUrl(server.url, {}, {}, 400);
    expect(outcome).toMatchObject({ ok: false, failure: { class: 'timeout-body' } });
    expect(ctx.trace.ofType('note').map((n) => n.message).join()).toContain('10 bytes');
  });
});

describe('broken answers', () => {
  test('a reset in the middle of the body', async () => {
    const server = await keep(startTcp((socket: Socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n' + 'y'.repeat(1000));
        setTimeout(() => socket.resetAndDestroy(), 30);
      });
    }));
    const { outcome } = await testUrl(server.url);
    expect(outcome).toMatchObject({ ok: false, failure: { class: 'reset' } });
    expect(outcome.summary).toContain('mid-body');
  });

  test('a body far larger than the cap stops early, memory stays bounded', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'z');
    let sent = 0;
    const server = await keep(startHttp((_, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(2 ** 30) });
      const pump = () => {
        // Bounded: at most the announced 1 GiB, stopping when the client goes.
        while (sent < 2 ** 30 && !response.destroyed) {
          sent += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
      };
      pump();
    }));
    const before = process.memoryUsage();
    const { outcome, ctx } = await testUrl(server.url, { maxResponseBytes: 1024 * 1024 });
    const after = process.memoryUsage();
    expect(outcome).toMatchObject({ ok: false, failure: { class: 'too-large' } });
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    const grown = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
    expect(grown).toBeLessThan(32 * 1024 * 1024);
    expect(ctx.trace.ofType('response')[0].body).toHaveLength(4096);
  });
});

describe('statuses', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await keep(startHttp((request, response) => {
      const status = Number(request.url?.slice(1));
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (status === 429) headers['retry-after'] = '30';
      response.writeHead(status, headers);
      response.end(JSON.stringify({ message: `said ${status}` }));
    }));
  });

  test.each([
    [401, 'credentials'],
    [403, 'permissions'],
    [404, 'not-found'],
    [407, 'proxy-auth'],
    [429, 'rate-limited'],
    [500, 'server-error'],
    [503, 'server-error'],
  ])('%i is %s, with the API message', async (status, kind) => {
    const { outcome } = await testUrl(server.url, { testPath: `/${status}` });
    expect(outcome).toMatchObject({ ok: false, failure: { class: kind }, details: { status } });
    expect(outcome.summary).toContain(`${status} `);
    expect(outcome.summary).toContain(`said ${status}`);
    expect(outcome.failure!.hint.length).toBeGreaterThan(20);
  });

  test('429 shows Retry-After in the summary', async () => {
    const { outcome } = await testUrl(server.url, { testPath: '/429' });
    expect(outcome.summary).toBe('429 Too Many Requests (Retry-After: 30): said 429');
  });
});

describe('TLS', () => {
  const hello = (_: unknown, response: import('node:http').ServerResponse) => response.end('hello');
  const serve = (pair: { cert: string; key: string }, extra = {}) =>
    keep(startHttps({ cert: certs.read(pair.cert), key: certs.read(pair.key), ...extra }, hello));

  test('a certificate from the private CA passes with caFile', async () => {
    const server = await serve(certs.server);
    expect((await testUrl(server.url, { caFile: certs.caCert })).outcome.ok).toBe(true);
  });

  test('the same without caFile is an unknown CA', async () => {
    const server = await serve(certs.server);
    const { outcome } = await testUrl(server.url);
    expect(outcome.failure?.class).toBe('tls-unknown-ca');
  });

  test('self-signed', async () => {
    const server = await serve(certs.selfSigned);
    expect((await testUrl(server.url)).outcome.failure?.class).toBe('tls-self-signed');
  });

  test('expired', async () => {
    const server = await serve(certs.expired);
    const { outcome } = await testUrl(server.url, { caFile: certs.caCert });
    expect(outcome.failure?.class).toBe('tls-expired');
  });

  test('wrong host name', async () => {
    const server = await serve(certs.wrongHost);
    const { outcome } = await testUrl(server.url, { caFile: certs.caCert });
    expect(outcome.failure?.class).toBe('tls-hostname');
  });

  test('insecure passes a self-signed server and warns every time', async () => {
    const server = await serve(certs.selfSigned);
    for (let run = 0; run < 2; run++) {
      const { outcome, ctx } = await testUrl(server.url, { insecure: true });
      expect(outcome.ok).toBe(true);
      const warnings = ctx.trace.ofType('note').filter((n) => n.level === 'warn');
      expect(warnings[0].message).toMatch(/insecure/);
    }
  });

  test('a server that requires a client certificate', async () => {
    const server = await serve(certs.server, {
      requestCert: true, rejectUnauthorized: true, ca: certs.read(certs.caCert),
    });
    const { outcome } = await testUrl(server.url, { caFile: certs.caCert });
    expect(outcome.failure?.class).toBe('tls-client-cert-required');
  });

  test('a missing CA file is the user\'s input error', async () => {
    await expect(testUrl('https://127.0.0.1:1', { caFile: '/nonexistent/ca.pem' }))
      .rejects.toThrow(/caFile '\/nonexistent\/ca.pem' cannot be read/);
  });
});

describe('proxy from the environment', () => {
  let target: TestServer;
  beforeAll(async () => {
    target = await keep(startHttp((_, response) => response.end('{"ok":true}')));
  });

  const withEnv = async (env: Record<string, string>, run: () => Promise<void>) => {
    Object.assign(process.env, env);
    try {
      await run();
    } finally {
      for (const name of Object.keys(env)) delete process.env[name];
    }
  };

  test('wrong proxy credentials give 407, classed proxy-auth', async () => {
    const proxy = await keep(startProxy('puser', 'ppass'));
    const proxyUrl = `http://puser:nope@127.0.0.1:${proxy.port}`;
    await withEnv({ HTTP_PROXY: proxyUrl }, async () => {
      const { outcome, ctx } = await testUrl(target.url);
      expect(outcome.failure?.class).toBe('proxy-auth');
      expect(proxy.refused).toBe(1);
      const step = ctx.trace.ofType('step').find((s) => s.name === 'proxy');
      expect(step?.detail).not.toContain('nope');
    });
  });

  test('right credentials go through the proxy', async () => {
    const proxy = await keep(startProxy('puser', 'ppass'));
    await withEnv({ HTTP_PROXY: `http://puser:ppass@127.0.0.1:${proxy.port}` }, async () => {
      expect((await testUrl(target.url)).outcome.ok).toBe(true);
      expect(proxy.served).toBe(1);
    });
  });

  test('NO_PROXY sends the request direct', async () => {
    const proxy = await keep(startProxy('puser', 'ppass'));
    const env = { HTTP_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: '127.0.0.1' };
    await withEnv(env, async () => {
      expect((await testUrl(target.url)).outcome.ok).toBe(true);
      expect(proxy.served + proxy.refused).toBe(0);
    });
  });
});
