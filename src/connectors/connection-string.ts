// Connection strings (URLs) for the database connectors. A pasted
// `postgres://user:pass@host:5432/db?sslmode=require` becomes plain settings
// plus the password as a secret, so the password goes to the secret store
// and never to the connections file. The reverse builds a string for
// display, always without the password.

import { UsageError } from '../errors.js';
import type { Secrets, Settings } from './types.js';

/** The adapter family a scheme belongs to. */
export type DatabaseAdapter = 'postgres' | 'mysql' | 'redis';

export interface ParsedConnectionString {
  /** The connector the scheme names: postgres, mysql, mariadb or redis. */
  connector: string;
  adapter: DatabaseAdapter;
  /** Only what the string says; connector defaults fill the rest. */
  settings: Settings;
  /** `password` when the string has one. */
  secrets: Secrets;
  /** Parameters that were mapped loosely or ignored, for the user to read. */
  warnings: string[];
}

const SCHEMES: Record<string, { connector: string; adapter: DatabaseAdapter }> = {
  'postgres:': { connector: 'postgres', adapter: 'postgres' },
  'postgresql:': { connector: 'postgres', adapter: 'postgres' },
  'mysql:': { connector: 'mysql', adapter: 'mysql' },
  'mariadb:': { connector: 'mariadb', adapter: 'mysql' },
  'redis:': { connector: 'redis', adapter: 'redis' },
  'rediss:': { connector: 'redis', adapter: 'redis' },
};

const EXAMPLE = 'postgres://user:password@db.example.com:5432/shop?sslmode=require';

/** True when the text looks like one of the supported connection strings. */
export function isConnectionString(text: string): boolean {
  return Object.keys(SCHEMES).some((scheme) => text.trim().toLowerCase()
    .startsWith(`${scheme}//`));
}

export function parseConnectionString(text: string): ParsedConnectionString {
  const url = parseUrl(text.trim());
  const scheme = SCHEMES[url.protocol.toLowerCase()];
  if (!scheme) {
    throw new UsageError(`unsupported connection string scheme '${url.protocol}'`,
      `use one of ${Object.keys(SCHEMES).map((s) => `${s}//`).join(', ')}`,
      'bad-connection-string');
  }
  const parsed: ParsedConnectionString = { ...scheme, settings: {}, secrets: {},
    warnings: [] };
  readAuthority(url, parsed);
  if (scheme.adapter === 'redis') readRedis(url, parsed);
  else readSql(url, parsed);
  return parsed;
}

/** `new URL` puts the whole input in its error: never show that. */
function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new UsageError('not a valid connection string',
      `expected the form ${EXAMPLE} (percent-encode @, : and / in the password)`,
      'bad-connection-string');
  }
}

function readAuthority(url: URL, parsed: ParsedConnectionString): void {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host.includes(',')) {
    throw new UsageError('connection strings with several hosts are not ' +
      'supported', 'give the one host conn should test', 'bad-connection-string');
  }
  if (host) parsed.settings.host = decode(host);
  else parsed.warnings.push('no host given (a Unix socket is not supported); ' +
    'the connector default is used');
  if (url.port) parsed.settings.port = Number(url.port);
  if (url.username) parsed.settings.user = decode(url.username);
  if (url.password) parsed.secrets.password = decode(url.password);
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new UsageError('the connection string has a broken %-escape',
      'write a literal % in a user name or password as %25', 'bad-connection-string');
  }
}

const PG_SSL: Record<string, string> = {
  disable: 'disable', require: 'require', 'verify-ca': 'verify-ca',
  'verify-full': 'verify-full',
};

const MYSQL_SSL: Record<string, string> = {
  disabled: 'disable', required: 'require', verify_ca: 'verify-ca',
  verify_identity: 'verify-full',
};

/** Parameters that name files or plain settings, per spelling. */
const SQL_PARAMS: Record<string, string> = {
  sslrootcert: 'sslCa', 'ssl-ca': 'sslCa', sslca: 'sslCa',
  sslcert: 'sslCert', 'ssl-cert': 'sslCert',
  sslkey: 'sslKey', 'ssl-key': 'sslKey',
  connect_timeout: 'connectTimeout', 'connect-timeout': 'connectTimeout',
  connecttimeout: 'connectTimeout',
  dbname: 'database', user: 'user', host: 'host', port: 'port',
};

