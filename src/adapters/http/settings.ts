// Reads an HTTP connection's settings and secrets into one checked, typed
// configuration, so the rest of the adapter never guesses at a field's shape.
// A value of the wrong shape is the user's input error: UsageError, naming
// the field and showing a right example.

import type { Secrets, Settings } from '../../connectors/types.js';
import { UsageError } from '../../errors.js';
import { compilePath, type CompiledPath } from './jsonpath.js';
import { compileRules, type Rule } from './rules.js';

export type HeaderList = Array<[string, string]>;

export interface TestRequestConfig {
  method: string;
  /** Relative URI, joined to the base URL's path. */
  path: string;
  headers: HeaderList;
  body?: string;
  okWhen?: Rule[];
  failWhen?: Rule[];
  errorPath?: CompiledPath;
}

export interface TlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  pfxFile?: string;
}

export interface HttpConfig {
  baseUrl: URL;
  headers: HeaderList;
  /** Sent like `headers`, but only to the base URL's origin. */
  secretHeaders: HeaderList;
  insecure: boolean;
  tlsFiles: TlsFiles;
  passphrase?: string;
  maxResponseBytes: number;
  test: TestRequestConfig;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function readHttpConfig(settings: Settings, secrets: Secrets): HttpConfig {
  return {
    baseUrl: readBaseUrl(settings.baseUrl),
    headers: readHeaders(settings.headers, 'headers'),
    secretHeaders: readSecretHeaders(secrets.secretHeaders),
    insecure: settings.insecure === true,
    tlsFiles: readTlsFiles(settings),
    passphrase: secrets.passphrase || undefined,
    maxResponseBytes: readPositive(settings.maxResponseBytes, 'maxResponseBytes')
      ?? DEFAULT_MAX_RESPONSE_BYTES,
    test: readTestRequest(settings),
  };
}

export function readBaseUrl(value: unknown): URL {
  const example = 'https://api.example.com/v1';
  if (typeof value !== 'string' || value === '') {
    throw invalid('baseUrl', 'is required', example);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('baseUrl', `'${value}' is not a URL`, example);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid('baseUrl', 'must start with http:// or https://', example);
  }
  return url;
}

/**
 * Joins a relative URI to the base URL the way integration platforms do:
 * appended to the base path (`/v1` + `/users` = `/v1/users`), not resolved
 * like a link, which would drop `/v1`.
 */
export function joinUrl(base: URL, relative: string): URL {
  if (/^[a-z][a-z0-9+.-]*:/i.test(relative)) {
    throw invalid('testPath', 'must be relative to baseUrl', '/users/me');
  }
  const [pathPart, query = ''] = splitOnce(relative, '?');
  const url = new URL(base.href);
  const basePath = url.pathname.replace(/\/+$/, '');
  const tail = pathPart.replace(/^\/+/, '');
  url.pathname = tail === '' ? url.pathname : `${basePath}/${tail}`;
  if (query !== '') url.search = url.search ? `${url.search}&${query}` : query;
  url.hash = '';
  return url;
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}

export function readTestRequest(settings: Settings): TestRequestConfig {
  const method = readString(settings.testMethod, 'testMethod') ?? 'GET';
  const config: TestRequestConfig = {
    method: method.toUpperCase(),
    path: readString(settings.testPath, 'testPath') ?? '',
    headers: readHeaders(settings.testHeaders, 'testHeaders'),
    body: readBody(settings.testBody),
  };
  if (settings.okWhen !== undefined) {
    config.okWhen = readRules(settings.okWhen, 'okWhen');
  }
  if (settings.failWhen !== undefined) {
    config.failWhen = readRules(settings.failWhen, 'failWhen');
  }
  const errorPath = readString(settings.errorPath, 'errorPath');
  if (errorPath) config.errorPath = readPath(errorPath, 'errorPath');
  return config;
}

function readRules(value: unknown, field: string): Rule[] {
  try {
    return compileRules(parseIfText(value, field), field);
  } catch (error) {
    const example = '{"status": [200], "json": {"path": "$.ok", "equals": [true]}}';
    throw invalid(field, (error as Error).message.replace(`${field}: `, ''), example);
  }
}

function readPath(text: string, field: string): CompiledPath {
  try {
    return compilePath(text);
  } catch (error) {
    throw invalid(field, (error as Error).message, '$.error.message');
  }
}

/** A JSON body may be stored as an object (json field) or as text. */
function readBody(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Headers: `{"Accept": "application/json"}` or `[["Accept", "..."]]`. */
export function readHeaders(value: unknown, field: string): HeaderList {
  if (value === undefined || value === null || value === '') return [];
  const parsed = parseIfText(value, field);
  const pairs = Array.isArray(parsed)
    ? parsed
    : typeof parsed === 'object' && parsed !== null
      ? Object.entries(parsed)
      : undefined;
  if (!pairs) throw invalid(field, 'must be a JSON object', '{"Accept": "application/json"}');
  return pairs.map((pair) => readHeaderPair(pair, field));
}

function readHeaderPair(pair: unknown, field: string): [string, string] {
  const example = '{"X-Tenant": "acme"}';
  if (!Array.isArray(pair) || pair.length !== 2) {
    throw invalid(field, 'each header is a name and a value', example);
  }
  const [name, value] = pair as [unknown, unknown];
  if (typeof name !== 'string' || !HEADER_NAME.test(name)) {
    throw invalid(field, `'${String(name)}' is not a header name`, example);
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/[\r\n]/.test(text)) {
    throw invalid(field, `the value of ${name} has a line break`, example);
  }
  return [name, text];
}

function readSecretHeaders(value: string | undefined): HeaderList {
  if (!value) return [];
  try {
    return readHeaders(JSON.parse(value) as unknown, 'secretHeaders');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // The parse error would quote the secret text, so it is not passed on.
    throw invalid('secretHeaders', 'is not JSON', '{"X-Client-Secret": "..."}');
  }
}

function readTlsFiles(settings: Settings): TlsFiles {
  const files: TlsFiles = {};
  for (const key of ['caFile', 'certFile', 'keyFile', 'pfxFile'] as const) {
    const value = readString(settings[key], key);
    if (value) files[key] = value;
  }
  if (Boolean(files.certFile) !== Boolean(files.keyFile)) {
    throw invalid('certFile', 'and keyFile go together', 'client.pem and client.key');
  }
  if (files.pfxFile && files.certFile) {
    throw invalid('pfxFile', 'replaces certFile and keyFile; set one or the other', 'client.pfx');
  }
  return files;
}

function parseIfText(value: unknown, field: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw invalid(field, 'is not JSON', '{"name": "value"}');
  }
}

function readString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(field, 'must be text', '...');
  return value;
}

function readPositive(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw invalid(field, 'must be a positive number', '1048576');
  }
  return number;
}

export function invalid(field: string, why: string, example: string): UsageError {
  return new UsageError(
    `setting '${field}' ${why}`,
    `e.g. ${field} = ${example}`,
    'invalid-setting',
  );
}
