// OAuth 1.0a request signing (RFC 5849, section 3): HMAC-SHA1, HMAC-SHA256,
// RSA-SHA256 and PLAINTEXT, sent in the Authorization header. Token-based
// authentication in NetSuite's style is the same protocol with long-lived
// token credentials and the account id as the realm.

import { createHmac, createSign, randomBytes } from 'node:crypto';
import type { AuthContext, AuthScheme, OutgoingRequest } from './types.js';
import type { Secrets, Settings } from '../connectors/types.js';
import { UsageError } from '../errors.js';

export const OAUTH1_METHODS = [
  'HMAC-SHA1',
  'HMAC-SHA256',
  'RSA-SHA256',
  'PLAINTEXT',
] as const;
export type OAuth1Method = (typeof OAUTH1_METHODS)[number];

export interface OAuth1Credentials {
  method: OAuth1Method;
  consumerKey: string;
  consumerSecret: string;
  token?: string;
  tokenSecret?: string;
  /** PEM, for RSA-SHA256. */
  privateKey?: string;
  realm?: string;
}

/** Fixed for tests (the RFC examples); random and current otherwise. */
export interface OAuth1Moment {
  timestamp: string;
  nonce: string;
}

/** With settings and secrets given, missing fields are reported at once. */
export function createOAuth1Scheme(
  settings?: Settings,
  secrets?: Secrets,
): AuthScheme {
  if (settings) readOAuth1Credentials(settings, secrets ?? {});
  return {
    sign(request: OutgoingRequest, ctx: AuthContext) {
      const credentials = readOAuth1Credentials(ctx.settings, ctx.secrets);
      request.headers.authorization = oauth1Header(request, credentials);
    },
  };
}

export function readOAuth1Credentials(
  settings: Settings,
  secrets: Secrets,
): OAuth1Credentials {
  const method = (pick(settings, secrets, 'oauth1SignatureMethod') ??
    'HMAC-SHA1') as OAuth1Method;
  const credentials: OAuth1Credentials = {
    method,
    consumerKey: pick(settings, secrets, 'consumerKey') ?? '',
    consumerSecret: secrets.consumerSecret ?? '',
    token: pick(settings, secrets, 'oauth1Token'),
    tokenSecret: secrets.oauth1TokenSecret,
    privateKey: secrets.privateKey,
    realm: readRealm(settings),
  };
  checkCredentials(credentials);
  return credentials;
}

