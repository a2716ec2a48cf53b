// An API key in a header (name and optional scheme configurable, e.g.
// `Authorization: Token <key>`) or in a query parameter.

import type { Secrets, Settings } from '../connectors/types.js';
import { UsageError } from '../errors.js';
import { fieldValue, requireField } from './template.js';
import type { AuthScheme } from './types.js';

export function createApiKeyAuth(settings: Settings, secrets: Secrets): AuthScheme {
  const key = requireField('apiKey', 'apikey', settings, secrets);
  const place = fieldValue('apiKeyIn', settings, {}) ?? 'header';
  if (place !== 'header' && place !== 'query') {
    throw new UsageError(
      `setting 'apiKeyIn' must be header or query, not '${place}'`,
      'e.g. apiKeyIn = header',
      'invalid-setting',
    );
  }
  const defaultName = place === 'header' ? 'X-API-Key' : 'api_key';
  const name = fieldValue('apiKeyName', settings, {}) || defaultName;
  const scheme = fieldValue('apiKeyScheme', settings, {});
  const value = scheme ? `${scheme} ${key}` : key;
  return {
    sign(request) {
      if (place === 'query') request.url.searchParams.set(name, value);
      else request.headers[name.toLowerCase()] = value;
    },
  };
}
