// Real servers on 127.0.0.1 for the HTTP adapter's tests, each on a port the
// system picks and closed by the test that started it: plain HTTP, HTTPS,
// raw TCP (for stalls and resets) and a small forward proxy that wants
// Proxy-Authorization. Also a trace sink that keeps events, and an adapter
// context with test defaults.

import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import type { AdapterContext } from '../../src/adapters/types.js';
import type { ConnectorDefinition, Secrets, Settings } from '../../src/connectors/types.js';
import type { TraceEvent, TraceEventInput, TraceSink } from '../../src/trace/events.js';

export interface TestServer {
  /** `http://127.0.0.1:<port>` (or https). */
  url: string;
  port: number;
  close(): Promise<void>;
}

type Listening = Server | ReturnType<typeof createTcpServer>;

async function listen(server: Listening, scheme: string): Promise<TestServer> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export function startHttp(handler: RequestListener): Promise<TestServer> {
  return listen(createHttpServer(handler), 'http');
}

export function startHttps(options: ServerOptions, handler: RequestListener): Promise<TestServer> {
  return listen(createHttpsServer(options, handler), 'https');
}

/** A bare TCP server, for servers that stall or break the protocol. */
export function startTcp(onSocket: (socket: Socket) => void, scheme = 'http'): Promise<TestServer> {
  const server = createTcpServer(onSocket);
  return listen(server, scheme);
}

export interface TestProxy extends TestServer {
  /** Tunnels opened (CONNECT) and requests forwarded, after auth passed. */
  served: number;
  refused: number;
}

/** A forward proxy (CONNECT and absolute-form) that wants Basic proxy auth. */
export async function startProxy(user: string, password: string): Promise<TestProxy> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const counts = { served: 0, refused: 0 };
  const server = createHttpServer((request, response) => {
    if (request.headers['proxy-authorization'] !== expected) {
      counts.refused += 1;
      response.writeHead(407, { 'proxy-authenticate': 'Basic realm="test proxy"' });
      response.end();
      return;
    }
    counts.served += 1;
    forward(request.url ?? '', request, response);
  });
  server.on('connect', (request, client: Socket, head: Buffer) => {
    if (request.headers['proxy-authorization'] !== expected) {
      counts.refused += 1;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\n' +
        'Proxy-Authenticate: Basic realm="test proxy"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    counts.served += 1;
    tunnel(request.url ?? '', client, head);
  });
  const base = await listen(server, 'http');
  // Getters, so a test reads the counts as they are when it asks.
  return Object.defineProperties(base as TestProxy, {
    served: { get: () => counts.served },
    refused: { get: () => counts.refused },
  });
}

function tunnel(target: string, client: Socket, head: Buffer): void {
  const [host, port] = target.split(':');
  // The tests only ever reach loopback; anything else is refused.
  if (host !== '127.0.0.1' && host !== 'localhost') {
    client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    return;
  }
  const upstream = connect(Number(port), '127.0.0.1', () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
}

function forward(target: string, request: Parameters<RequestListener>[0], response: Parameters<RequestListener>[1]): void {
  const url = new URL(target);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
    response.writeHead(403).end();
    return;
  }
  const upstream = connect(Number(url.port), '127.0.0.1', () => {
    upstream.write(`${request.method} ${url.pathname}${url.search} HTTP/1.1\r\n` +
      `host: ${url.host}\r\nconnection: close\r\n\r\n`);
    upstream.pipe(response.socket!);
  });
  upstream.on('error', () => response.destroy());
}

export interface RecordingSink extends TraceSink {
  events: TraceEvent[];
  ofType<T extends TraceEvent['type']>(type: T): Array<Extract<TraceEvent, { type: T }>>;
}

/** Stamps `at` and keeps every event; the real sink also redacts. */
export function recordingSink(): RecordingSink {
  const started = Date.now();
  const events: TraceEvent[] = [];
  return {
    events,
    emit(event: TraceEventInput) {
      events.push({ ...event, at: Date.now() - started } as TraceEvent);
    },
    ofType<T extends TraceEvent['type']>(type: T) {
      return events.filter((e): e is Extract<TraceEvent, { type: T }> => e.type === type);
    },
  };
}

const HTTP_CONNECTOR: ConnectorDefinition = {
  id: 'http',
  name: 'HTTP API',
  category: 'universal',
  description: 'test copy',
  adapter: 'http',
  fields: [],
};

export interface TestContext extends AdapterContext {
  trace: RecordingSink;
}

export function testContext(
  settings: Settings,
  secrets: Secrets = {},
  overrides: Partial<AdapterContext> = {},
): TestContext {
  return {
    connectionName: 'test',
    connector: HTTP_CONNECTOR,
    settings: { auth: 'none', testMethod: 'GET', ...settings },
    secrets,
    trace: recordingSink(),
    signal: new AbortController().signal,
    timeoutMs: 5000,
    maxBodyBytes: 4096,
    ...overrides,
  } as TestContext;
}

const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

/**
 * Removes the proxy variables the machine may set, so requests to loopback
 * go direct unless a test sets them; returns a function that puts them back.
 */
export function clearProxyEnv(): () => void {
  const saved = PROXY_VARS.map((name) => [name, process.env[name]] as const);
  for (const name of PROXY_VARS) delete process.env[name];
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
