import { describe, expect, test } from '@jest/globals';
import type { TraceEvent } from '../../src/trace/events.js';
import {
  createRedactor,
  MIN_FREE_TEXT_SECRET,
  REDACTED,
} from '../../src/trace/redact.js';

const CANARY = 'canary-7f3a9c2e-S3CRET';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const b64url = (text: string) => Buffer.from(text).toString('base64url');

describe('secret values in free text', () => {
  const redactor = createRedactor({ secrets: [CANARY] });

  test('are replaced by the marker wherever they appear', () => {
    const text = `login failed for ${CANARY}; retry with ${CANARY}!`;
    expect(redactor.text(text)).toBe(
      `login failed for ${REDACTED}; retry with ${REDACTED}!`,
    );
  });

  test.each([
    ['base64', b64(CANARY)],
    ['base64 without padding', b64(CANARY).replace(/=+$/, '')],
    ['url-safe base64', b64url(CANARY)],
    ['percent-encoded', encodeURIComponent(`${CANARY} &/`)],
    ['form-encoded', new URLSearchParams({ k: `${CANARY} x` }).toString()],
  ])('are found %s', (_, encoded) => {
    const out = redactor.text(`value: ${encoded} end`);
    expect(out).toContain(REDACTED);
    expect(out).toContain('value: ');
    expect(out).toContain(' end');
    expect(out).not.toContain(encoded);
  });

  test('are found escaped in JSON, ASCII-only JSON and XML', () => {
    const secret = 'pa"ss\\wörd<&>';
    const r = createRedactor({ secrets: [secret] });
    const forms = [
      JSON.stringify({ x: secret }),
      JSON.stringify({ x: secret }).replace('ö', '\\u00f6'),
      `<x>${secret.replace(/&/g, '&amp;').replace(/</g, '&lt;')
        .replace(/>/g, '&gt;').replace(/"/g, '&quot;')}</x>`,
    ];
    for (const form of forms) {
      const out = r.text(form);
      expect(out).toContain(REDACTED);
      expect(out).not.toContain('ss');
    }
  });

  test('are found in base64 blobs at every byte alignment', () => {
    for (const prefix of ['', 'a', 'ab', 'abc', 'abcd']) {
      const blob = b64(`{"${prefix}":"${CANARY}","more":"data here"}`);
      const out = redactor.text(`token ${blob}`);
      expect(out).toContain(REDACTED);
      for (const run of out.match(/[A-Za-z0-9+/=]+/g) ?? []) {
        for (let offset = 0; offset < 4; offset++) {
          const decoded = Buffer.from(run.slice(offset), 'base64');
          expect(decoded.toString('latin1')).not.toContain('7f3a9c2e');
        }
      }
    }
  });

  test('overlapping secrets disappear completely', () => {
    const r = createRedactor({ secrets: ['abcdef', 'defghi'] });
    expect(r.text('xx abcdefghi yy')).toBe(`xx ${REDACTED} yy`);
    expect(r.text('aaaaaaaa')).toBe('aaaaaaaa');
    const repeated = createRedactor({ secrets: ['aaaa'] });
    expect(repeated.text('baaaaab')).toBe(`b${REDACTED}b`);
  });

  test('regular expression characters in a secret are literal', () => {
    const secret = '.*+?^${}()|[]\\';
    const r = createRedactor({ secrets: [secret] });
    expect(r.text(`a ${secret} b`)).toBe(`a ${REDACTED} b`);
    expect(r.text('nothing to see')).toBe('nothing to see');
  });

  test('a secret that ends where the marker begins does not come back', () => {
    const r = createRedactor({ secrets: ['xyz['] });
    expect(r.text('xyzxyz[')).not.toContain('xyz[');
  });

  test('a secret pasted with spaces is also found trimmed', () => {
    const r = createRedactor({ secrets: [`  ${CANARY}\n`] });
    expect(r.text(`k=${CANARY}`)).toBe(`k=${REDACTED}`);
  });
});

