// A bearer token (RFC 6750) the user already has, sent in every request.

import type { Secrets, Settings } from '../connectors/types.js';
import { requireField } from './template.js';
import type { AuthScheme } from './types.js';

export function createBearerAuth(settings: Settings, secrets: Secrets): AuthScheme {
  const token = requireField('token', 'bearer', settings, secrets);
  return {
    sign(request) {
      request.headers.authorization = `Bearer ${token}`;
    },
  };
}
