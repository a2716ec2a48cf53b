// JWT bearer authentication: conn signs a short-lived assertion (HS256,
// RS256 or ES256, with node:crypto) and either sends it as the bearer token
// itself or exchanges it at a token URL for an access token (RFC 7523, the
// `jwt-bearer` grant, as Google service accounts and Salesforce use it).

import { createHmac, randomUUID, sign as signData } from 'node:crypto';
import type { AuthContext, AuthScheme, OutgoingRequest } from './types.js';
import type { Secrets, Settings } from '../connectors/types.js';
import type { OAuth2Config } from './oauth2-config.js';
import { checkTransport, text } from './oauth2-config.js';
import { UsageError } from '../errors.js';

export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface JwtOptions {
  algorithm: JwtAlgorithm;
  /** The HMAC secret (HS256) or a PEM private key (RS256, ES256). */
  key: string;
  keyId?: string;
  issuer?: string;
  subject?: string;
  audience?: string;
  lifetimeSeconds: number;
  claims: Record<string, unknown>;
}

export interface JwtSettings extends JwtOptions {
  mode: 'bearer' | 'exchange';
  tokenUrl?: string;
  scopes: string[];
  clientId?: string;
  clientSecret?: string;
}

/** Mint a new assertion this long before the current one expires. */
const RENEW_BEFORE_MS = 30_000;

/** With settings and secrets given, missing fields are reported at once. */
export function createJwtScheme(
  settings?: Settings,
  secrets?: Secrets,
): AuthScheme {
  if (settings) readJwtSettings(settings, secrets ?? {});
  let token: { value: string; expiresAt: number } | undefined;
  return {
    async prepare(ctx) {
      if (token && token.expiresAt - RENEW_BEFORE_MS > Date.now()) return;
      const settings = readJwtSettings(ctx.settings, ctx.secrets);
      const assertion = signJwt(settings);
      // A signed assertion is a live credential until it expires.
      ctx.trace.addSecret?.(assertion);
      token =
        settings.mode === 'exchange'
          ? await exchangeAssertion(settings, assertion, ctx)
          : { value: assertion, expiresAt: expiryOf(settings) };
      ctx.trace.addSecret?.(token.value);
    },
    sign(request: OutgoingRequest) {
      if (!token) throw new Error('jwt: sign() before prepare()');
      request.headers.authorization = `Bearer ${token.value}`;
    },
  };
}

export function readJwtSettings(
  settings: Settings,
  secrets: Secrets,
): JwtSettings {
  const algorithm = (text(settings, 'jwtAlgorithm') ?? 'RS256') as JwtAlgorithm;
  if (!JWT_ALGORITHMS.includes(algorithm)) {
    throw new UsageError(
      `unknown JWT algorithm '${algorithm}'`,
      `jwtAlgorithm is one of ${JWT_ALGORITHMS.join(', ')}`,
    );
  }
  const keyField = algorithm === 'HS256' ? 'jwtSecret' : 'privateKey';
  const result: JwtSettings = {
    algorithm,
    key: secrets[keyField] ?? '',
    keyId: text(settings, 'jwtKeyId'),
    issuer: text(settings, 'jwtIssuer'),
    subject: text(settings, 'jwtSubject'),
    audience: text(settings, 'jwtAudience'),
    lifetimeSeconds: Number(text(settings, 'jwtLifetime') ?? 300),
    claims: readClaims(settings.jwtClaims),
    mode: text(settings, 'jwtMode') === 'exchange' ? 'exchange' : 'bearer',
    tokenUrl: text(settings, 'tokenUrl'),
    scopes: (text(settings, 'scopes') ?? '').split(/[\s,]+/).filter(Boolean),
    clientId: text(settings, 'clientId'),
    clientSecret: secrets.clientSecret || undefined,
  };
  checkJwtSettings(result, keyField);
  return result;
}

