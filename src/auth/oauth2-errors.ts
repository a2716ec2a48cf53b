// Turns what oauth4webapi throws into conn's user errors. The error `code`
// is a failure class name (adapters/types.ts), so the HTTP adapter can report
// `auth-expired`, `credentials` or `permissions` without knowing OAuth.

import { OperationError } from '../errors.js';

/** The stored authorization is gone: only `conn auth` can bring it back. */
export class AuthExpiredError extends OperationError {
  constructor(connectionName: string, reason: string) {
    super(
      `the OAuth authorization of '${connectionName}' ${reason}`,
      `run \`conn auth ${connectionName}\` again`,
      'auth-expired',
    );
    this.name = 'AuthExpiredError';
  }
}

/** The parts of oauth4webapi's errors that are worth reporting. */
interface OAuthErrorShape {
  name?: string;
  message?: string;
  error?: unknown;
  error_description?: unknown;
  status?: unknown;
  cause?: unknown;
}

const PERMISSION_ERRORS = new Set([
  'invalid_scope',
  'unauthorized_client',
  'access_denied',
  'unsupported_grant_type',
]);

/**
 * Explains an error from a token or authorization exchange. Network errors
 * (refused, DNS, TLS) pass through untouched: the adapter classifies those.
 */
export function explainOAuthError(error: unknown, step: string): unknown {
  const shape = challengeError((error ?? {}) as OAuthErrorShape);
  const busy = unavailable(shape, step);
  if (busy) return busy;
  if (typeof shape.error === 'string') {
    return serverRefusal(shape.error, shape, step);
  }
  if (shape.name === 'OperationProcessingError') {
    return new OperationError(
      `${step}: ${shape.message}`,
      'the authorization server answered in a way OAuth 2.0 does not allow',
      'protocol',
    );
  }
  return error;
}

/**
 * The server could not answer (5xx, server_error, temporarily_unavailable)
 * or asked to slow down (429): not a credentials or protocol problem.
 */
function unavailable(shape: OAuthErrorShape, step: string): OperationError | undefined {
  const status = statusOf(shape);
  const code = typeof shape.error === 'string' ? shape.error : undefined;
  if (status === 429) {
    return new OperationError(`${step}: the server answered 429 Too Many Requests`,
      'the token endpoint is rate limiting; wait before testing again', 'rate-limited');
  }
  if ((status !== undefined && status >= 500) || code === 'server_error' || code === 'temporarily_unavailable') {
    return new OperationError(`${step}: the server failed${status ? ` (${status})` : ''}${code ? `: ${code}` : ''}`,
      'the authorization server has a problem of its own; try again later or check its status page', 'server-error');
  }
  return undefined;
}

function statusOf(shape: OAuthErrorShape): number | undefined {
  const candidates = [shape.status, (shape.cause as { status?: unknown } | undefined)?.status];
  const found = candidates.find((value) => typeof value === 'number');
  return found as number | undefined;
}

function serverRefusal(
  code: string,
  shape: OAuthErrorShape,
  step: string,
): OperationError {
  const description =
    typeof shape.error_description === 'string'
      ? ` (${shape.error_description})`
      : '';
  const message = `${step}: the server said ${code}${description}`;
  if (code === 'invalid_client') {
    return new OperationError(
      message,
      'check clientId, clientSecret and clientAuth (basic or body)',
      'credentials',
    );
  }
  if (PERMISSION_ERRORS.has(code)) {
    return new OperationError(
      message,
      'check the scopes and the grants the client registration allows',
      'permissions',
    );
  }
  return new OperationError(
    message,
    'check the grant settings and the user or code that was sent',
    'credentials',
  );
}

/**
 * A 401 from the token endpoint arrives as WWWAuthenticateChallengeError,
 * with the OAuth error code inside the challenge's parameters.
 */
function challengeError(shape: OAuthErrorShape): OAuthErrorShape {
  if (shape.name !== 'WWWAuthenticateChallengeError') return shape;
  const challenges = Array.isArray(shape.cause) ? shape.cause : [];
  const parameters = challenges[0]?.parameters ?? {};
  return {
    ...shape,
    error: parameters.error ?? 'invalid_client',
    error_description: parameters.error_description,
  };
}

/** Whether a refresh failed because the refresh token is no longer good. */
export function isDeadRefreshToken(error: unknown): boolean {
  const code = challengeError((error ?? {}) as OAuthErrorShape).error;
  return code === 'invalid_grant' || code === 'invalid_token';
}
