// `conn test --timeout` against servers that stall: the failure names the
// phase that stalled (first byte, body) instead of a bare timeout, and the
// command ends within the timeout plus a small grace.

import { createServer, type Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { removeDir, runConn, tempDir } from '../helpers/cli.js';

let http: Server;
let silent: net.Server;
const sockets: net.Socket[] = [];
let home: string;
const env = { CONN_SECRET_STORE: 'file', CONN_PASSPHRASE: 'pass phrase' };

beforeAll(async () => {
  home = tempDir();
  http = createServer((request, response) => {
    if (request.url === '/body') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('partial');
    }
  });
  http.on('connection', (socket) => sockets.push(socket));
  silent = net.createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const port = (silent.address() as AddressInfo).port;
  for (const [name, path] of [['first-byte', '/never'], ['body', '/body']]) {
    await runConn(['create', 'http', '--name', name, '--set', `baseUrl=${base}`, '--set', `testPath=${path}`, '--no-test'], { home, env });
  }
  await runConn(['create', 'postgres', '--name', 'pg', '--set', 'host=127.0.0.1', '--set', `port=${port}`, '--set', 'user=a',
    '--set', 'sslMode=disable', '--secret-stdin', 'password', '--no-test'], { home, env, input: 'pw' });
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => http.close(resolve));
  await new Promise((resolve) => silent.close(resolve));
  removeDir(home);
});

test('each stall is classed by its phase and the run stays bounded', async () => {
  const started = Date.now();
  const result = await runConn(['test', 'first-byte', 'body', 'pg', '--timeout', '1', '--json'], { home, env });
  expect(result.code).toBe(1);
  const classes = Object.fromEntries(
    JSON.parse(result.stdout).map((r: { name: string; failure: { class: string } }) => [r.name, r.failure.class]));
  expect(classes).toEqual({ 'first-byte': 'timeout-first-byte', body: 'timeout-body', pg: 'timeout' });
  // Not a speed check: a hung test would run until jest's own timeout.
  expect(Date.now() - started).toBeLessThan(15000);
}, 30000);
