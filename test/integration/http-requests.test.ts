// The HTTP adapter against a real server on 127.0.0.1: the test request,
// every kind of success rule, redirects, chunked and compressed bodies, and
// what the trace records of them.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { adapter } from '../../src/adapters/http/index.js';
import { UsageError } from '../../src/errors.js';
import { clearProxyEnv, startHttp, testContext, type TestServer } from '../helpers/http-servers.js';

let server: TestServer;
let other: TestServer;
let restoreEnv: () => void;

type Route = (request: IncomingMessage, response: ServerResponse, body: string) => void;

const json = (status: number, value: unknown, headers = {}): Route => (_, response) => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(value));
};

const routes: Record<string, Route> = {
  '/api/ok': json(200, { ok: true, items: [{ id: 7, state: 'live' }] }),
  '/api/not-ok': json(200, { ok: false, status: 'error', error: { message: 'tenant suspended' } }),
  '/api/created': json(201, { id: 1 }),
  '/api/echo': (request, response, body) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ method: request.method, headers: request.headers, body, url: request.url }));
  },
  '/api/teapot': json(418, { detail: 'short and stout' }),
  '/api/chunked': (_, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write('{"ok":');
    setTimeout(() => response.end('true}'), 20);
  },
  '/api/gzip': compressed('gzip', gzipSync),
  '/api/br': compressed('br', brotliCompressSync),
  '/api/deflate': compressed('deflate', deflateSync),
  '/api/big-text': (_, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('x'.repeat(10000));
  },
  '/api/move': redirect(302, '/api/ok'),
  '/api/post-move': redirect(303, '/api/echo'),
  '/api/keep-move': redirect(307, '/api/echo'),
  '/api/loop-a': redirect(302, '/api/loop-b'),
  '/api/loop-b': redirect(302, '/api/loop-a'),
};

function compressed(coding: string, compress: (data: Buffer) => Buffer): Route {
  return (_, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding });
    response.end(compress(Buffer.from(JSON.stringify({ ok: true, coding }))));
  };
}

function redirect(status: number, location: string): Route {
  return (_, response) => {
    response.writeHead(status, { location });
    response.end();
  };
}

beforeAll(async () => {
  restoreEnv = clearProxyEnv();
  server = await startHttp((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://x');
      if (url.pathname.startsWith('/hop/')) {
        const n = Number(url.pathname.slice(5));
        redirect(302, `/hop/${n + 1}`)(request, response, '');
        return;
      }
      if (url.pathname === '/api/away') {
        redirect(302, `${other.url}/seen`)(request, response, '');
        return;
      }
      const route = routes[url.pathname] ?? json(404, { message: 'no such route' });
      route(request, response, Buffer.concat(chunks).toString());
    });
  });
  other = await startHttp((request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ authorization: request.headers.authorization ?? null }));
  });
});

afterAll(async () => {
  await server.close();
  await other.close();
  restoreEnv();
});

function run(settings: Record<string, unknown>, secrets = {}) {
  const ctx = testContext({ baseUrl: `${server.url}/api`, ...settings } as never, secrets);
  return { ctx, outcome: adapter.test(ctx) };
}

describe('testability', () => {
  test('without testPath the connection cannot be tested, and says which field to set', () => {
    const result = adapter.testability({ baseUrl: 'https://x' }, testContext({}).connector);
    expect(result).toMatchObject({ testable: false, fields: ['testPath'] });
  });

  test('with testPath it can', () => {
    expect(adapter.testability({ testPath: '/me' }, testContext({}).connector)).toEqual({ testable: true });
  });
});