describe('short secrets', () => {
  const redactor = createRedactor({ secrets: ['ab', '7'] });

  test(`under ${MIN_FREE_TEXT_SECRET} characters stay in running text`, () => {
    expect(redactor.text('a table about 7 cabs')).toBe('a table about 7 cabs');
  });

  test('are replaced where they are a whole value', () => {
    expect(redactor.headers([['X-Pin', 'ab']])).toEqual([['X-Pin', REDACTED]]);
    expect(redactor.url('https://h/p?pin=ab&n=7&q=abc')).toBe(
      `https://h/p?pin=${REDACTED}&n=${REDACTED}&q=abc`,
    );
    expect(redactor.body('{"pin":"ab","n":7,"q":"abc"}')).toBe(
      `{"pin":"${REDACTED}","n":"${REDACTED}","q":"abc"}`,
    );
    expect(redactor.text(`password 'ab' rejected`)).toBe(
      `password '${REDACTED}' rejected`,
    );
  });
});

describe('headers', () => {
  const redactor = createRedactor({
    secrets: [],
    headerNames: ['X-Tenant-Key'],
  });

  test('sensitive ones lose their value but keep the auth scheme', () => {
    const out = redactor.headers([
      ['Authorization', 'Bearer eyJhbGciOi.x.y'],
      ['proxy-authorization', 'Basic dXNlcjpwYXNz'],
      ['AUTHORIZATION', 'opaque-value'],
      ['X-Api-Key', 'k-123'],
      ['Api-Key', 'k-456'],
      ['x-tenant-key', 'tenant'],
      ['X-Auth-Token', 'tok'],
      ['Accept', 'application/json'],
    ]);
    expect(out).toEqual([
      ['Authorization', `Bearer ${REDACTED}`],
      ['proxy-authorization', `Basic ${REDACTED}`],
      ['AUTHORIZATION', REDACTED],
      ['X-Api-Key', REDACTED],
      ['Api-Key', REDACTED],
      ['x-tenant-key', REDACTED],
      ['X-Auth-Token', REDACTED],
      ['Accept', 'application/json'],
    ]);
  });

  test('cookies keep their names and attributes', () => {
    const out = redactor.headers([
      ['Cookie', 'sid=abc; theme=dark'],
      ['Set-Cookie', 'sid=abc; Path=/; HttpOnly; SameSite=Lax'],
    ]);
    expect(out).toEqual([
      ['Cookie', `sid=${REDACTED}; theme=${REDACTED}`],
      ['Set-Cookie', `sid=${REDACTED}; Path=/; HttpOnly; SameSite=Lax`],
    ]);
  });

  test('challenges stay readable', () => {
    const challenge = 'Bearer realm="api", error="invalid_token"';
    expect(redactor.headers([['WWW-Authenticate', challenge]])).toEqual([
      ['WWW-Authenticate', challenge],
    ]);
  });

  test('a redirect loses its authorization code', () => {
    const location = 'https://app/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz';
    expect(redactor.headers([['Location', location]])).toEqual([
      ['Location', `https://app/cb?code=${REDACTED}&state=xyz`],
    ]);
  });

  test('the input is not changed', () => {
    const headers: Array<[string, string]> = [['Authorization', 'Bearer x']];
    redactor.headers(headers);
    expect(headers).toEqual([['Authorization', 'Bearer x']]);
  });
});

