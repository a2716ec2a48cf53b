// The HTTP authentication schemes by the name the `auth` setting uses. A new
// scheme is one line in `schemes`: its name and a factory that reads the
// connection's settings and secrets (and throws a UsageError naming the
// missing field). Only the chosen scheme's factory runs.

import type { Secrets, Settings } from '../connectors/types.js';
import { UsageError } from '../errors.js';
import { createApiKeyAuth } from './apikey.js';
import { createBasicAuth } from './basic.js';
import { createBearerAuth } from './bearer.js';
import { createCookieAuth } from './cookie.js';
import { createDigestAuth } from './digest.js';
import { createJwtScheme } from './jwt.js';
import { createOAuth1Scheme } from './oauth1.js';
import { createOAuth2Scheme } from './oauth2.js';
import { createSigV4Scheme } from './sigv4.js';
import { createTemplateAuth } from './template.js';
import type { AuthScheme } from './types.js';

export type AuthSchemeFactory = (settings: Settings, secrets: Secrets) => AuthScheme;

const noHeaders: AuthSchemeFactory = () => ({ sign() {} });

const schemes: Record<string, AuthSchemeFactory> = {
  none: noHeaders,
  basic: createBasicAuth,
  digest: createDigestAuth,
  bearer: createBearerAuth,
  apikey: createApiKeyAuth,
  template: createTemplateAuth,
  cookie: createCookieAuth,
  oauth2: createOAuth2Scheme,
  oauth1: createOAuth1Scheme,
  jwt: createJwtScheme,
  'aws-sigv4': createSigV4Scheme,
  // The client certificate is sent in the TLS handshake, not in a header.
  clientCert: noHeaders,
};

export function authSchemeNames(): string[] {
  return Object.keys(schemes);
}

export function createAuthScheme(settings: Settings, secrets: Secrets): AuthScheme {
  const name = typeof settings.auth === 'string' ? settings.auth : 'none';
  const factory = Object.hasOwn(schemes, name) ? schemes[name] : undefined;
  if (!factory) {
    throw new UsageError(
      `unknown authentication '${name}'`,
      `auth is one of: ${authSchemeNames().join(', ')}`,
      'invalid-setting',
    );
  }
  return factory(settings, secrets);
}
