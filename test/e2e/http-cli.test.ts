// The HTTP connector end to end: the built binary against real HTTP and
// HTTPS servers on 127.0.0.1. A canary secret in every place a secret can
// live (bearer token, basic password, a secret header, an API key in the
// query) goes through create, test (human, --verbose, --json, junit), log,
// list and show, and never shows in any output, report or file. Then the
// contract around it: exit codes, statuses, untestable and untested
// connections, redirects, --max-body and the insecure warning.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { makeCerts, type CertFiles } from '../helpers/certs.js';
import { removeDir, tempDir } from '../helpers/cli.js';
import { startHttp, startHttps, type TestServer } from '../helpers/http-servers.js';
import { expectExit, jsonOf, startSession, type Session } from '../helpers/e2e-session.js';

const TOKEN = 'CANARY-bearer-7Hq2xWp';
const PASSWORD = 'CANARY-basic-Lp4Zr9k';
const HEADER_SECRET = 'CANARY-header-Mv8Kd3s';
const WORKSPACE = 'CANARY-workspace-Gc2Nf8';
const API_KEY = 'CANARY-apikey-Tn5Wq1e';
const STALE_TOKEN = 'CANARY-stale-Rb6Yu0c';
const CANARIES = [TOKEN, PASSWORD, HEADER_SECRET, WORKSPACE, API_KEY, STALE_TOKEN, `ann:${PASSWORD}`];

interface TraceEvent {
  type: string;
  method?: string;
  url?: string;
  status?: number;
  body?: string;
  bodyCut?: number;
  headers?: Array<[string, string]>;
  message?: string;
  level?: string;
}

interface TestResult {
  name: string;
  ok: boolean;
  tested: boolean;
  summary: string;
  failure?: { class: string; hint: string };
  trace: TraceEvent[];
}

interface ListedConnection {
  name: string;
  status: string;
  message: string | null;
  lastTested: string | null;
}

let http: TestServer;
let https: TestServer;
let certs: CertFiles;
const homes: string[] = [];

function newSession(): Session {
  const home = tempDir('conn-e2e-http-');
  homes.push(home);
  return startSession(home, CANARIES);
}

