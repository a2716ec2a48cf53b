// Field values from the command line: `--set key=value` for plain fields,
// `--secret-stdin key` and `--secret-env key=VAR` for secrets. A secret is
// never accepted as a plain flag: it would sit in shell history and `ps`.

import { UsageError } from '../errors.js';
import { suggestion } from '../suggest.js';
import { applies, findField, parseFieldValue } from './fields.js';
import type { ConnectorDefinition, ConnectorField, Secrets, Settings } from './types.js';

export interface ValueFlags {
  set?: string[];
  secretStdin?: string[];
  secretEnv?: string[];
}

export interface FlagValues {
  settings: Settings;
  secrets: Secrets;
}

export async function valuesFromFlags(
  connector: ConnectorDefinition,
  flags: ValueFlags,
  env: NodeJS.ProcessEnv,
  readStdin: () => Promise<string>,
): Promise<FlagValues> {
  const settings: Settings = {};
  const secrets: Secrets = {};
  for (const pair of flags.set ?? []) {
    const [key, text] = splitPair(pair, '--set', 'key=value');
    const field = fieldFor(connector, key, '--set');
    if (field.secret) throw secretAsPlainFlag(field);
    settings[key] = parsed(field, text);
  }
  for (const pair of flags.secretEnv ?? []) {
    const [key, variable] = splitPair(pair, '--secret-env', 'key=VAR');
    const field = secretFieldFor(connector, key, '--secret-env');
    const value = env[variable];
    if (!value) {
      throw new UsageError(
        `environment variable ${variable} (for ${field.key}) is not set or empty`,
        `export ${variable}=... first, or use --secret-stdin ${field.key}`,
        'missing-env',
      );
    }
    secrets[key] = value;
  }
  const stdinKeys = flags.secretStdin ?? [];
  if (stdinKeys.length > 0) {
    stdinKeys.forEach((key) => secretFieldFor(connector, key, '--secret-stdin'));
    Object.assign(secrets, splitStdin(stdinKeys, await readStdin()));
  }
  for (const [key, value] of Object.entries(secrets)) {
    // Checked like any value (JSON, pattern); the messages never repeat it.
    parsed(findField(connector, key)!, value);
  }
  return { settings, secrets };
}

/** Fields given on the command line must apply to the final values. */
export function checkApplicable(
  connector: ConnectorDefinition,
  given: string[],
  values: Settings,
): void {
  for (const key of given) {
    const field = findField(connector, key)!;
    if (applies(field, values)) continue;
    const conditions = Object.entries(field.when ?? {})
      .map(([k, v]) => `${k} is ${Array.isArray(v) ? v.join(' or ') : v}`)
      .join(' and ');
    throw new UsageError(
      `${key} does not apply here: it is used only when ${conditions}`,
      `drop ${key}, or set ${conditions.replace(/ is /g, '=')}`,
      'field-not-applicable',
    );
  }
}

function splitPair(pair: string, flag: string, shape: string): [string, string] {
  const at = pair.indexOf('=');
  if (at <= 0) {
    throw new UsageError(
      `${flag} expects ${shape}, got '${flag === '--set' ? pair : pair.split('=')[0]}'`,
      `example: ${flag} ${flag === '--set' ? 'port=5432' : 'password=DB_PASSWORD'}`,
      'bad-flag',
    );
  }
  return [pair.slice(0, at), pair.slice(at + 1)];
}

function fieldFor(connector: ConnectorDefinition, key: string, flag: string): ConnectorField {
  const field = findField(connector, key);
  if (field) return field;
  const keys = connector.fields.map((f) => f.key);
  throw new UsageError(
    `${connector.id} has no field '${key}' (${flag})`,
    `${suggestion(key, keys)}fields: ${keys.join(', ')}`,
    'unknown-field',
  );
}

function secretFieldFor(connector: ConnectorDefinition, key: string, flag: string): ConnectorField {
  const field = fieldFor(connector, key, flag);
  if (!field.secret) {
    throw new UsageError(
      `${key} is not a secret field; ${flag} is only for secrets`,
      `use --set ${key}=${field.example ?? '...'}`,
      'not-secret',
    );
  }
  return field;
}

function secretAsPlainFlag(field: ConnectorField): UsageError {
  return new UsageError(
    `${field.key} is a secret and is never taken from --set (it would stay in shell history and \`ps\`)`,
    `use --secret-stdin ${field.key} or --secret-env ${field.key}=VAR`,
    'secret-as-flag',
  );
}

function parsed(field: ConnectorField, text: string) {
  const result = parseFieldValue(field, text);
  if ('error' in result) {
    throw new UsageError(
      result.error,
      field.help ?? `see \`conn connectors\` for ${field.key}`,
      'bad-value',
    );
  }
  return result.value;
}

/** One key takes all of stdin; several take one line each, in order. */
function splitStdin(keys: string[], text: string): Secrets {
  const secrets: Secrets = {};
  if (keys.length === 1) {
    secrets[keys[0]] = text.replace(/\r?\n$/, '');
  } else {
    const lines = text.split(/\r?\n/);
    keys.forEach((key, index) => {
      secrets[key] = lines[index] ?? '';
    });
  }
  for (const [key, value] of Object.entries(secrets)) {
    if (!value) {
      throw new UsageError(
        `no value for ${key} on standard input`,
        keys.length > 1
          ? 'give one line per --secret-stdin key, in order'
          : 'pipe the secret in: printf %s "$SECRET" | conn ...',
        'missing-stdin',
      );
    }
  }
  return secrets;
}

export async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
