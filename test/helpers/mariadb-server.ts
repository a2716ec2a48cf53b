// A throwaway MariaDB server for tests: mariadb-install-db into a temporary
// folder, TCP on 127.0.0.1 and a random port, TLS with a generated
// certificate, the socket in the same folder. It runs as the `mysql` user
// when the tests run as root.
//
//   const server = await startMariadb({ maxConnections: 10 });
//   await server.query("CREATE USER 'app'@'%' IDENTIFIED BY 'secret'");
//   ... connect to 127.0.0.1:server.port ...
//   await server.stop();

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import mysql from 'mysql2/promise';

import { makeTestCerts, type TestCerts } from './db-certs.js';
import { chownTree, findBinary, freePort, removeDir, runAs, serverDir,
  startProcess, stopProcess, waitFor } from './db-process.js';

export interface MariadbServer {
  host: '127.0.0.1';
  port: number;
  dir: string;
  socket: string;
  certs: TestCerts;
  /** Runs SQL as root over the Unix socket. */
  query(sql: string): Promise<unknown>;
  stop(): Promise<void>;
}

export interface MariadbOptions {
  maxConnections?: number;
}

export async function startMariadb(options: MariadbOptions = {}): Promise<MariadbServer> {
  const install = findBinary(['/usr/bin/mariadb-install-db',
    '/usr/local/bin/mariadb-install-db'], 'mariadb-server');
  const mariadbd = findBinary(['/usr/sbin/mariadbd', '/usr/bin/mariadbd'],
    'mariadb-server');
  const owner = runAs('mysql');
  const dir = serverDir('conn-mariadb-', owner);
  const data = join(dir, 'data');
  const socket = join(dir, 'mariadb.sock');
  const certs = makeTestCerts(dir);
  chownTree(dir, owner);

  // `normal` gives root a password login (empty here) instead of the
  // unix_socket plugin, so setup works whichever OS user runs the tests.
  execFileSync(install, ['--no-defaults', `--datadir=${data}`,
    '--auth-root-authentication-method=normal', '--skip-test-db',
    '--skip-name-resolve'], { cwd: dir, stdio: 'ignore', ...(owner ?? {}) });

  const port = await freePort();
  const child = startProcess(mariadbd, ['--no-defaults', `--datadir=${data}`,
    `--socket=${socket}`, `--pid-file=${join(dir, 'mariadb.pid')}`,
    '--skip-networking=0', '--bind-address=127.0.0.1', `--port=${port}`,
    `--ssl-ca=${certs.ca}`, `--ssl-cert=${certs.cert}`, `--ssl-key=${certs.key}`,
    `--max-connections=${options.maxConnections ?? 30}`, '--skip-name-resolve',
    '--skip-log-bin', '--innodb-buffer-pool-size=16M',
    `--log-error=${join(dir, 'server.log')}`], dir, owner);

  const query = async (sql: string) => {
    const connection = await mysql.createConnection({ socketPath: socket, user: 'root' });
    try {
      const [result] = await connection.query(sql);
      return result;
    } finally {
      await connection.end();
    }
  };
  await waitFor('mariadbd', async () => Boolean(await query('SELECT 1')), 30, child, dir);

  return {
    host: '127.0.0.1', port, dir, socket, certs, query,
    stop: async () => {
      await stopProcess(child, 'SIGTERM', 15);
      removeDir(dir);
    },
  };
}
