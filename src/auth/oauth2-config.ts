// Reads a connection's OAuth 2.0 settings and secrets into one checked
// configuration. Every problem is reported at once, naming the fields, so a
// user fixes the connection in one edit rather than one error at a time.

import type { Secrets, Settings } from '../connectors/types.js';
import { UsageError } from '../errors.js';

export const GRANTS = [
  'client_credentials',
  'authorization_code',
  'device_code',
  'password',
] as const;
export type Grant = (typeof GRANTS)[number];

export const CLIENT_AUTH_METHODS = ['basic', 'body', 'none'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** Secret fields where a connection's tokens are kept. */
export const TOKEN_FIELDS = {
  accessToken: 'oauthAccessToken',
  refreshToken: 'oauthRefreshToken',
  expiresAt: 'oauthExpiresAt',
} as const;

export interface OAuth2Config {
  grant: Grant;
  clientId: string;
  clientSecret?: string;
  clientAuth: ClientAuthMethod;
  issuer?: string;
  authorizationUrl?: string;
  tokenUrl?: string;
  deviceAuthorizationUrl?: string;
  scopes: string[];
  audience?: string;
  /** Sent with the first request of the grant (see initialParameters). */
  extraParams: Record<string, string>;
  username?: string;
  password?: string;
}

export function readOAuth2Config(
  settings: Settings,
  secrets: Secrets,
): OAuth2Config {
  const config: OAuth2Config = {
    grant: readGrant(settings),
    clientId: text(settings, 'clientId') ?? '',
    clientSecret: secrets.clientSecret || undefined,
    clientAuth: readClientAuth(settings, secrets),
    issuer: text(settings, 'issuer'),
    authorizationUrl: text(settings, 'authorizationUrl'),
    tokenUrl: text(settings, 'tokenUrl'),
    deviceAuthorizationUrl: text(settings, 'deviceAuthorizationUrl'),
    scopes: readScopes(settings.scopes),
    audience: text(settings, 'audience'),
    extraParams: readExtraParams(settings.extraParams),
    username: text(settings, 'oauthUsername'),
    password: secrets.oauthPassword || undefined,
  };
  checkComplete(config, settings);
  checkTransport(config);
  return config;
}

/** The grants that need no person: conn may run them on its own. */
export function isUnattended(grant: Grant): boolean {
  return grant === 'client_credentials' || grant === 'password';
}

/**
 * Parameters for the first request of a grant: the authorization URL, the
 * device authorization request, or the token request of the unattended
 * grants. Audience and extra parameters belong there (Auth0, Google), not
 * in refreshes, which keep what was granted.
 */
export function initialParameters(config: OAuth2Config): URLSearchParams {
  const params = new URLSearchParams();
  if (config.scopes.length) params.set('scope', config.scopes.join(' '));
  if (config.audience) params.set('audience', config.audience);
  for (const [key, value] of Object.entries(config.extraParams)) {
    params.set(key, value);
  }
  return params;
}

function readGrant(settings: Settings): Grant {
  const value = text(settings, 'oauthGrant') ?? 'client_credentials';
  if ((GRANTS as readonly string[]).includes(value)) return value as Grant;
  throw new UsageError(
    `unknown OAuth grant '${value}'`,
    `oauthGrant is one of ${GRANTS.join(', ')}`,
  );
}

function readClientAuth(
  settings: Settings,
  secrets: Secrets,
): ClientAuthMethod {
  const value = text(settings, 'clientAuth');
  if (!value) return secrets.clientSecret ? 'basic' : 'none';
  const known = CLIENT_AUTH_METHODS as readonly string[];
  if (known.includes(value)) return value as ClientAuthMethod;
  throw new UsageError(
    `unknown client authentication '${value}'`,
    `clientAuth is one of ${CLIENT_AUTH_METHODS.join(', ')}`,
  );
}

function checkComplete(config: OAuth2Config, settings: Settings): void {
  const missing = missingFields(config);
  if (!missing.length) return;
  const ref = text(settings, 'clientRef');
  const hint = ref
    ? `the shared client '${ref}' should supply them; ` +
      `\`conn clients show ${ref}\` shows what it holds`
    : `set them with \`conn edit\`, or refer to a shared client (clientRef)`;
  throw new UsageError(
    `OAuth 2.0 settings missing: ${missing.join(', ')}`,
    hint,
    'missing-fields',
  );
}

function missingFields(config: OAuth2Config): string[] {
  const missing: string[] = [];
  const discovered = Boolean(config.issuer);
  if (!config.clientId) missing.push('clientId');
  if (config.clientAuth !== 'none' && !config.clientSecret) {
    missing.push('clientSecret');
  }
  if (!config.tokenUrl && !discovered) missing.push('tokenUrl (or issuer)');
  const needs = endpointFor(config.grant);
  if (needs && !config[needs] && !discovered) {
    missing.push(`${needs} (or issuer)`);
  }
  if (config.grant === 'password') {
    if (!config.username) missing.push('oauthUsername');
    if (!config.password) missing.push('oauthPassword');
  }
  return missing;
}

function endpointFor(
  grant: Grant,
): 'authorizationUrl' | 'deviceAuthorizationUrl' | undefined {
  if (grant === 'authorization_code') return 'authorizationUrl';
  if (grant === 'device_code') return 'deviceAuthorizationUrl';
  return undefined;
}

/**
 * Tokens and client secrets must not cross the network in clear text. Plain
 * http is accepted only on the loopback interface (local development and
 * the tests), where it never leaves the machine.
 */
export function checkTransport(config: OAuth2Config): void {
  for (const url of endpointUrls(config)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(
        `'${url}' is not a URL`,
        'example: https://login.example.com/oauth/token',
      );
    }
    if (parsed.protocol === 'https:') continue;
    if (parsed.protocol === 'http:' && isLoopback(parsed)) continue;
    throw new UsageError(
      `OAuth endpoint ${url} must use https`,
      'plain http is accepted only for 127.0.0.1, ::1 and localhost',
    );
  }
}

export function endpointUrls(config: OAuth2Config): string[] {
  const urls = [
    config.issuer,
    config.authorizationUrl,
    config.tokenUrl,
    config.deviceAuthorizationUrl,
  ];
  return urls.filter((url): url is string => Boolean(url));
}

export function isLoopback(url: URL): boolean {
  const host = url.hostname;
  return host === '127.0.0.1' || host === '[::1]' || host === 'localhost';
}

function readScopes(value: Settings[string] | undefined): string[] {
  if (Array.isArray(value)) return value.map(String).filter(Boolean);
  if (typeof value !== 'string') return [];
  // Users paste scopes from documentation both ways: space or comma lists.
  return value.split(/[\s,]+/).filter(Boolean);
}

function readExtraParams(
  value: Settings[string] | undefined,
): Record<string, string> {
  if (value === undefined || value === '') return {};
  const parsed = typeof value === 'string' ? parseJson(value) : value;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(
      'extraParams must be a JSON object of parameter names and values',
      'example: {"prompt": "consent", "access_type": "offline"}',
    );
  }
  const params: Record<string, string> = {};
  for (const [key, item] of Object.entries(parsed)) {
    params[key] = typeof item === 'string' ? item : JSON.stringify(item);
  }
  return params;
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

export function text(settings: Settings, key: string): string | undefined {
  const value = settings[key];
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return undefined;
}