describe('URLs', () => {
  const redactor = createRedactor({ secrets: [], paramNames: ['tenantPin'] });

  test('sensitive query parameters lose their values, any case', () => {
    const url =
      'https://h/p?Access_Token=a1&client_secret=s&q=books&API_KEY=k' +
      '&key=g&tenant_pin=9&password=&state=st';
    expect(redactor.url(url)).toBe(
      `https://h/p?Access_Token=${REDACTED}&client_secret=${REDACTED}` +
        `&q=books&API_KEY=${REDACTED}&key=${REDACTED}` +
        `&tenant_pin=${REDACTED}&password=&state=st`,
    );
  });

  test('the password in userinfo goes, the user stays', () => {
    expect(redactor.url('postgres://app:pw@db:5432/x')).toBe(
      `postgres://app:${REDACTED}@db:5432/x`,
    );
  });

  test('an implicit-flow fragment loses its token', () => {
    expect(redactor.url('https://app/#access_token=abc&token_type=bearer'))
      .toBe(`https://app/#access_token=${REDACTED}&token_type=bearer`);
  });

  test('a secret in the path is replaced', () => {
    const r = createRedactor({ secrets: ['123456:ABC-def'] });
    expect(r.url('https://api.telegram.org/bot123456:ABC-def/getMe')).toBe(
      `https://api.telegram.org/bot${REDACTED}/getMe`,
    );
  });
});

describe('bodies', () => {
  const redactor = createRedactor({ secrets: [] });

  test('JSON keys are redacted at any depth, layout kept', () => {
    const body = JSON.stringify(
      {
        user: 'bob',
        auth: { password: 'pw', otp: 123456 },
        tokens: [{ refresh_token: 'r1', token_type: 'Bearer' }],
        accessToken: 'a1',
        session: { id: 's', user: { name: 'x' } },
        error: { code: 401, message: 'no' },
      },
      null,
      2,
    );
    const out = redactor.body(body, 'application/json');
    const parsed = JSON.parse(out);
    expect(parsed.user).toBe('bob');
    expect(parsed.auth).toEqual({ password: REDACTED, otp: REDACTED });
    expect(parsed.tokens[0]).toEqual({
      refresh_token: REDACTED,
      token_type: 'Bearer',
    });
    expect(parsed.accessToken).toBe(REDACTED);
    expect(parsed.session).toEqual({ id: REDACTED, user: { name: REDACTED } });
    expect(parsed.error).toEqual({ code: 401, message: 'no' });
    expect(out.split('\n').length).toBe(body.split('\n').length);
  });

  test('error codes stay readable, authorization codes do not', () => {
    const out = redactor.body(
      '[{"code":"invalid_grant"},{"code":"PERMISSION_DENIED"},' +
        '{"code":"SplxlOBeZQQYbYS6WxSbIA"},{"code":"4f9a1c"}]',
    );
    expect(JSON.parse(out)).toEqual([
      { code: 'invalid_grant' },
      { code: 'PERMISSION_DENIED' },
      { code: REDACTED },
      { code: REDACTED },
    ]);
  });

  test('a body cut in the middle of a value is still redacted', () => {
    const out = redactor.body('{"id":1,"access_token":"eyJhbGciOiJSUzI1', '');
    expect(out).toBe(`{"id":1,"access_token":"${REDACTED}"`);
    const cutInKey = redactor.body('{"refresh_token":"abc","pass');
    expect(cutInKey).toBe(`{"refresh_token":"${REDACTED}","pass`);
  });

  test('escaped quotes inside a value do not end it early', () => {
    const out = redactor.body('{"password":"p\\"w\\"d","x":1}');
    expect(out).toBe(`{"password":"${REDACTED}","x":1}`);
  });

  test('JSON in an HTML page and JSON inside a JSON string', () => {
    const html = '<pre>{"client_secret": "cs-1", "ok": true}</pre>';
    expect(redactor.body(html, 'text/html')).toBe(
      `<pre>{"client_secret": "${REDACTED}", "ok": true}</pre>`,
    );
    const nested = JSON.stringify({ raw: JSON.stringify({ token: 't-1' }) });
    const out = redactor.body(nested);
    expect(out).not.toContain('t-1');
    expect(JSON.parse(JSON.parse(out).raw)).toEqual({ token: REDACTED });
  });

  test('form bodies', () => {
    const body =
      'grant_type=refresh_token&refresh_token=r%2B1&client_id=app' +
      '&client_secret=s+1&scope=read';
    expect(redactor.body(body, 'application/x-www-form-urlencoded')).toBe(
      `grant_type=refresh_token&refresh_token=${REDACTED}&client_id=app` +
        `&client_secret=${REDACTED}&scope=read`,
    );
  });

  test('XML elements', () => {
    const body =
      '<Envelope><wsse:Password Type="t">pw</wsse:Password>' +
      '<User>bob</User></Envelope>';
    expect(redactor.body(body, 'text/xml')).toBe(
      `<Envelope><wsse:Password Type="t">${REDACTED}</wsse:Password>` +
        '<User>bob</User></Envelope>',
    );
  });

  test('key=value in plain text', () => {
    expect(redactor.text('bad refresh_token=abc123 for code=ENOTFOUND')).toBe(
      `bad refresh_token=${REDACTED} for code=ENOTFOUND`,
    );
  });
});