function send(response: ServerResponse, status: number, body: unknown,
  headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

// Each endpoint answers the way a real API would, and the ones that accept a
// secret echo it back (body and cookie), so redaction of responses is tested
// too, not only of what conn sends.
function api(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const auth = request.headers.authorization ?? '';
  const basic = `Basic ${Buffer.from(`ann:${PASSWORD}`).toString('base64')}`;
  switch (url.pathname) {
    case '/bearer':
      if (auth !== `Bearer ${TOKEN}`) return send(response, 401, { error: { message: 'bad token' } });
      return send(response, 200, { ok: true, seen: auth, token: TOKEN },
        { 'set-cookie': `session=${TOKEN}; HttpOnly` });
    case '/basic':
      if (auth !== basic) return send(response, 401, { error: { message: 'bad password' } });
      return send(response, 200, { user: 'ann', echo: PASSWORD });
    case '/header':
      if (request.headers['x-client-secret'] !== HEADER_SECRET ||
        request.headers['x-workspace'] !== WORKSPACE) {
        return send(response, 403, { error: { message: 'no client secret' } });
      }
      return send(response, 200, { received: HEADER_SECRET });
    case '/apikey':
      if (url.searchParams.get('api_key') !== API_KEY) {
        return send(response, 401, { error: { message: 'bad key' } });
      }
      return send(response, 200, { key: API_KEY });
    case '/expired':
      return send(response, 401, { error: { message: 'token expired' } },
        { 'www-authenticate': 'Bearer error="invalid_token"' });
    case '/hop1':
      response.writeHead(302, { location: '/hop2' }).end();
      return;
    case '/hop2':
      response.writeHead(301, { location: `${http.url}/ok` }).end();
      return;
    case '/ok':
      return send(response, 200, { ok: true });
    case '/big':
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('x'.repeat(20000));
      return;
    default:
      return send(response, 404, { error: { message: 'no such path' } });
  }
}

beforeAll(async () => {
  certs = makeCerts();
  http = await startHttp(api);
  https = await startHttps({
    cert: certs.read(certs.selfSigned.cert),
    key: certs.read(certs.selfSigned.key),
  }, (_request, response) => send(response, 200, { ok: true }));
});

afterAll(async () => {
  await Promise.all([http?.close(), https?.close()]);
  certs?.remove();
  for (const home of homes) removeDir(home);
});

/** `conn create http` with plain settings and, optionally, secrets on stdin. */
function createHttp(session: Session, name: string, settings: Record<string, string>,
  secrets: Record<string, string> = {}, extra: string[] = []) {
  const args = ['create', 'http', '--name', name];
  for (const [key, value] of Object.entries(settings)) args.push('--set', `${key}=${value}`);
  for (const key of Object.keys(secrets)) args.push('--secret-stdin', key);
  const input = Object.values(secrets).map((value) => `${value}\n`).join('');
  return session.conn([...args, ...extra], { input });
}

describe('a canary secret in every kind of HTTP secret', () => {
  let session: Session;
  let reportDir: string;

  beforeAll(() => {
    session = newSession();
    reportDir = tempDir('conn-e2e-report-');
    homes.push(reportDir);
  });

  test('create tests on save: each connection comes out online', async () => {
    const created = await Promise.all([
      createHttp(session, 'bearer', { baseUrl: http.url, auth: 'bearer', testPath: '/bearer' },
        { token: TOKEN }),
      createHttp(session, 'basic', { baseUrl: http.url, auth: 'basic', username: 'ann',
        testPath: '/basic' }, { password: PASSWORD }),
      createHttp(session, 'header', { baseUrl: http.url, auth: 'none', testPath: '/header' },
        // A secret header need not have a name that sounds secret.
        { secretHeaders: JSON.stringify({ 'X-Client-Secret': HEADER_SECRET,
          'X-Workspace': WORKSPACE }) }),
      createHttp(session, 'apikey', { baseUrl: http.url, auth: 'apikey', apiKeyIn: 'query',
        apiKeyName: 'api_key', testPath: '/apikey' }, { apiKey: API_KEY }, ['--json']),
    ]);
    for (const result of created) expectExit(result, 0);
    expect(created[0].stdout + created[0].stderr).toMatch(/online/);
    const json = jsonOf<{ created: { name: string }; test: TestResult }>(created[3]);
    expect(json.created.name).toBe('apikey');
    expect(json.test.ok).toBe(true);

    const list = jsonOf<ListedConnection[]>(await session.conn(['list', '--json']));
    expect(list.map((c) => [c.name, c.status]).sort()).toEqual(
      [['apikey', 'online'], ['basic', 'online'], ['bearer', 'online'], ['header', 'online']]);
  });

  test('conn test, human: a pass mark per connection, exit 0', async () => {
    const result = await session.conn(['test', 'bearer', 'basic', 'header', 'apikey']);
    expectExit(result, 0);
    for (const name of ['bearer', 'basic', 'header', 'apikey']) {
      expect(result.stdout).toMatch(new RegExp(`✓ ${name}\\s+.*200`));
    }
    expect(result.stdout).toContain('4 passed, 0 failed');
  });

  test('conn test --verbose: the trace on stderr, redacted', async () => {
    const result = await session.conn(['test', 'bearer', 'basic', 'header', 'apikey', '--verbose']);
    expectExit(result, 0);
    expect(result.stderr).toMatch(/> GET http:\/\/127\.0\.0\.1:\d+\/bearer HTTP\/1\.1/);
    expect(result.stderr).toMatch(/< HTTP\/1\.1 200/);
    expect(result.stderr).toMatch(/timings: .*total \d/);
    expect(result.stderr).toMatch(/authorization: Bearer \[REDACTED\]/i);
    expect(result.stderr).toMatch(/authorization: Basic \[REDACTED\]/i);
    expect(result.stderr).toContain('[REDACTED]');
    // The trace is on stderr; stdout keeps only the results.
    expect(result.stdout).not.toContain('> GET');
  });

  test('conn test --json: one array of results with their traces', async () => {
    const result = await session.conn(['test', 'bearer', 'basic', 'header', 'apikey', '--json']);
    expectExit(result, 0);
    const results = jsonOf<TestResult[]>(result);
    expect(results.map((r) => [r.name, r.ok])).toEqual(
      [['bearer', true], ['basic', true], ['header', true], ['apikey', true]]);
    for (const r of results) {
      const types = r.trace.map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['request', 'response', 'timing']));
    }
    const apikey = results[3].trace.find((e) => e.type === 'request');
    expect(apikey?.url).toMatch(/\/apikey\?api_key=/);
  });

  test('conn test --reporter junit --output FILE: a report without the canary', async () => {
    const report = join(reportDir, 'junit.xml');
    const result = await session.conn(['test', 'bearer', 'basic', 'header', 'apikey',
      '--reporter', 'junit', '--output', report]);
    expectExit(result, 0);
    const xml = readFileSync(report, 'utf8');
    expect(xml).toMatch(/<testsuite\b[^>]*tests="4"[^>]*failures="0"/);
    for (const name of ['bearer', 'basic', 'header', 'apikey']) {
      expect(xml).toContain(`name="${name}"`);
    }
    session.expectCleanFiles([report]);
  });

  test('conn log (human and --json), list and show keep the canary out', async () => {
    const names = ['bearer', 'basic', 'header', 'apikey'];
    await Promise.all(names.map(async (name) => {
      const [human, json, shown] = await Promise.all([
        session.conn(['log', name]),
        session.conn(['log', name, '--json', '--runs', '5']),
        session.conn(['show', name]),
      ]);
      expectExit(human, 0);
      expect(human.stdout).toContain('✓ passed');
      expect(human.stdout).toMatch(/> GET http:\/\/127\.0\.0\.1:\d+\//);
      const records = jsonOf<Array<{ connection: string; trace: TraceEvent[] }>>(json);
      expect(records.length).toBeGreaterThan(1);
      expect(records[0].connection).toBe(name);
      expectExit(shown, 0);
      expect(shown.stdout).toMatch(/online/);
    }));
    const shown = jsonOf<{ secrets: Record<string, string> }>(
      await session.conn(['show', 'basic', '--json']));
    expect(shown.secrets).toEqual({ password: 'stored' });
    const list = await session.conn(['list']);
    expect(list.stdout).toMatch(/bearer\s+http\s+universal\s+online/);
    session.expectCleanFiles();
  });
});