/** Identifiers may be kept as settings or as secrets; secrets win. */
function pick(
  settings: Settings,
  secrets: Secrets,
  key: string,
): string | undefined {
  const value = secrets[key] ?? settings[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * NetSuite's realm is the account id in upper case with an underscore
 * (1234567_SB1), while its URLs carry it in lower case with a hyphen
 * (1234567-sb1). Accept either spelling in `account`.
 */
function readRealm(settings: Settings): string | undefined {
  const realm = settings.realm;
  if (typeof realm === 'string' && realm) return realm;
  const account = settings.account;
  if (typeof account !== 'string' || !account) return undefined;
  return account.toUpperCase().replace(/-/g, '_');
}

function checkCredentials(credentials: OAuth1Credentials): void {
  const missing: string[] = [];
  if (!OAUTH1_METHODS.includes(credentials.method)) {
    throw new UsageError(
      `unknown OAuth 1.0a signature method '${credentials.method}'`,
      `oauth1SignatureMethod is one of ${OAUTH1_METHODS.join(', ')}`,
    );
  }
  if (!credentials.consumerKey) missing.push('consumerKey');
  const rsa = credentials.method === 'RSA-SHA256';
  if (rsa && !credentials.privateKey) missing.push('privateKey');
  if (!rsa && !credentials.consumerSecret) missing.push('consumerSecret');
  if (credentials.token && credentials.tokenSecret === undefined && !rsa) {
    missing.push('oauth1TokenSecret');
  }
  if (missing.length) {
    throw new UsageError(
      `OAuth 1.0a settings missing: ${missing.join(', ')}`,
      'set them with `conn edit`',
      'missing-fields',
    );
  }
}

/** The value of the Authorization header for this request. */
export function oauth1Header(
  request: OutgoingRequest,
  credentials: OAuth1Credentials,
  moment: OAuth1Moment = currentMoment(),
): string {
  const params = protocolParameters(credentials, moment);
  const signature = oauth1Signature(
    credentials,
    signatureBaseString(request, params),
  );
  const fields: Array<[string, string]> = [];
  if (credentials.realm) fields.push(['realm', credentials.realm]);
  fields.push(...params, ['oauth_signature', signature]);
  const pairs = fields.map(([k, v]) => `${percentEncode(k)}="${percentEncode(v)}"`);
  return `OAuth ${pairs.join(', ')}`;
}

function currentMoment(): OAuth1Moment {
  return {
    timestamp: String(Math.floor(Date.now() / 1000)),
    nonce: randomBytes(16).toString('hex'),
  };
}

function protocolParameters(
  credentials: OAuth1Credentials,
  moment: OAuth1Moment,
): Array<[string, string]> {
  const params: Array<[string, string]> = [
    ['oauth_consumer_key', credentials.consumerKey],
  ];
  if (credentials.token) params.push(['oauth_token', credentials.token]);
  params.push(
    ['oauth_signature_method', credentials.method],
    ['oauth_timestamp', moment.timestamp],
    ['oauth_nonce', moment.nonce],
    // Optional in RFC 5849, but NetSuite and others insist on it.
    ['oauth_version', '1.0'],
  );
  return params;
}

/** RFC 5849 section 3.4.1: method, base string URI, normalized params. */
export function signatureBaseString(
  request: Pick<OutgoingRequest, 'method' | 'url' | 'headers' | 'body'>,
  protocolParams: Array<[string, string]>,
): string {
  const params = [
    ...request.url.searchParams,
    ...protocolParams,
    ...formBodyParameters(request),
  ];
  return [
    percentEncode(request.method.toUpperCase()),
    percentEncode(baseStringUri(request.url)),
    percentEncode(normalizeParameters(params)),
  ].join('&');
}

/** RFC 5849 section 3.4.1.2: lower-case scheme and host, no default port. */
export function baseStringUri(url: URL): string {
  // URL already lower-cases scheme and host and drops default ports.
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function formBodyParameters(
  request: Pick<OutgoingRequest, 'headers' | 'body'>,
): Array<[string, string]> {
  const type = request.headers['content-type'] ?? '';
  const isForm = /^application\/x-www-form-urlencoded\b/i.test(type);
  if (!isForm || request.body === undefined) return [];
  return [...new URLSearchParams(request.body.toString())];
}

function normalizeParameters(params: Array<[string, string]>): string {
  const encoded = params.map(([k, v]) => [percentEncode(k), percentEncode(v)]);
  // Ascending byte order: plain comparison, not localeCompare.
  encoded.sort(([ak, av], [bk, bv]) =>
    ak === bk ? compare(av, bv) : compare(ak, bk),
  );
  return encoded.map(([k, v]) => `${k}=${v}`).join('&');
}

function compare(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

export function oauth1Signature(
  credentials: OAuth1Credentials,
  baseString: string,
): string {
  const key =
    `${percentEncode(credentials.consumerSecret)}&` +
    percentEncode(credentials.tokenSecret ?? '');
  switch (credentials.method) {
    case 'PLAINTEXT':
      return key;
    case 'HMAC-SHA1':
      return createHmac('sha1', key).update(baseString).digest('base64');
    case 'HMAC-SHA256':
      return createHmac('sha256', key).update(baseString).digest('base64');
    case 'RSA-SHA256':
      return createSign('sha256')
        .update(baseString)
        .sign(credentials.privateKey ?? '', 'base64');
  }
}

/** RFC 5849 section 3.6: RFC 3986 unreserved characters stay as they are. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
