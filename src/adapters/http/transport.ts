// What the connection needs below HTTP: TLS options (extra CA, client
// certificate, the explicit `insecure` switch) and the proxy taken from the
// standard environment variables. Files are read here, once per test.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import { UsageError } from '../../errors.js';
import type { TraceSink } from '../../trace/events.js';
import type { HttpConfig } from './settings.js';

export interface ProxyEnv {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

export async function tlsOptions(
  config: HttpConfig,
  trace: TraceSink,
): Promise<ConnectionOptions> {
  const { caFile, certFile, keyFile, pfxFile } = config.tlsFiles;
  const options: ConnectionOptions = { rejectUnauthorized: !config.insecure };
  if (config.insecure) {
    // Said on every test, so a forgotten `insecure` is never silent.
    trace.emit({
      type: 'note',
      level: 'warn',
      message:
        'insecure is on: the server certificate is not verified, so anyone ' +
        'in between can read and change this traffic',
    });
  }
  // Node's `ca` replaces the built-in roots, so they are added back.
  if (caFile) options.ca = [...rootCertificates, await readSetting(caFile, 'caFile')];
  if (certFile && keyFile) {
    options.cert = await readSetting(certFile, 'certFile');
    options.key = await readSetting(keyFile, 'keyFile');
  }
  if (pfxFile) options.pfx = await readSetting(pfxFile, 'pfxFile', true);
  if (config.passphrase) options.passphrase = config.passphrase;
  return options;
}

async function readSetting(path: string, field: string): Promise<string>;
async function readSetting(path: string, field: string, binary: true): Promise<Buffer>;
async function readSetting(
  path: string,
  field: string,
  binary?: boolean,
): Promise<string | Buffer> {
  const full = resolve(path);
  try {
    return binary ? await readFile(full) : await readFile(full, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(
      `${field} '${full}' cannot be read (${code})`,
      `set ${field} to a readable PEM${binary ? ' or PFX' : ''} file path`,
      'invalid-setting',
    );
  }
}

/** HTTPS_PROXY, HTTP_PROXY and NO_PROXY, in either case, as curl reads them. */
export function proxyFromEnv(env: NodeJS.ProcessEnv): ProxyEnv | undefined {
  const pick = (name: string) => env[name.toLowerCase()] || env[name] || undefined;
  const proxy: ProxyEnv = {
    httpProxy: pick('HTTP_PROXY'),
    httpsProxy: pick('HTTPS_PROXY'),
    noProxy: pick('NO_PROXY'),
  };
  return proxy.httpProxy || proxy.httpsProxy ? proxy : undefined;
}

/** A proxy URL fit for the trace: any password in it is left out. */
export function proxyForDisplay(url: string): string {
  try {
    const parsed = new URL(url);
    // A token is often sent as the user name alone: hide both parts.
    if (parsed.username) parsed.username = '***';
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return '(unparsable proxy URL)';
  }
}