describe('exit codes and statuses', () => {
  let session: Session;

  beforeAll(async () => {
    session = newSession();
    await Promise.all([
      createHttp(session, 'ok', { baseUrl: http.url, testPath: '/ok' }),
      createHttp(session, 'bearer', { baseUrl: http.url, auth: 'bearer', testPath: '/bearer' },
        { token: TOKEN }),
      createHttp(session, 'expired', { baseUrl: http.url, auth: 'bearer',
        testPath: '/expired' }, { token: STALE_TOKEN }, ['--no-test']),
    ]);
  });

  test('exit 0 when every named connection passes', async () => {
    const result = await session.conn(['test', 'ok', 'bearer']);
    expectExit(result, 0);
  });

  test('--all with one 401: exit 1, the failure classed and its status offline', async () => {
    const result = await session.conn(['test', '--all', '--json']);
    expectExit(result, 1);
    const results = jsonOf<TestResult[]>(result);
    expect(results.map((r) => [r.name, r.ok]).sort()).toEqual(
      [['bearer', true], ['expired', false], ['ok', true]]);
    const expired = results.find((r) => r.name === 'expired')!;
    expect(expired.failure?.class).toBe('credentials');
    expect(expired.summary).toContain('401');
    expect(expired.summary).toContain('token expired');

    const list = jsonOf<ListedConnection[]>(await session.conn(['list', '--json']));
    const status = Object.fromEntries(list.map((c) => [c.name, c]));
    expect(status.expired.status).toBe('offline');
    expect(status.expired.message).toContain('token expired');
    expect(status.expired.lastTested).not.toBeNull();
    expect(status.ok.status).toBe('online');

    const human = await session.conn(['test', '--all']);
    expectExit(human, 1);
    expect(human.stdout).toMatch(/✗ expired\s+.*401/);
    expect(human.stdout).toContain('hint:');
    expect(human.stdout).toContain('2 passed, 1 failed');
    const table = await session.conn(['list']);
    expect(table.stdout).toMatch(/expired\s+http\s+universal\s+offline/);
  });

  test('exit 2 for an unknown name, alone or beside known ones', async () => {
    const alone = await session.conn(['test', 'nope']);
    expectExit(alone, 2);
    expect(alone.stderr).toContain('nope');
    expect(alone.stderr).toContain('conn list');
    const mixed = await session.conn(['test', 'ok', 'nope', '--json']);
    expectExit(mixed, 2);
    expect(jsonOf<{ error: { exitCode: number } }>(mixed).error.exitCode).toBe(2);
  });
});

