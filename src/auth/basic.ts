// HTTP Basic (RFC 7617): user name and password, UTF-8, in every request.

import type { Secrets, Settings } from '../connectors/types.js';
import { requireField } from './template.js';
import type { AuthScheme } from './types.js';

export function createBasicAuth(settings: Settings, secrets: Secrets): AuthScheme {
  const username = requireField('username', 'basic', settings, secrets);
  const password = requireField('password', 'basic', settings, secrets);
  const credentials = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  return {
    sign(request) {
      request.headers.authorization = `Basic ${credentials}`;
    },
  };
}
