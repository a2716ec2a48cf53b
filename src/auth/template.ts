// The custom header template scheme, e.g. `Authorization: Token {{token}}`,
// and the field lookup every simple scheme shares: a `{{name}}` placeholder
// is filled from the connection's secret fields first, then its settings.

import type { Secrets, Settings } from '../connectors/types.js';
import { UsageError } from '../errors.js';
import type { AuthScheme, OutgoingRequest } from './types.js';

export function fieldValue(
  name: string,
  settings: Settings,
  secrets: Secrets,
): string | undefined {
  if (secrets[name] !== undefined) return secrets[name];
  const value = settings[name];
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return undefined;
}

/** A value a scheme cannot work without: missing is the user's error. */
export function requireField(
  name: string,
  scheme: string,
  settings: Settings,
  secrets: Secrets,
): string {
  const value = fieldValue(name, settings, secrets);
  if (value === undefined || value === '') {
    throw new UsageError(
      `${scheme} authentication needs a value for '${name}'`,
      `set the field '${name}' on the connection`,
      'missing-field',
    );
  }
  return value;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

/** Fills `{{name}}` placeholders; `encode` escapes values for the target. */
export function renderTemplate(
  template: string,
  settings: Settings,
  secrets: Secrets,
  encode: (value: string) => string = (value) => value,
): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = fieldValue(name, settings, secrets);
    if (value === undefined) {
      throw new UsageError(
        `the template names '{{${name}}}', but the connection has no such field value`,
        'use a field the connection has, e.g. {{token}}, {{apiKey}}, {{username}}, {{password}}',
        'invalid-setting',
      );
    }
    return encode(value);
  });
}

/** `Name: value` lines, one header each. */
export function createTemplateAuth(settings: Settings, secrets: Secrets): AuthScheme {
  const template = requireField('authTemplate', 'template', settings, {});
  const lines = template.split(/\r?\n/).filter((line) => line.trim() !== '');
  const headers = lines.map(parseLine);
  // Rendered now, so a wrong placeholder fails before any request is sent.
  const rendered = headers.map(([name, value]) => {
    const text = renderTemplate(value, settings, secrets);
    if (/[\r\n]/.test(text)) throw templateError(`the value of ${name} has a line break`);
    return [name, text] as const;
  });
  return {
    sign(request: OutgoingRequest) {
      for (const [name, value] of rendered) request.headers[name] = value;
    },
  };
}

function parseLine(line: string): [string, string] {
  const match = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*:\s*(.*?)\s*$/.exec(line);
  if (!match) throw templateError(`'${line}' is not "Header-Name: value"`);
  return [match[1].toLowerCase(), match[2]];
}

function templateError(why: string): UsageError {
  return new UsageError(
    `setting 'authTemplate': ${why}`,
    'e.g. authTemplate = Authorization: Token {{token}}',
    'invalid-setting',
  );
}
