// OAuth 2.0 as an AuthScheme. Tokens live in the connection's secret store
// entry (TOKEN_FIELDS). Before requests the scheme uses the stored access
// token while it has more than a minute left, else refreshes it, else (for
// grants that need no person) obtains a new one. After a 401 it renews once.
// `conn auth` calls authorizeOAuth2 to run a grant from the start.

import type { AuthContext, AuthScheme, OutgoingRequest } from './types.js';
import type { Secrets, Settings } from '../connectors/types.js';
import type { Grant, OAuth2Config } from './oauth2-config.js';
import type { OAuth2Session } from './oauth2-session.js';
import type { TokenSet } from './oauth2-grants.js';
import type { OAuth2Interaction } from './oauth2-interactive.js';
import {
  TOKEN_FIELDS,
  isUnattended,
  readOAuth2Config,
} from './oauth2-config.js';
import { AuthExpiredError, isDeadRefreshToken } from './oauth2-errors.js';
import { explainOAuthError } from './oauth2-errors.js';

export type { OAuth2Interaction } from './oauth2-interactive.js';
export type { DeviceCodePrompt } from './oauth2-interactive.js';
export { AuthExpiredError } from './oauth2-errors.js';
export { TOKEN_FIELDS } from './oauth2-config.js';

/** Renew this long before the server's expiry, for clock skew and latency. */
export const EXPIRY_SKEW_MS = 60_000;

/**
 * Given the settings and secrets, a missing field is reported at once
 * (the HTTP adapter's factory signature) instead of at the first request.
 */
export function createOAuth2Scheme(
  settings?: Settings,
  secrets?: Secrets,
): AuthScheme {
  if (settings) readOAuth2Config(settings, secrets ?? {});
  let tokens: TokenSet | undefined;
  let renewedThisRun = false;
  let retried = false;

  const renew = async (ctx: AuthContext, reason: string) => {
    tokens = await renewTokens(ctx, tokens, reason);
    renewedThisRun = true;
  };

  return {
    async prepare(ctx) {
      tokens ??= storedTokens(ctx);
      if (tokens && isFresh(tokens)) return;
      await renew(ctx, tokens ? 'the access token expires' : 'no token');
    },
    sign(request: OutgoingRequest) {
      if (!tokens) throw new Error('oauth2: sign() before prepare()');
      request.headers.authorization = `Bearer ${tokens.accessToken}`;
    },
    async retryAfterUnauthorized(_response, ctx) {
      // A token obtained in this run was refused on its first use; a
      // second one would be refused too, and hides the real cause.
      if (retried || renewedThisRun) return false;
      retried = true;
      await renew(ctx, 'the server answered 401');
      return true;
    },
  };
}

export interface OAuth2Authorization {
  grant: Grant;
  /** ISO 8601, when the server gave an expiry. */
  expiresAt?: string;
  hasRefreshToken: boolean;
  scope?: string;
  /** The secret fields that were written. */
  savedFields: string[];
}

/** Runs the connection's grant from the start and stores the tokens. */
export async function authorizeOAuth2(
  ctx: AuthContext,
  interaction: OAuth2Interaction,
): Promise<OAuth2Authorization> {
  const config = readOAuth2Config(ctx.settings, ctx.secrets);
  const session = await startSession(config, ctx);
  const tokens = await runGrant(session, ctx, interaction);
  const savedFields = await saveTokens(ctx, tokens);
  return {
    grant: config.grant,
    expiresAt: isoTime(tokens.expiresAt),
    hasRefreshToken: Boolean(tokens.refreshToken),
    scope: tokens.scope,
    savedFields,
  };
}

async function runGrant(
  session: OAuth2Session,
  ctx: AuthContext,
  interaction: OAuth2Interaction,
): Promise<TokenSet> {
  const grant = session.config.grant;
  if (isUnattended(grant)) return obtainUnattended(session);
  const flows = await import('./oauth2-interactive.js');
  if (grant === 'device_code') {
    return flows.deviceCodeGrant(session, ctx, interaction);
  }
  return flows.authorizationCodeGrant(session, ctx, interaction);
}