function readSql(url: URL, parsed: ParsedConnectionString): void {
  const database = decode(url.pathname.replace(/^\//, ''));
  if (database) parsed.settings.database = database;
  for (const [name, value] of url.searchParams) {
    const key = name.toLowerCase();
    if (key === 'sslmode' || key === 'ssl-mode') readSslMode(value, parsed);
    else if (key === 'ssl' || key === 'sslaccept') readSslFlag(value, parsed);
    else if (key === 'password') parsed.secrets.password = value;
    else if (SQL_PARAMS[key]) setSetting(SQL_PARAMS[key], value, parsed);
    else parsed.warnings.push(`parameter '${name}' is not used by conn and was ignored`);
  }
}

function setSetting(key: string, value: string, parsed: ParsedConnectionString): void {
  const numeric = key === 'port' || key === 'connectTimeout';
  parsed.settings[key] = numeric ? Number(value) : value;
}

/**
 * libpq's `prefer` and `allow` fall back to plain text when TLS fails; conn
 * tests one mode, and the safer reading of "prefer" is "require".
 */
function readSslMode(value: string, parsed: ParsedConnectionString): void {
  const mode = value.toLowerCase();
  const mapped = PG_SSL[mode] ?? MYSQL_SSL[mode];
  if (mapped) {
    parsed.settings.sslMode = mapped;
  } else if (mode === 'prefer' || mode === 'preferred' || mode === 'allow') {
    parsed.settings.sslMode = 'require';
    parsed.warnings.push(`sslmode=${value} became require: conn does not ` +
      'fall back to plain text; set sslMode disable if the server has no TLS');
  } else {
    throw new UsageError(`unknown sslmode '${value}'`,
      'use disable, require, verify-ca or verify-full', 'bad-connection-string');
  }
}

/** `ssl=true`, `ssl={"rejectUnauthorized":true}`, Prisma's `sslaccept`. */
function readSslFlag(value: string, parsed: ParsedConnectionString): void {
  const text = value.toLowerCase();
  if (text === 'false' || text === '0') parsed.settings.sslMode = 'disable';
  else if (text.includes('"rejectunauthorized":true') || text === 'strict') {
    parsed.settings.sslMode = 'verify-full';
  } else {
    parsed.settings.sslMode = 'require';
  }
}

function readRedis(url: URL, parsed: ParsedConnectionString): void {
  parsed.settings.sslMode = url.protocol.toLowerCase() === 'rediss:'
    ? 'verify-full'
    : 'disable';
  const path = url.pathname.replace(/^\//, '');
  if (path) {
    if (!/^\d+$/.test(path)) {
      throw new UsageError(`'${path}' is not a Redis database number`,
        'use redis://host:6379/0 (a number from 0)', 'bad-connection-string');
    }
    parsed.settings.database = Number(path);
  }
  for (const [name, value] of url.searchParams) {
    if (name === 'db') parsed.settings.database = Number(value);
    else if (name === 'password') parsed.secrets.password = value;
    else parsed.warnings.push(`parameter '${name}' is not used by conn and was ignored`);
  }
}

const DISPLAY_SCHEMES: Record<DatabaseAdapter, string> = {
  postgres: 'postgres', mysql: 'mysql', redis: 'redis',
};

/**
 * A connection string for display, built from plain settings only: the
 * password is never part of it (the settings do not hold one).
 */
export function formatConnectionString(adapter: DatabaseAdapter, settings: Settings): string {
  const tls = String(settings.sslMode ?? 'disable') !== 'disable';
  const scheme = adapter === 'redis' && tls ? 'rediss' : DISPLAY_SCHEMES[adapter];
  const user = settings.user ? `${encodeURIComponent(String(settings.user))}@` : '';
  const host = hostForUrl(String(settings.host ?? 'localhost'));
  const port = settings.port !== undefined ? `:${settings.port}` : '';
  const database = settings.database !== undefined && settings.database !== ''
    ? `/${encodeURIComponent(String(settings.database))}`
    : '';
  const param = adapter === 'mysql' ? 'ssl-mode' : 'sslmode';
  const query = adapter === 'redis' || !settings.sslMode
    ? ''
    : `?${param}=${sslParam(adapter, String(settings.sslMode))}`;
  return `${scheme}://${user}${host}${port}${database}${query}`;
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function sslParam(adapter: DatabaseAdapter, mode: string): string {
  if (adapter !== 'mysql') return mode;
  const found = Object.entries(MYSQL_SSL).find(([, ours]) => ours === mode);
  return (found?.[0] ?? mode).toUpperCase();
}

/** The string as given, with any password replaced, for messages and logs. */
export function redactConnectionString(text: string): string {
  return text
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@?#]*):[^@/?#]*@/i, '$1:***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}
