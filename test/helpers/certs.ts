// Test certificates made with the openssl CLI in a temporary folder: a
// private CA, a good server certificate for 127.0.0.1 and localhost, a
// self-signed one, an expired one, one for the wrong host name, and a client
// certificate (PEM and a passphrase-protected PFX). EC keys keep it fast.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertFiles {
  dir: string;
  caCert: string;
  server: KeyPair;
  selfSigned: KeyPair;
  expired: KeyPair;
  wrongHost: KeyPair;
  client: KeyPair;
  clientPfx: string;
  clientPfxPassphrase: string;
  /** Reads a PEM or PFX file written here. */
  read(path: string): Buffer;
  remove(): void;
}

export interface KeyPair {
  cert: string;
  key: string;
}

const LOCAL_NAMES = 'subjectAltName=DNS:localhost,IP:127.0.0.1';

export function makeCerts(): CertFiles {
  const dir = mkdtempSync(join(tmpdir(), 'conn-certs-'));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

  openssl('req', '-x509', ...newKey(path('ca.key')), '-subj', '/CN=conn test CA',
    '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', path('ca.pem'));

  const signed = (name: string, names: string, usage: string): KeyPair => {
    openssl('req', '-new', ...newKey(path(`${name}.key`)), '-subj', `/CN=${name}`,
      '-out', path(`${name}.csr`));
    writeFileSync(path(`${name}.ext`), `${names}\nextendedKeyUsage=${usage}\n`);
    openssl('x509', '-req', '-in', path(`${name}.csr`), '-CA', path('ca.pem'),
      '-CAkey', path('ca.key'), '-CAcreateserial', '-days', '2',
      '-extfile', path(`${name}.ext`), '-out', path(`${name}.pem`));
    return { cert: path(`${name}.pem`), key: path(`${name}.key`) };
  };

  const server = signed('server', LOCAL_NAMES, 'serverAuth');
  const wrongHost = signed('wrong', 'subjectAltName=DNS:wrong.example', 'serverAuth');
  const client = signed('client', 'basicConstraints=CA:FALSE', 'clientAuth');

  openssl('req', '-x509', ...newKey(path('self.key')), '-subj', '/CN=localhost',
    '-days', '2', '-addext', LOCAL_NAMES, '-out', path('self.pem'));

  const expired = expiredCert(dir, openssl);
  const clientPfxPassphrase = 'pfx-pass-1';
  openssl('pkcs12', '-export', '-in', client.cert, '-inkey', client.key,
    '-out', path('client.pfx'), '-passout', `pass:${clientPfxPassphrase}`);

  return {
    dir,
    caCert: path('ca.pem'),
    server,
    selfSigned: { cert: path('self.pem'), key: path('self.key') },
    expired,
    wrongHost,
    client,
    clientPfx: path('client.pfx'),
    clientPfxPassphrase,
    read: (file) => readFileSync(file),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function newKey(keyPath: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath];
}

// `openssl x509` cannot backdate a certificate; `openssl ca` can.
function expiredCert(dir: string, openssl: (...args: string[]) => Buffer): KeyPair {
  const path = (name: string) => join(dir, name);
  writeFileSync(path('index.txt'), '');
  writeFileSync(path('serial'), '1000\n');
  writeFileSync(path('ca.cnf'), [
    '[ca]', 'default_ca = test', '[test]', `dir = ${dir}`,
    'database = $dir/index.txt', 'new_certs_dir = $dir', 'serial = $dir/serial',
    'default_md = sha256', 'policy = any', 'copy_extensions = copy',
    'unique_subject = no', '[any]', 'commonName = supplied', '',
  ].join('\n'));
  openssl('req', '-new', ...newKey(path('expired.key')), '-subj', '/CN=expired',
    '-addext', LOCAL_NAMES, '-out', path('expired.csr'));
  openssl('ca', '-batch', '-config', path('ca.cnf'), '-cert', path('ca.pem'),
    '-keyfile', path('ca.key'), '-in', path('expired.csr'), '-notext',
    '-startdate', '20200101000000Z', '-enddate', '20200102000000Z',
    '-out', path('expired.pem'));
  return { cert: path('expired.pem'), key: path('expired.key') };
}
