// Application connectors are data over the HTTP adapter: Slack's auth.test
// answers 200 with {"ok": false} for a bad token, and the connector's
// failWhen rule must turn that into a failure with Slack's own error.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expectNoCanary, filesUnder, removeDir, runConn, tempDir } from '../helpers/cli.js';

const GOOD = 'xoxb-CANARY-good-token';
const BAD = 'xoxb-CANARY-bad-token';
let server: Server;
let baseUrl: string;
let home: string;
const env = { CONN_SECRET_STORE: 'file', CONN_PASSPHRASE: 'pass phrase' };

beforeAll(async () => {
  server = createServer((request, response) => {
    const ok = request.url === '/api/auth.test' && request.headers.authorization === `Bearer ${GOOD}`;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(ok ? { ok: true, team: 'conn' } : { ok: false, error: 'invalid_auth' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  home = tempDir();
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  removeDir(home);
});

test('slack: a good token is online, a 200 with ok:false is offline with the API error', async () => {
  const good = await runConn(['create', 'slack', '--name', 'slack-good', '--set', `baseUrl=${baseUrl}`, '--secret-stdin', 'token'],
    { home, env, input: GOOD });
  expect(good.code).toBe(0);
  expect(good.stdout).toContain('online');

  const bad = await runConn(['create', 'slack', '--name', 'slack-bad', '--set', `baseUrl=${baseUrl}`, '--secret-stdin', 'token'],
    { home, env, input: BAD });
  expect(bad.code).toBe(1);
  const tested = await runConn(['test', 'slack-bad', '--json'], { home, env });
  expect(tested.code).toBe(1);
  const [result] = JSON.parse(tested.stdout);
  expect(result.failure.class).toBe('rule');
  expect(result.summary).toContain('invalid_auth');

  const places: Record<string, string | Buffer> = { good: good.stdout + good.stderr, bad: bad.stdout + bad.stderr, tested: tested.stdout + tested.stderr };
  for (const file of filesUnder(home)) places[file.path] = file.content;
  expectNoCanary('CANARY', places);
});

test('the applications group lists the built-in apps', async () => {
  const groups = JSON.parse((await runConn(['connectors', '--category', 'application', '--json'], { home, env })).stdout);
  const ids = groups.flatMap((g: { connectors: Array<{ id: string }> }) => g.connectors.map((c) => c.id));
  expect(ids).toEqual(expect.arrayContaining(['github', 'slack', 'stripe']));
});