async function renewTokens(
  ctx: AuthContext,
  current: TokenSet | undefined,
  reason: string,
): Promise<TokenSet> {
  const config = readOAuth2Config(ctx.settings, ctx.secrets);
  if (!current?.refreshToken && !isUnattended(config.grant)) {
    throw new AuthExpiredError(ctx.connectionName, 'holds no token yet');
  }
  ctx.trace.emit({ type: 'step', name: 'oauth2 token renewal', detail: reason });
  const session = await startSession(config, ctx);
  const tokens = current?.refreshToken
    ? await refresh(session, ctx, current.refreshToken)
    : await obtainUnattended(session);
  await saveTokens(ctx, tokens);
  return tokens;
}

async function refresh(
  session: OAuth2Session,
  ctx: AuthContext,
  refreshToken: string,
): Promise<TokenSet> {
  const { refreshGrant } = await import('./oauth2-grants.js');
  try {
    return await refreshGrant(session, refreshToken);
  } catch (error) {
    if (isDeadRefreshToken(error)) {
      throw new AuthExpiredError(
        ctx.connectionName,
        'has expired or was revoked (the refresh token was refused)',
      );
    }
    throw explainOAuthError(error, 'refresh token grant');
  }
}

async function obtainUnattended(session: OAuth2Session): Promise<TokenSet> {
  const grants = await import('./oauth2-grants.js');
  if (session.config.grant === 'password') {
    return grants.passwordGrant(session);
  }
  return grants.clientCredentialsGrant(session);
}

async function startSession(
  config: OAuth2Config,
  ctx: AuthContext,
): Promise<OAuth2Session> {
  const { openSession } = await import('./oauth2-session.js');
  return openSession(config, ctx);
}

function storedTokens(ctx: AuthContext): TokenSet | undefined {
  const accessToken = ctx.secrets[TOKEN_FIELDS.accessToken];
  const refreshToken = ctx.secrets[TOKEN_FIELDS.refreshToken] || undefined;
  if (!accessToken && !refreshToken) return undefined;
  const expiry = Date.parse(ctx.secrets[TOKEN_FIELDS.expiresAt] ?? '');
  return {
    accessToken: accessToken ?? '',
    tokenType: 'Bearer',
    refreshToken,
    expiresAt: Number.isNaN(expiry) ? undefined : expiry,
  };
}

function isFresh(tokens: TokenSet, now = Date.now()): boolean {
  if (!tokens.accessToken) return false;
  // Without an expiry the token is used until the server answers 401.
  if (tokens.expiresAt === undefined) return true;
  return tokens.expiresAt - EXPIRY_SKEW_MS > now;
}

async function saveTokens(
  ctx: AuthContext,
  tokens: TokenSet,
): Promise<string[]> {
  const values: Record<string, string> = {
    [TOKEN_FIELDS.accessToken]: tokens.accessToken,
    // An empty expiry overwrites the one of an earlier token.
    [TOKEN_FIELDS.expiresAt]: isoTime(tokens.expiresAt) ?? '',
  };
  if (tokens.refreshToken) {
    values[TOKEN_FIELDS.refreshToken] = tokens.refreshToken;
  }
  for (const [field, value] of Object.entries(values)) {
    await ctx.saveSecret(field, value);
    ctx.secrets[field] = value;
  }
  ctx.trace.emit(tokenStep(tokens));
  return Object.keys(values);
}

function tokenStep(tokens: TokenSet) {
  return {
    type: 'step' as const,
    name: 'oauth2 tokens stored',
    data: {
      tokenType: tokens.tokenType,
      expiresAt: isoTime(tokens.expiresAt) ?? null,
      refreshToken: Boolean(tokens.refreshToken),
      scope: tokens.scope ?? null,
    },
  };
}

function isoTime(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