describe('rules', () => {
  test('no rules: any 2xx passes', async () => {
    const outcome = await run({ testPath: '/created' }).outcome;
    expect(outcome).toMatchObject({ ok: true, summary: '201 Created', details: { status: 201 } });
  });

  test('no rules: a non-2xx fails with the API message', async () => {
    const outcome = await run({ testPath: '/teapot' }).outcome;
    expect(outcome.ok).toBe(false);
    expect(outcome.summary).toBe("418 I'm a Teapot: short and stout");
  });

  test('okWhen status list: the listed status passes, others fail as rule', async () => {
    expect((await run({ testPath: '/teapot', okWhen: { status: [418] } }).outcome).ok).toBe(true);
    const outcome = await run({ testPath: '/created', okWhen: { status: [200] } }).outcome;
    expect(outcome).toMatchObject({ ok: false, failure: { class: 'rule' } });
    expect(outcome.summary).toContain('okWhen not met: status 201 (expected 200)');
  });

  test('okWhen status pattern "2xx"', async () => {
    expect((await run({ testPath: '/created', okWhen: { status: ['2xx'] } }).outcome).ok).toBe(true);
  });

  test('okWhen json equals, with a path into an array', async () => {
    const okWhen = { status: [200], json: { path: '$.items[0].state', equals: ['live'] } };
    const outcome = await run({ testPath: '/ok', okWhen }).outcome;
    expect(outcome).toMatchObject({ ok: true, summary: '200 OK (okWhen: status 200, $.items[0].state = "live")' });
  });

  test('okWhen json not met fails as rule, with errorPath message', async () => {
    const okWhen = { json: { path: '$.ok', equals: [true] } };
    const outcome = await run({ testPath: '/not-ok', okWhen, errorPath: '$.error.message' }).outcome;
    expect(outcome).toMatchObject({ ok: false, failure: { class: 'rule' } });
    expect(outcome.summary).toBe('200 OK: okWhen not met: $.ok = false (expected true): tenant suspended');
  });

  test('okWhen exists / missing', async () => {
    const exists = { json: { path: '$.items', exists: true } };
    expect((await run({ testPath: '/ok', okWhen: exists }).outcome).ok).toBe(true);
    const missing = { json: { path: '$.nothing' } };
    const outcome = await run({ testPath: '/ok', okWhen: missing }).outcome;
    expect(outcome.summary).toContain('$.nothing is missing');
  });

  test('failWhen fails a 2xx', async () => {
    const failWhen = { json: { path: '$.status', equals: ['error', 'denied'] } };
    const outcome = await run({ testPath: '/not-ok', failWhen }).outcome;
    expect(outcome).toMatchObject({ ok: false, failure: { class: 'rule' } });
    expect(outcome.summary).toBe('200 OK: failWhen met: $.status = "error": tenant suspended');
  });

  test('failWhen that does not match lets the 2xx pass', async () => {
    const failWhen = { json: { path: '$.status', equals: ['error'] } };
    expect((await run({ testPath: '/ok', failWhen }).outcome).ok).toBe(true);
  });

  test('a list of rules holds when any rule does', async () => {
    const okWhen = [{ status: [204] }, { json: { path: '$.ok', equals: true } }];
    expect((await run({ testPath: '/ok', okWhen }).outcome).ok).toBe(true);
  });

  test('a rule given as JSON text works too', async () => {
    expect((await run({ testPath: '/ok', okWhen: '{"status":[200]}' }).outcome).ok).toBe(true);
  });

  test('a json rule on a non-JSON body says so', async () => {
    const okWhen = { json: { path: '$.ok', equals: [true] } };
    const outcome = await run({ testPath: '/big-text', okWhen }).outcome;
    expect(outcome.summary).toContain('the body is not JSON');
  });

  test('a malformed rule is a usage error naming the field', async () => {
    await expect(run({ testPath: '/ok', okWhen: { stauts: [200] } }).outcome).rejects.toThrow(UsageError);
    await expect(run({ testPath: '/ok', okWhen: { json: { path: 'ok' } } }).outcome)
      .rejects.toThrow(/okWhen/);
  });
});

describe('the request', () => {
  test('method, headers, test headers, secret headers and a JSON body are sent', async () => {
    const { ctx, outcome } = run(
      {
        testPath: '/echo?x=1',
        testMethod: 'POST',
        headers: { 'X-Tenant': 'acme' },
        testHeaders: { 'X-Test': 'yes' },
        testBody: { hello: 'world' },
        okWhen: [
          { json: [{ path: '$.method', equals: ['POST'] }, { path: '$.body', equals: ['{"hello":"world"}'] },
            { path: '$.headers.x-tenant', equals: ['acme'] }, { path: "$.headers['x-secret']", equals: ['s3'] },
            { path: "$.headers['content-type']", equals: ['application/json'] }, { path: '$.url', equals: ['/api/echo?x=1'] }] },
        ],
      },
      { secretHeaders: '{"X-Secret": "s3"}' },
    );
    const result = await outcome;
    expect(result.summary).toContain('200 OK');
    expect(result.ok).toBe(true);
    const [request] = ctx.trace.ofType('request');
    expect(request.url).toBe(`${server.url}/api/echo?x=1`);
    expect(request.headers).toEqual(expect.arrayContaining([['x-secret', 's3'], ['x-test', 'yes']]));
    expect(request.body).toBe('{"hello":"world"}');
  });
});

