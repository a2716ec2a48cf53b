// TLS for the database adapters: the four SSL modes turned into Node's TLS
// options, the certificate files read, and what the handshake agreed traced
// from the socket itself (not from what we asked for).

import { readFile } from 'node:fs/promises';
import net from 'node:net';
import type tls from 'node:tls';

import type { TraceSink } from '../trace/events.js';
import { ms } from './db-net.js';

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

export const SSL_MODES: readonly SslMode[] = [
  'disable',
  'require',
  'verify-ca',
  'verify-full',
];

/** A connection setting the adapter cannot use: a missing or bad file. */
export class SettingsProblem extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
    this.name = 'SettingsProblem';
  }
}

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  passphrase?: string;
}

export interface TlsPaths {
  sslCa?: string;
  sslCert?: string;
  sslKey?: string;
}

/**
 * Reads the certificate files. The key is taken only from a file: its path
 * is a plain setting, but PEM text in that setting would put a private key
 * in the connections file, so it is refused.
 */
export async function readTlsFiles(
  paths: TlsPaths,
  passphrase: string | undefined,
): Promise<TlsFiles> {
  if (paths.sslKey?.includes('-----BEGIN')) {
    throw new SettingsProblem('sslKey holds PEM text, not a file path',
      'save the key to a file readable only by you and give its path');
  }
  const files: TlsFiles = { passphrase };
  if (paths.sslCa) files.ca = await readPem(paths.sslCa, 'sslCa');
  if (paths.sslCert) files.cert = await readPem(paths.sslCert, 'sslCert');
  if (paths.sslKey) files.key = await readPem(paths.sslKey, 'sslKey');
  return files;
}

async function readPem(path: string, field: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new SettingsProblem(`cannot read ${field} file ${path} (${code})`,
      `check the path in the ${field} setting and that you may read it`);
  }
}

/**
 * Node TLS options for a mode, following libpq: `require` encrypts without
 * checking the certificate unless a CA file is given (then it checks the
 * chain, as libpq does with a root certificate); `verify-ca` checks the
 * chain only; `verify-full` checks the chain and the host name.
 */
export function tlsOptions(
  mode: SslMode,
  host: string,
  files: TlsFiles,
): tls.ConnectionOptions {
  const verifyChain = mode !== 'require' || files.ca !== undefined;
  const options: tls.ConnectionOptions = {
    rejectUnauthorized: verifyChain,
    ca: files.ca,
    cert: files.cert,
    key: files.key,
    passphrase: files.passphrase,
  };
  // SNI must be a name (RFC 6066); for an address the identity check
  // falls back to `host`, which then must be the address.
  if (net.isIP(host) === 0) options.servername = host;
  options.host = host;
  if (mode !== 'verify-full') options.checkServerIdentity = () => undefined;
  return stripUndefined(options);
}

function stripUndefined<T extends object>(value: T): T {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return Object.fromEntries(entries) as T;
}

/** Traces what the handshake agreed, read from the TLS socket. */
export function traceTls(
  socket: tls.TLSSocket,
  mode: SslMode,
  durationMs: number | undefined,
  trace: TraceSink,
): Record<string, string | number | boolean | null> {
  const cert = socket.getPeerCertificate();
  const cipher = socket.getCipher();
  const data = {
    version: socket.getProtocol() ?? null,
    cipher: cipher?.name ?? null,
    subject: cert?.subject ? distinguishedName(cert.subject) : null,
    issuer: cert?.issuer ? distinguishedName(cert.issuer) : null,
    altNames: cert?.subjectaltname ?? null,
    expires: cert?.valid_to ? isoDate(cert.valid_to) : null,
    verified: socket.authorized,
    sslMode: mode,
  };
  const detail = `${data.version} ${data.cipher}, certificate ` +
    `${data.subject ?? '(none)'} until ${data.expires ?? '?'}` +
    (data.verified ? '' : ' (not verified)');
  trace.emit({ type: 'step', name: 'tls', detail,
    durationMs: durationMs === undefined ? undefined : ms(durationMs), data });
  if (!data.verified) {
    trace.emit({ type: 'note', level: 'warn', message: 'the server ' +
      `certificate was not verified (sslMode ${mode}); use verify-full ` +
      'with the CA file to be sure who you are talking to' });
  }
  return data;
}

function distinguishedName(parts: object): string {
  return Object.entries(parts)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(', ');
}

function isoDate(text: string): string {
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}
