// The OAuth 2.0 grants that need no browser: client credentials, resource
// owner password and refresh. Each returns a TokenSet; the protocol itself
// (request shape, client authentication, response checks) is oauth4webapi's.

import type { TokenEndpointResponse } from 'oauth4webapi';
import type { OAuth2Session } from './oauth2-session.js';
import { initialParameters } from './oauth2-config.js';
import { explainOAuthError } from './oauth2-errors.js';

export interface TokenSet {
  accessToken: string;
  tokenType: string;
  refreshToken?: string;
  /** Milliseconds since the epoch; absent when the server did not say. */
  expiresAt?: number;
  scope?: string;
}

export async function clientCredentialsGrant(
  session: OAuth2Session,
): Promise<TokenSet> {
  const { oauth, server, client, clientAuth } = session;
  try {
    const response = await oauth.clientCredentialsGrantRequest(
      server,
      client,
      clientAuth,
      initialParameters(session.config),
      session.request(),
    );
    return toTokenSet(
      await oauth.processClientCredentialsResponse(server, client, response),
    );
  } catch (error) {
    throw explainOAuthError(error, 'client credentials grant');
  }
}

export async function passwordGrant(
  session: OAuth2Session,
): Promise<TokenSet> {
  const { oauth, server, client, clientAuth, config } = session;
  const params = initialParameters(config);
  params.set('username', config.username ?? '');
  params.set('password', config.password ?? '');
  try {
    const response = await oauth.genericTokenEndpointRequest(
      server,
      client,
      clientAuth,
      'password',
      params,
      session.request(),
    );
    return toTokenSet(
      await oauth.processGenericTokenEndpointResponse(server, client, response),
    );
  } catch (error) {
    throw explainOAuthError(error, 'password grant');
  }
}

/** Errors are left raw: the caller tells a dead refresh token apart. */
export async function refreshGrant(
  session: OAuth2Session,
  refreshToken: string,
): Promise<TokenSet> {
  const { oauth, server, client, clientAuth } = session;
  const response = await oauth.refreshTokenGrantRequest(
    server,
    client,
    clientAuth,
    refreshToken,
    session.request(),
  );
  const tokens = toTokenSet(
    await oauth.processRefreshTokenResponse(server, client, response),
  );
  // RFC 6749 section 6: without a new refresh token the old one stays good.
  return { ...tokens, refreshToken: tokens.refreshToken ?? refreshToken };
}

export function toTokenSet(
  response: TokenEndpointResponse,
  now = Date.now(),
): TokenSet {
  const expiresIn = response.expires_in;
  return {
    accessToken: response.access_token,
    tokenType: response.token_type,
    refreshToken: response.refresh_token,
    expiresAt:
      typeof expiresIn === 'number' ? now + expiresIn * 1000 : undefined,
    scope: response.scope,
  };
}