describe('connections that have no log', () => {
  let session: Session;

  beforeAll(() => {
    session = newSession();
  });

  test('without testPath: test names the field, log says why there is none', async () => {
    const created = await createHttp(session, 'bare', { baseUrl: http.url });
    expectExit(created, 0);

    const tested = await session.conn(['test', 'bare']);
    expectExit(tested, 2);
    expect(tested.stdout + tested.stderr).toMatch(/cannot be tested/);
    expect(tested.stdout + tested.stderr).toContain('testPath');

    const logged = await session.conn(['log', 'bare']);
    expect(logged.code).not.toBe(0);
    expect(logged.stderr).toMatch(/cannot be tested/);
    expect(logged.stderr).toContain('testPath');
    expect(logged.stdout).toBe('');
  });

  test('never tested: log says so and how to test it', async () => {
    const created = await createHttp(session, 'fresh', { baseUrl: http.url, testPath: '/ok' },
      {}, ['--no-test']);
    expectExit(created, 0);
    const listed = jsonOf<ListedConnection[]>(await session.conn(['list', '--json']));
    expect(listed.find((c) => c.name === 'fresh')?.status).toBe('untested');

    const logged = await session.conn(['log', 'fresh']);
    expect(logged.code).not.toBe(0);
    expect(logged.stderr).toMatch(/never been tested/);
    expect(logged.stderr).toContain('conn test fresh');
  });
});

describe('what the trace shows', () => {
  let session: Session;

  beforeAll(async () => {
    session = newSession();
    await Promise.all([
      createHttp(session, 'hops', { baseUrl: http.url, testPath: '/hop1' }, {}, ['--no-test']),
      createHttp(session, 'big', { baseUrl: http.url, testPath: '/big' }, {}, ['--no-test']),
    ]);
  });

  test('redirects are separate request/response pairs in --json', async () => {
    const result = await session.conn(['test', 'hops', '--json']);
    expectExit(result, 0);
    const [run] = jsonOf<TestResult[]>(result);
    const exchanges = run.trace.filter((e) => e.type === 'request' || e.type === 'response')
      .map((e) => (e.type === 'request' ? `> ${new URL(e.url!).pathname}` : `< ${e.status}`));
    expect(exchanges).toEqual(['> /hop1', '< 302', '> /hop2', '< 301', '> /ok', '< 200']);

    const verbose = await session.conn(['test', 'hops', '--verbose']);
    expect(verbose.stderr.match(/^> GET /gm)).toHaveLength(3);
    expect(verbose.stderr).toMatch(/< HTTP\/1\.1 302/);
    expect(verbose.stderr).toMatch(/< HTTP\/1\.1 301/);
  });

  test('--max-body cuts bodies and says how much was cut', async () => {
    const result = await session.conn(['test', 'big', '--json', '--max-body', '100']);
    expectExit(result, 0);
    const [run] = jsonOf<TestResult[]>(result);
    const response = run.trace.find((e) => e.type === 'response')!;
    expect(response.body!.length).toBeLessThanOrEqual(100);
    expect(response.bodyCut).toBe(20000 - response.body!.length);

    const verbose = await session.conn(['test', 'big', '--verbose', '--max-body', '100']);
    expect(verbose.stderr).toMatch(/bytes.*cut/);
    expect(verbose.stderr).not.toContain('x'.repeat(101));
  });
});

describe('the insecure option', () => {
  let session: Session;
  const warning = /warning: insecure is on/;

  beforeAll(() => {
    session = newSession();
  });

  test('a self-signed server fails without it, with a TLS class', async () => {
    await createHttp(session, 'strict', { baseUrl: https.url, testPath: '/' }, {}, ['--no-test']);
    const result = await session.conn(['test', 'strict', '--json']);
    expectExit(result, 1);
    expect(jsonOf<TestResult[]>(result)[0].failure?.class).toMatch(/^tls/);
  });

  test('with insecure every test warns: create, test, --verbose, --json', async () => {
    const created = await createHttp(session, 'lax',
      { baseUrl: https.url, testPath: '/', insecure: 'true' });
    expectExit(created, 0);
    expect(created.stderr).toMatch(warning);

    for (const extra of [[], ['--verbose']]) {
      const result = await session.conn(['test', 'lax', ...extra]);
      expectExit(result, 0);
      expect(result.stderr).toMatch(warning);
    }
    const json = await session.conn(['test', 'lax', '--json']);
    const [run] = jsonOf<TestResult[]>(json);
    expect(run.ok).toBe(true);
    expect(run.trace.some((e) => e.type === 'note' && e.level === 'warn' &&
      /insecure/.test(e.message ?? ''))).toBe(true);
  });
});
