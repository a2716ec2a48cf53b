// A throwaway PostgreSQL 15 server for tests: initdb into a temporary
// folder, TLS with a generated certificate, password logins over TCP with
// scram-sha-256, and one role that may log in only over TLS. It runs as the
// `postgres` user when the tests run as root (postgres refuses root).
//
//   const server = await startPostgres({ maxConnections: 8 });
//   await server.query("CREATE ROLE app LOGIN PASSWORD 'secret'");
//   ... connect to 127.0.0.1:server.port ...
//   await server.stop();

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';

import { makeTestCerts, type TestCerts } from './db-certs.js';
import { chownTree, findBinary, freePort, removeDir, runAs, serverDir,
  startProcess, stopProcess, waitFor } from './db-process.js';

/** The role the default pg_hba.conf admits only over TLS. */
export const TLS_ONLY_ROLE = 'conn_tls';

export interface PostgresServer {
  host: '127.0.0.1';
  port: number;
  dir: string;
  certs: TestCerts;
  /** Runs SQL as the superuser over the Unix socket (trust). */
  query(sql: string, database?: string): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** A small value lets a test fill every slot. */
  maxConnections?: number;
}

const BIN_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/local/bin', '/usr/bin'];

function binary(name: string): string {
  return findBinary(BIN_DIRS.map((dir) => join(dir, name)), 'postgresql');
}

const HBA = [
  'local all all trust',
  `hostnossl all ${TLS_ONLY_ROLE} 127.0.0.1/32 reject`,
  'host all all 127.0.0.1/32 scram-sha-256',
].join('\n') + '\n';

export async function startPostgres(
  options: PostgresOptions = {},
): Promise<PostgresServer> {
  const initdb = binary('initdb');
  const postgres = binary('postgres');
  const owner = runAs('postgres');
  const dir = serverDir('conn-pg-', owner);
  const data = join(dir, 'data');
  const certs = makeTestCerts(dir);
  writeFileSync(join(dir, 'pg_hba.conf'), HBA);
  chownTree(dir, owner);

  execFileSync(initdb, ['-D', data, '-U', 'postgres', '-A', 'trust',
    '--no-sync', '-E', 'UTF8', '--locale=C'],
  { cwd: dir, stdio: 'ignore', ...(owner ?? {}) });

  const port = await freePort();
  const child = startProcess(postgres, ['-D', data,
    '-c', 'listen_addresses=127.0.0.1', '-c', `port=${port}`,
    '-c', `unix_socket_directories=${dir}`, '-c', `hba_file=${join(dir, 'pg_hba.conf')}`,
    '-c', 'ssl=on', '-c', `ssl_cert_file=${certs.cert}`, '-c', `ssl_key_file=${certs.key}`,
    '-c', `max_connections=${options.maxConnections ?? 20}`,
    '-c', 'superuser_reserved_connections=1', '-c', 'fsync=off',
    '-c', 'password_encryption=scram-sha-256'], dir, owner);

  const query = (sql: string, database = 'postgres') =>
    superuserQuery(dir, port, sql, database);
  await waitFor('postgres', async () => (await query('SELECT 1')).rowCount === 1,
    15, child, dir);

  return {
    host: '127.0.0.1', port, dir, certs, query,
    stop: async () => {
      // SIGINT is PostgreSQL's fast shutdown: sessions end, no waiting.
      await stopProcess(child, 'SIGINT', 10);
      removeDir(dir);
    },
  };
}

async function superuserQuery(
  dir: string,
  port: number,
  sql: string,
  database: string,
): Promise<pg.QueryResult> {
  const client = new pg.Client({ host: dir, port, user: 'postgres', database });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
