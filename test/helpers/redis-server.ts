// A throwaway Redis server for tests: requirepass for the default user, a
// plain port and a TLS port (with a generated certificate) on 127.0.0.1,
// no persistence. Debian's redis-server is built with TLS; a build without
// it fails to start here, loudly, with its log.
//
//   const server = await startRedis({ password: 'secret', maxClients: 10 });
//   await server.command('ACL', 'SETUSER', 'app', 'on', '>pw', '+ping');
//   ... connect to 127.0.0.1:server.port (or server.tlsPort) ...
//   await server.stop();

import { Redis } from 'ioredis';

import { makeTestCerts, type TestCerts } from './db-certs.js';
import { findBinary, freePort, portOpen, removeDir, serverDir,
  startProcess, stopProcess, waitFor } from './db-process.js';

export interface RedisServer {
  host: '127.0.0.1';
  port: number;
  tlsPort: number;
  dir: string;
  certs: TestCerts;
  /** Sends one command as the default user on the plain port. */
  command(...args: string[]): Promise<unknown>;
  stop(): Promise<void>;
}

export interface RedisOptions {
  password: string;
  maxClients?: number;
}

export async function startRedis(options: RedisOptions): Promise<RedisServer> {
  const binary = findBinary(['/usr/bin/redis-server', '/usr/local/bin/redis-server'],
    'redis-server');
  const dir = serverDir('conn-redis-', undefined);
  const certs = makeTestCerts(dir);
  const port = await freePort();
  const tlsPort = await freePort();

  const child = startProcess(binary, ['--bind', '127.0.0.1', '--port', String(port),
    '--tls-port', String(tlsPort), '--tls-cert-file', certs.cert,
    '--tls-key-file', certs.key, '--tls-ca-cert-file', certs.ca,
    '--tls-auth-clients', 'no', '--requirepass', options.password,
    '--maxclients', String(options.maxClients ?? 50), '--dir', dir,
    '--save', '', '--appendonly', 'no', '--daemonize', 'no'], dir, undefined);

  const command = async (...args: string[]) => {
    const client = new Redis({ host: '127.0.0.1', port, password: options.password,
      lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await client.call(args[0], ...args.slice(1));
    } finally {
      client.disconnect();
    }
  };
  await waitFor('redis-server', async () =>
    (await portOpen(port)) && (await portOpen(tlsPort)), 10, child, dir);

  return {
    host: '127.0.0.1', port, tlsPort, dir, certs, command,
    stop: async () => {
      await stopProcess(child, 'SIGTERM', 10);
      removeDir(dir);
    },
  };
}
