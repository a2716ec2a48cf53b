// Certificates for the database test servers, made with the openssl CLI:
// a CA, a server certificate it signs for the name `localhost` only (so a
// connection to 127.0.0.1 with verify-full fails on the host name), and a
// second, unrelated CA for the "bad CA" cases.

import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCerts {
  /** The CA that signed the server certificate. */
  ca: string;
  /** A CA that signed nothing here: verification against it fails. */
  otherCa: string;
  cert: string;
  key: string;
}

export function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error('openssl not found: install the Debian package openssl');
    }
    throw err;
  }
}

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt',
    'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`], dir);
}

/** Writes the certificates into `dir` and returns their paths. */
export function makeTestCerts(dir: string): TestCerts {
  makeCa(dir, 'conn-test-ca');
  makeCa(dir, 'conn-other-ca');
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=DNS:localhost\n');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key',
    '-out', 'server.csr'], dir);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'conn-test-ca.crt',
    '-CAkey', 'conn-test-ca.key', '-CAcreateserial', '-days', '2',
    '-extfile', 'san.cnf', '-out', 'server.crt'], dir);
  chmodSync(join(dir, 'server.key'), 0o600);
  return {
    ca: join(dir, 'conn-test-ca.crt'),
    otherCa: join(dir, 'conn-other-ca.crt'),
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
  };
}
