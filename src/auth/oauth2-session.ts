// The oauth4webapi side of a connection: its authorization server (from the
// settings, or discovered from the issuer), its client and client
// authentication, and request options that send every HTTP call through the
// context's fetch, so token requests and responses appear in the trace.
// oauth4webapi is imported here, lazily, so `conn list` never loads it.

import type {
  AuthorizationServer,
  Client,
  ClientAuth,
  HttpRequestOptions,
} from 'oauth4webapi';
import type { AuthContext } from './types.js';
import type { OAuth2Config } from './oauth2-config.js';
import { endpointUrls, isLoopback } from './oauth2-config.js';
import { explainOAuthError } from './oauth2-errors.js';

export type OAuthLibrary = typeof import('oauth4webapi');

/** Fits both the GET (discovery) and POST (token) calls of oauth4webapi. */
export type RequestOptions = HttpRequestOptions<'POST', URLSearchParams> &
  HttpRequestOptions<'GET'>;

export interface OAuth2Session {
  oauth: OAuthLibrary;
  config: OAuth2Config;
  server: AuthorizationServer;
  client: Client;
  clientAuth: ClientAuth;
  /** Options for one request: signal, traced fetch, loopback http. */
  request(): RequestOptions;
}

export async function openSession(
  config: OAuth2Config,
  ctx: AuthContext,
): Promise<OAuth2Session> {
  const oauth = await import('oauth4webapi');
  const request = requestOptions(oauth, config, ctx);
  const server = await authorizationServer(oauth, config, request());
  return {
    oauth,
    config,
    server,
    client: { client_id: config.clientId },
    clientAuth: clientAuthentication(oauth, config),
    request,
  };
}

function requestOptions(
  oauth: OAuthLibrary,
  config: OAuth2Config,
  ctx: AuthContext,
): () => RequestOptions {
  // readOAuth2Config already refused plain http anywhere but loopback.
  const insecure = endpointUrls(config).some((url) => isPlainLoopback(url));
  return () => ({
    signal: ctx.signal,
    [oauth.customFetch]: (url: string, init: RequestInit) =>
      ctx.fetch(url, init),
    [oauth.allowInsecureRequests]: insecure,
  });
}

function isPlainLoopback(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === 'http:' && isLoopback(parsed);
}

async function authorizationServer(
  oauth: OAuthLibrary,
  config: OAuth2Config,
  options: HttpRequestOptions<'GET'>,
): Promise<AuthorizationServer> {
  const discovered = config.issuer
    ? await discover(oauth, config.issuer, options)
    : undefined;
  // Explicit URLs win over discovery: a connector may override one endpoint.
  return {
    ...discovered,
    issuer: discovered?.issuer ?? new URL(config.tokenUrl ?? '').origin,
    authorization_endpoint:
      config.authorizationUrl ?? discovered?.authorization_endpoint,
    token_endpoint: config.tokenUrl ?? discovered?.token_endpoint,
    device_authorization_endpoint:
      config.deviceAuthorizationUrl ??
      discovered?.device_authorization_endpoint,
  };
}

async function discover(
  oauth: OAuthLibrary,
  issuer: string,
  options: HttpRequestOptions<'GET'>,
): Promise<AuthorizationServer> {
  try {
    const url = new URL(issuer);
    const response = await oauth.discoveryRequest(url, {
      ...options,
      algorithm: 'oidc',
    });
    return await oauth.processDiscoveryResponse(url, response);
  } catch (error) {
    throw explainOAuthError(error, `discovery at ${issuer}`);
  }
}

function clientAuthentication(
  oauth: OAuthLibrary,
  config: OAuth2Config,
): ClientAuth {
  const secret = config.clientSecret ?? '';
  if (config.clientAuth === 'basic') return oauth.ClientSecretBasic(secret);
  if (config.clientAuth === 'body') return oauth.ClientSecretPost(secret);
  return oauth.None();
}