describe('basic credential pairs', () => {
  test('are found base64-encoded anywhere', () => {
    const r = createRedactor({ secrets: [], pairs: [['bob', 'pw']] });
    const encoded = b64('bob:pw');
    const out = r.event({
      type: 'request',
      at: 0,
      method: 'GET',
      url: `https://h/?auth=${encodeURIComponent(encoded)}`,
      headers: [['X-Forwarded-Auth', `Basic ${encoded}`]],
      body: `{"note":"${encoded}"}`,
    });
    expect(JSON.stringify(out)).not.toContain(encoded);
    expect(JSON.stringify(out)).not.toContain(encodeURIComponent(encoded));
  });
});

describe('events', () => {
  const redactor = createRedactor({ secrets: [CANARY] });

  test('every kind of event is redacted and the input left alone', () => {
    const events: TraceEvent[] = [
      {
        type: 'request',
        at: 1,
        method: 'POST',
        url: `https://h/x?q=${CANARY}`,
        headers: [['X-Echo', CANARY]],
        body: `{"a":"${CANARY}"}`,
      },
      {
        type: 'response',
        at: 2,
        status: 401,
        statusText: `bad ${CANARY}`,
        headers: [['Content-Type', 'application/json']],
        body: `{"echo":"${CANARY}"}`,
      },
      {
        type: 'step',
        at: 3,
        name: 'auth',
        detail: `as ${CANARY}`,
        data: { user: 'bob', echo: CANARY, password: 'x', port: 5432 },
      },
      { type: 'note', at: 4, level: 'warn', message: `saw ${CANARY}` },
      { type: 'error', at: 5, message: `failed: ${CANARY}`, code: 'E' },
      { type: 'timing', at: 6, phases: { dns: 1, total: 2 } },
    ];
    const before = JSON.stringify(events);
    const out = events.map((event) => redactor.event(event));
    expect(JSON.stringify(events)).toBe(before);
    expect(JSON.stringify(out)).not.toContain(CANARY);
    expect(out[2]).toMatchObject({
      data: { user: 'bob', echo: REDACTED, password: REDACTED, port: 5432 },
    });
    expect(out[5]).toEqual(events[5]);
  });

  test('outcomes are redacted too', () => {
    const out = redactor.outcome({
      ok: false,
      summary: `401 ${CANARY}`,
      failure: { class: 'credentials', hint: `check ${CANARY}` },
      details: { status: 401, echo: CANARY },
    });
    expect(JSON.stringify(out)).not.toContain(CANARY);
    expect(out.details).toEqual({ status: 401, echo: REDACTED });
  });

  test('extend teaches a new secret without forgetting the old', () => {
    const more = redactor.extend({ secrets: ['token-obtained-later'] });
    expect(more.text(`${CANARY} token-obtained-later`)).toBe(
      `${REDACTED} ${REDACTED}`,
    );
    expect(redactor.text('token-obtained-later')).toBe('token-obtained-later');
  });
});
