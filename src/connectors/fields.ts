// Everything generated from a connector's fields: which fields apply, how a
// typed value is parsed from text (flags, prompts) and validated, defaults,
// and which required values are still missing.

import type { ConnectorDefinition, ConnectorField, FieldValue, Settings } from './types.js';

export type Values = Record<string, FieldValue | undefined>;

/** A field applies when every condition in `when` holds for the values. */
export function applies(field: ConnectorField, values: Values): boolean {
  if (!field.when) return true;
  return Object.entries(field.when).every(([key, expected]) => {
    const actual = values[key];
    const options = Array.isArray(expected) ? expected : [expected];
    return options.some((option) => option === actual);
  });
}

export function applicableFields(connector: ConnectorDefinition, values: Values): ConnectorField[] {
  return connector.fields.filter((field) => applies(field, values));
}

export function findField(connector: ConnectorDefinition, key: string): ConnectorField | undefined {
  return connector.fields.find((field) => field.key === key);
}

/**
 * Parses text into the field's type and validates it. Returns the value, or
 * an error message that says what is wrong and shows an example of right.
 */
export function parseFieldValue(
  field: ConnectorField,
  text: string,
): { value: FieldValue } | { error: string } {
  const parsed = parseByType(field, text.trim() === text ? text : text.trim());
  if ('error' in parsed) return parsed;
  const error = validateFieldValue(field, parsed.value);
  return error ? { error } : parsed;
}

function parseByType(
  field: ConnectorField,
  text: string,
): { value: FieldValue } | { error: string } {
  switch (field.type) {
    case 'number': {
      const value = Number(text);
      if (text === '' || !Number.isFinite(value)) {
        return {
          error: `${field.key} must be a number, e.g. ${field.example ?? field.default ?? 10}`,
        };
      }
      return { value };
    }
    case 'boolean': {
      const lower = text.toLowerCase();
      if (['true', 'yes', 'y', '1', 'on'].includes(lower)) return { value: true };
      if (['false', 'no', 'n', '0', 'off'].includes(lower)) return { value: false };
      return { error: `${field.key} must be true or false` };
    }
    case 'json': {
      try {
        return { value: JSON.parse(text) as FieldValue };
      } catch {
        return { error: `${field.key} must be JSON, e.g. ${field.example ?? '{"name": "value"}'}` };
      }
    }
    default:
      return { value: text };
  }
}

export function validateFieldValue(field: ConnectorField, value: FieldValue): string | undefined {
  if (field.type === 'number') return validateNumber(field, value as number);
  if (typeof value !== 'string') return undefined;
  if (field.type === 'enum' && field.choices && !field.choices.includes(value)) {
    return `${field.key} must be one of ${field.choices.join(', ')}`;
  }
  if (field.type === 'url') {
    const error = validateUrl(field, value);
    if (error) return error;
  }
  if (field.pattern && !new RegExp(field.pattern).test(value)) {
    const example = field.example ? `, e.g. ${field.example}` : '';
    return field.secret
      ? `${field.key} does not have the expected form`
      : `${field.key} '${value}' does not have the expected form${example}`;
  }
  return undefined;
}

function validateNumber(field: ConnectorField, value: number): string | undefined {
  const { min, max } = field;
  const got = field.secret ? '' : `, got ${value}`;
  if (min !== undefined && max !== undefined && (value < min || value > max)) {
    return `${field.key} must be between ${min} and ${max}${got}`;
  }
  if (min !== undefined && value < min) return `${field.key} must be at least ${min}${got}`;
  if (max !== undefined && value > max) return `${field.key} must be at most ${max}${got}`;
  if (field.key === 'port' && !Number.isInteger(value)) return `port must be a whole number`;
  return undefined;
}

function validateUrl(field: ConnectorField, value: string): string | undefined {
  const example = field.example ?? 'https://api.example.com';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    const shown = field.secret ? '' : ` '${value}'`;
    return `${field.key}${shown} is not a URL, e.g. ${example}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `${field.key} must start with http:// or https://, e.g. ${example}`;
  }
  if (url.username || url.password) {
    // Credentials in a URL would land in the connections file in plain text.
    return `${field.key} must not contain a user name or password; use the authentication fields`;
  }
  return undefined;
}

/**
 * Fills in defaults for applicable fields that have no value yet. Stored
 * connections keep only the main fields' defaults (what a prompt offers);
 * advanced defaults are applied when the connection is used, so they follow
 * the connector.
 */
export function withDefaults(
  connector: ConnectorDefinition,
  settings: Settings,
  includeAdvanced = true,
): Settings {
  const result: Settings = { ...settings };
  // Defaults can switch on other fields (auth: none), so settle in passes;
  // a pass with nothing to fill leaves the next one nothing either.
  for (let pass = 0; pass < 3; pass++) {
    const unset = fieldsWithDefaults(connector).filter(
      (field) =>
        result[field.key] === undefined &&
        (includeAdvanced || !field.advanced) &&
        applies(field, result),
    );
    if (unset.length === 0) break;
    for (const { key, default: value } of unset) {
      if (result[key] === undefined && value !== undefined) result[key] = value;
    }
  }
  return result;
}

const defaulted = new WeakMap<ConnectorDefinition, ConnectorField[]>();

/**
 * The plain fields that have a default, worked out once per definition:
 * `conn test --all` fills defaults for every connection, and most fields
 * have none. Definitions are not changed once loaded.
 */
function fieldsWithDefaults(connector: ConnectorDefinition): ConnectorField[] {
  let fields = defaulted.get(connector);
  if (!fields) {
    fields = connector.fields.filter((f) => !f.secret && f.default !== undefined);
    defaulted.set(connector, fields);
  }
  return fields;
}

/** Drops values of fields that no longer apply (after auth type changes). */
export function withoutInapplicable(connector: ConnectorDefinition, settings: Settings): Settings {
  const result: Settings = {};
  for (const field of applicableFields(connector, settings)) {
    if (!field.secret && settings[field.key] !== undefined) {
      result[field.key] = settings[field.key];
    }
  }
  return result;
}

/** Required applicable fields with no value in settings or secrets. */
export function missingFields(
  connector: ConnectorDefinition,
  settings: Settings,
  secretKeys: Set<string>,
): ConnectorField[] {
  return applicableFields(connector, settings).filter((field) => {
    if (!field.required) return false;
    return field.secret ? !secretKeys.has(field.key) : settings[field.key] === undefined;
  });
}

/** The flag that supplies a field, for error messages. */
export function flagFor(field: ConnectorField): string {
  if (field.secret) return `--secret-stdin ${field.key} or --secret-env ${field.key}=VAR`;
  return `--set ${field.key}=${field.example ?? '...'}`;
}