describe('bodies', () => {
  test('a chunked body is read whole', async () => {
    const { ctx, outcome } = run({ testPath: '/chunked', okWhen: { json: { path: '$.ok', equals: [true] } } });
    expect((await outcome).ok).toBe(true);
    expect(ctx.trace.ofType('response')[0].headers).toContainEqual(['transfer-encoding', 'chunked']);
  });

  test.each(['gzip', 'br', 'deflate'])('a %s body is decoded for rules and the trace', async (coding) => {
    const { ctx, outcome } = run({ testPath: `/${coding}`, okWhen: { json: { path: '$.coding', equals: [coding] } } });
    expect((await outcome).ok).toBe(true);
    expect(ctx.trace.ofType('response')[0].body).toBe(`{"ok":true,"coding":"${coding}"}`);
  });

  test('the trace cuts a body at maxBodyBytes and counts the bytes cut', async () => {
    const ctx = testContext({ baseUrl: `${server.url}/api`, testPath: '/big-text' }, {}, { maxBodyBytes: 100 });
    expect((await adapter.test(ctx)).ok).toBe(true);
    const [response] = ctx.trace.ofType('response');
    expect(response.body).toHaveLength(100);
    expect(response.bodyCut).toBe(9900);
    expect(response.bodySize).toBe(10000);
  });

  test('timings are real numbers', async () => {
    const { ctx, outcome } = run({ testPath: '/ok' });
    await outcome;
    const [timing] = ctx.trace.ofType('timing');
    expect(timing.phases.connect).toBeGreaterThanOrEqual(0);
    expect(timing.phases.firstByte).toBeGreaterThan(0);
    expect(timing.phases.total).toBeGreaterThanOrEqual(timing.phases.firstByte!);
  });

  test('a host name gets a DNS timing', async () => {
    const ctx = testContext({ baseUrl: `http://localhost:${server.port}/api`, testPath: '/ok' });
    expect((await adapter.test(ctx)).ok).toBe(true);
    expect(ctx.trace.ofType('timing')[0].phases.dns).toBeGreaterThanOrEqual(0);
  });
});

describe('redirects', () => {
  test('each hop is its own request/response pair', async () => {
    const { ctx, outcome } = run({ testPath: '/move' });
    expect(await outcome).toMatchObject({ ok: true, details: { redirects: 1, url: `${server.url}/api/ok` } });
    expect(ctx.trace.ofType('request').map((e) => e.url)).toEqual([`${server.url}/api/move`, `${server.url}/api/ok`]);
    expect(ctx.trace.ofType('response').map((e) => e.status)).toEqual([302, 200]);
  });

  test('303 turns a POST into a GET without body; 307 keeps both', async () => {
    const get = run({ testPath: '/post-move', testMethod: 'POST', testBody: 'a=1',
      okWhen: { json: [{ path: '$.method', equals: ['GET'] }, { path: '$.body', equals: [''] }] } });
    expect((await get.outcome).ok).toBe(true);
    const keep = run({ testPath: '/keep-move', testMethod: 'POST', testBody: 'a=1',
      okWhen: { json: [{ path: '$.method', equals: ['POST'] }, { path: '$.body', equals: ['a=1'] }] } });
    expect((await keep.outcome).ok).toBe(true);
  });

  test('a loop is named as one', async () => {
    const outcome = await run({ testPath: '/loop-a' }).outcome;
    expect(outcome).toMatchObject({ ok: false, failure: { class: 'redirect-loop' } });
    expect(outcome.summary).toMatch(/^302 Found: redirect loop: GET .*loop-a again/);
  });

  test('more than 10 redirects stop', async () => {
    const ctx = testContext({ baseUrl: server.url, testPath: '/hop/0' });
    const outcome = await adapter.test(ctx);
    expect(outcome).toMatchObject({ ok: false, failure: { class: 'redirect-loop' } });
    expect(outcome.summary).toContain('more than 10 redirects');
    expect(ctx.trace.ofType('request')).toHaveLength(11);
  });

  test('credentials do not follow a redirect to another origin', async () => {
    const okWhen = { json: { path: '$.authorization', equals: [null] } };
    const outcome = await run({ testPath: '/away', auth: 'bearer', okWhen }, { token: 'tok-123' }).outcome;
    expect(outcome.ok).toBe(true);
  });
});