function checkJwtSettings(settings: JwtSettings, keyField: string): void {
  const missing: string[] = [];
  if (!settings.key) missing.push(keyField);
  if (settings.mode === 'exchange' && !settings.tokenUrl) {
    missing.push('tokenUrl');
  }
  if (!(settings.lifetimeSeconds > 0)) missing.push('jwtLifetime (> 0)');
  if (missing.length) {
    throw new UsageError(
      `JWT settings missing: ${missing.join(', ')}`,
      'set them with `conn edit`',
      'missing-fields',
    );
  }
}

function readClaims(value: Settings[string] | undefined): Record<string, unknown> {
  if (value === undefined || value === '') return {};
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    return parsed as Record<string, unknown>;
  }
  throw new UsageError(
    'jwtClaims must be a JSON object of claim names and values',
    'example: {"scope": "https://www.googleapis.com/auth/drive.readonly"}',
  );
}

/** A compact JWS (RFC 7515) of the assertion, signed with node:crypto. */
export function signJwt(options: JwtOptions, now = Date.now()): string {
  const issuedAt = Math.floor(now / 1000);
  const header = { alg: options.algorithm, typ: 'JWT', kid: options.keyId };
  const payload = {
    iss: options.issuer,
    sub: options.subject,
    aud: options.audience,
    iat: issuedAt,
    exp: issuedAt + options.lifetimeSeconds,
    jti: randomUUID(),
    ...options.claims,
  };
  const input = `${base64url(header)}.${base64url(payload)}`;
  return `${input}.${signature(options, input)}`;
}

function base64url(value: object): string {
  // JSON.stringify leaves out undefined members (no kid, no sub).
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function signature(options: JwtOptions, input: string): string {
  const data = Buffer.from(input);
  switch (options.algorithm) {
    case 'HS256':
      return createHmac('sha256', options.key).update(data).digest('base64url');
    case 'RS256':
      return signData('sha256', data, options.key).toString('base64url');
    case 'ES256':
      // JWS wants the raw r||s pair (RFC 7518 3.4), not DER.
      return signData('sha256', data, {
        key: options.key,
        dsaEncoding: 'ieee-p1363',
      }).toString('base64url');
  }
}

function expiryOf(settings: JwtSettings): number {
  return Date.now() + settings.lifetimeSeconds * 1000;
}

/** RFC 7523 section 2.1, through oauth4webapi and the traced fetch. */
async function exchangeAssertion(
  settings: JwtSettings,
  assertion: string,
  ctx: AuthContext,
): Promise<{ value: string; expiresAt: number }> {
  const config = exchangeConfig(settings);
  const { openSession } = await import('./oauth2-session.js');
  const { explainOAuthError } = await import('./oauth2-errors.js');
  const session = await openSession(config, ctx);
  const { oauth, server, client } = session;
  // The assertion is the credential; a client id is sent only when set.
  const clientAuth = settings.clientId ? session.clientAuth : () => undefined;
  const params = new URLSearchParams({ assertion });
  if (settings.scopes.length) params.set('scope', settings.scopes.join(' '));
  try {
    const response = await oauth.genericTokenEndpointRequest(
      server, client, clientAuth, JWT_BEARER_GRANT, params, session.request(),
    );
    const tokens = await oauth.processGenericTokenEndpointResponse(
      server, client, response,
    );
    const lifetime = tokens.expires_in ?? settings.lifetimeSeconds;
    return { value: tokens.access_token, expiresAt: Date.now() + lifetime * 1000 };
  } catch (error) {
    throw explainOAuthError(error, 'JWT bearer grant');
  }
}

function exchangeConfig(settings: JwtSettings): OAuth2Config {
  const config: OAuth2Config = {
    grant: 'client_credentials',
    clientId: settings.clientId ?? 'conn',
    clientSecret: settings.clientSecret,
    clientAuth: settings.clientSecret ? 'basic' : 'none',
    tokenUrl: settings.tokenUrl,
    scopes: settings.scopes,
    extraParams: {},
  };
  checkTransport(config);
  return config;
}
