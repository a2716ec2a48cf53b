// AWS Signature Version 4 in the Authorization header, with node:crypto:
// a canonical request, a string to sign scoped to date/region/service, and
// a signing key derived by four HMACs from the secret access key.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html

import { createHash, createHmac } from 'node:crypto';
import type { AuthContext, AuthScheme, OutgoingRequest } from './types.js';
import type { Secrets, Settings } from '../connectors/types.js';
import { UsageError } from '../errors.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  service: string;
}

/**
 * Headers that proxies and clients change in flight: never signed. The
 * same list as AWS's SDKs and aws4; content-length is signed when present.
 */
const UNSIGNED_HEADERS = new Set([
  'authorization',
  'connection',
  'expect',
  'range',
  'user-agent',
  'x-amzn-trace-id',
]);

/** With settings and secrets given, missing fields are reported at once. */
export function createSigV4Scheme(
  settings?: Settings,
  secrets?: Secrets,
): AuthScheme {
  if (settings) readAwsCredentials(settings, secrets ?? {});
  return {
    sign(request: OutgoingRequest, ctx: AuthContext) {
      signSigV4(request, readAwsCredentials(ctx.settings, ctx.secrets));
    },
  };
}

export function readAwsCredentials(
  settings: Settings,
  secrets: Secrets,
): AwsCredentials {
  const field = (key: string) => {
    const value = secrets[key] ?? settings[key];
    return typeof value === 'string' ? value.trim() : '';
  };
  const credentials: AwsCredentials = {
    accessKeyId: field('awsAccessKeyId'),
    secretAccessKey: secrets.awsSecretAccessKey ?? '',
    sessionToken: secrets.awsSessionToken || undefined,
    region: field('awsRegion'),
    service: field('awsService'),
  };
  const missing = ['accessKeyId', 'secretAccessKey', 'region', 'service']
    .filter((key) => !credentials[key as keyof AwsCredentials])
    .map((key) => `aws${key[0].toUpperCase()}${key.slice(1)}`);
  if (missing.length) {
    throw new UsageError(
      `AWS Signature V4 settings missing: ${missing.join(', ')}`,
      'example: awsRegion=eu-west-1 awsService=execute-api',
      'missing-fields',
    );
  }
  return credentials;
}

/** Adds host, x-amz-date, the session token and the Authorization header. */
export function signSigV4(
  request: OutgoingRequest,
  credentials: AwsCredentials,
  now: Date = new Date(),
): void {
  const amzDate = now.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const headers = request.headers;
  headers.host ??= request.url.host;
  headers['x-amz-date'] = amzDate;
  if (credentials.sessionToken) {
    headers['x-amz-security-token'] = credentials.sessionToken;
  }
  const payloadHash = sha256Hex(request.body ?? '');
  // S3 alone wants the payload hash as a header as well.
  if (credentials.service === 's3') headers['x-amz-content-sha256'] = payloadHash;

  const scope = `${amzDate.slice(0, 8)}/${credentials.region}/` +
    `${credentials.service}/aws4_request`;
  const { canonical, signedHeaders } = canonicalRequest(
    request,
    credentials.service,
    payloadHash,
  );
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)]
    .join('\n');
  const signature = createHmac('sha256', signingKey(credentials, amzDate))
    .update(stringToSign)
    .digest('hex');
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

export function canonicalRequest(
  request: OutgoingRequest,
  service: string,
  payloadHash: string,
): { canonical: string; signedHeaders: string } {
  const names = Object.keys(request.headers)
    .map((name) => name.toLowerCase())
    .filter((name) => !UNSIGNED_HEADERS.has(name))
    .sort();
  const headerLines = names.map(
    (name) => `${name}:${headerValue(request.headers, name)}\n`,
  );
  const signedHeaders = names.join(';');
  const canonical = [
    request.method.toUpperCase(),
    canonicalPath(request.url, service),
    canonicalQuery(request.url),
    headerLines.join(''),
    signedHeaders,
    payloadHash,
  ].join('\n');
  return { canonical, signedHeaders };
}

function headerValue(headers: Record<string, string>, name: string): string {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name) ?? name;
  // Trim, and fold inner runs of spaces to one, as the canonical form asks.
  return String(headers[key]).trim().replace(/\s+/g, ' ');
}

/**
 * The URL holds the path as sent on the wire (already percent-encoded
 * once). Every service but S3 signs it encoded a second time, after
 * normalizing; S3 signs the path exactly as sent, encoded once.
 */
function canonicalPath(url: URL, service: string): string {
  const path = url.pathname || '/';
  if (service === 's3') {
    return path
      .split('/')
      .map((segment) => awsEncode(decodeURIComponent(segment)))
      .join('/');
  }
  // URL already removed `.` and `..` segments; empty ones go too.
  const collapsed = path.replace(/\/{2,}/g, '/');
  return collapsed.split('/').map(awsEncode).join('/');
}

function canonicalQuery(url: URL): string {
  const pairs = [...url.searchParams].map(([k, v]) => [awsEncode(k), awsEncode(v)]);
  pairs.sort(([ak, av], [bk, bv]) =>
    ak === bk ? compare(av, bv) : compare(ak, bk),
  );
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function compare(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** RFC 3986 encoding: only A-Z a-z 0-9 - _ . ~ stay as they are. */
function awsEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function signingKey(credentials: AwsCredentials, amzDate: string): Buffer {
  const steps = [
    amzDate.slice(0, 8),
    credentials.region,
    credentials.service,
    'aws4_request',
  ];
  let key: Buffer = Buffer.from(`AWS4${credentials.secretAccessKey}`);
  for (const step of steps) key = createHmac('sha256', key).update(step).digest();
  return key;
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
