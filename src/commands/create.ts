// `conn create [connector]`: pick a connector, name the connection, fill its
// fields from flags or prompts, store settings and secrets, then test it.

import type { AppContext } from '../context.js';
import { UsageError } from '../errors.js';
import {
  applies,
  flagFor,
  missingFields,
  validateFieldValue,
  withDefaults,
  withoutInapplicable,
} from '../connectors/fields.js';
import {
  checkApplicable,
  readAllStdin,
  valuesFromFlags,
  type ValueFlags,
} from '../connectors/flags.js';
import type { ConnectorDefinition, Secrets, Settings } from '../connectors/types.js';
import { nameProblem } from '../store/connections.js';
import { insertConnection } from '../store/mutations.js';
import { groupConnectors } from './connectors.js';
import { connectionView } from './show.js';

export interface CreateOptions extends ValueFlags {
  connector?: string;
  name?: string;
  test: boolean;
  /** A database connection string; its password goes to the secret store. */
  url?: string;
  urlStdin?: boolean;
}

const URL_ADAPTERS = ['postgres', 'mysql', 'redis'];

export async function create(ctx: AppContext, options: CreateOptions): Promise<number | void> {
  const catalog = await ctx.catalog();
  const existing = (await ctx.connections()).map((c) => c.name);
  const fromUrl = await connectionString(ctx, options);
  const connectorId = options.connector ?? fromUrl?.connector ?? (await askConnector(ctx, options));
  const connector = catalog.require(connectorId);
  const flagged = await valuesFromFlags(connector, options, ctx.env, readAllStdin);
  const given = fromUrl ? mergeUrl(connector, fromUrl, flagged) : flagged;
  if (options.name !== undefined) checkName(options.name, existing);

  const values = ctx.interactive
    ? await askMissing(ctx, connector, options.name, given, existing)
    : { name: options.name, ...given };
  const settings = withDefaults(connector, values.settings);
  checkComplete(connector, values.name, settings, values.secrets);
  checkApplicable(connector, Object.keys({ ...given.settings, ...given.secrets }), settings);
  const name = values.name!;

  const secrets = applicableSecrets(connector, settings, values.secrets);
  const store = Object.keys(secrets).length > 0 ? (await ctx.secretStore()).store : undefined;
  await insertConnection(ctx.paths, store, {
    name,
    connector: connector.id,
    settings: withoutInapplicable(connector, withDefaults(connector, values.settings, false)),
    secrets,
  });
  ctx.out.info(`Created connection '${name}' (${connector.id}).`);

  // OAuth with a browser or device grant: authorize now, as the platforms do.
  const { authorizeAfterCreate } = await import('./auth.js');
  const authorized = await authorizeAfterCreate(ctx, name);
  if (authorized) return authorized;

  const { testAfterSave } = await import('./test.js');
  const tested = await testAfterSave(ctx, name, options.test);
  if (ctx.out.json) {
    const connection = await ctx.connection(name);
    ctx.out.document({
      created: connectionView(connection, connector, ctx.env),
      test: tested.result ?? null,
    });
  }
  return tested.exitCode;
}

async function askConnector(ctx: AppContext, options: CreateOptions): Promise<string> {
  if (!ctx.interactive) {
    const missing = [
      'the connector: the first argument, e.g. `conn create http` (`conn connectors` lists them)',
    ];
    if (options.name === undefined) missing.push('the name: --name <name>');
    throw missingError(missing);
  }
  const { pickConnector } = await import('../ui/prompts.js');
  const catalog = await ctx.catalog();
  return pickConnector(groupConnectors(catalog.all, await ctx.connections()));
}

async function askMissing(
  ctx: AppContext,
  connector: ConnectorDefinition,
  name: string | undefined,
  given: { settings: Settings; secrets: Secrets },
  existing: string[],
): Promise<{ name: string; settings: Settings; secrets: Secrets }> {
  const { askName, askField, askConnectionString } = await import('../ui/prompts.js');
  const finalName = name ?? (await askName((value) => nameProblem(value, existing)));
  let settings: Settings = { ...given.settings };
  let secrets: Secrets = { ...given.secrets };
  const nothingGiven = Object.keys(settings).length + Object.keys(secrets).length === 0;
  if (nothingGiven && URL_ADAPTERS.includes(connector.adapter)) {
    const text = await askConnectionString(connectionStringProblem);
    if (text) ({ settings, secrets } = mergeUrl(connector, await parseUrlText(text), given));
  }
  for (const field of connector.fields) {
    const known = field.secret
      ? secrets[field.key] !== undefined
      : settings[field.key] !== undefined;
    if (known || !applies(field, settings)) continue;
    if (field.advanced && !field.required) continue;
    const value = await askField(field, undefined);
    if (value === undefined) continue;
    if (field.secret) secrets[field.key] = String(value);
    else settings[field.key] = value;
  }
  return { name: finalName, settings, secrets };
}

interface ParsedUrl {
  connector: string;
  adapter: string;
  settings: Settings;
  secrets: Secrets;
  warnings: string[];
}

async function connectionString(
  ctx: AppContext,
  options: CreateOptions,
): Promise<ParsedUrl | undefined> {
  if (options.url !== undefined && options.urlStdin) {
    throw new UsageError(
      'give --url or --url-stdin, not both',
      'prefer --url-stdin: the string holds a password',
      'bad-flag',
    );
  }
  if (options.urlStdin && (options.secretStdin ?? []).length > 0) {
    throw new UsageError(
      '--url-stdin and --secret-stdin both read standard input',
      'use --secret-env for the other secret',
      'bad-flag',
    );
  }
  const text = options.urlStdin ? (await readAllStdin()).trim() : options.url;
  if (text === undefined) return undefined;
  const parsed = await parseUrlText(text);
  if (options.url !== undefined && parsed.secrets.password) {
    ctx.out.warn('the password in --url is visible in `ps` and shell history; prefer --url-stdin');
  }
  for (const warning of parsed.warnings) ctx.out.warn(warning);
  return parsed;
}

async function parseUrlText(text: string): Promise<ParsedUrl> {
  const { parseConnectionString } = await import('../connectors/connection-string.js');
  return parseConnectionString(text);
}

async function connectionStringProblem(text: string): Promise<string | undefined> {
  if (text.trim() === '') return undefined;
  try {
    await parseUrlText(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** URL values under flag values: a --set or --secret-* flag wins. */
function mergeUrl(
  connector: ConnectorDefinition,
  parsed: ParsedUrl,
  flagged: { settings: Settings; secrets: Secrets },
) {
  if (parsed.adapter !== connector.adapter) {
    throw new UsageError(
      `a ${parsed.connector} connection string does not fit the ${connector.id} connector`,
      `drop the connector argument, or use a ${connector.adapter}:// string`,
      'bad-connection-string',
    );
  }
  for (const [key, value] of Object.entries(parsed.settings)) {
    const field = connector.fields.find((f) => f.key === key);
    const problem = field
      ? validateFieldValue(field, value)
      : `${connector.id} has no field '${key}'`;
    if (problem)
      throw new UsageError(
        `in the connection string: ${problem}`,
        'fix the string, or override with --set',
        'bad-connection-string',
      );
  }
  return {
    settings: { ...parsed.settings, ...flagged.settings },
    secrets: { ...parsed.secrets, ...flagged.secrets },
  };
}

function checkComplete(
  connector: ConnectorDefinition,
  name: string | undefined,
  settings: Settings,
  secrets: Secrets,
): void {
  const missing = missingFields(connector, settings, new Set(Object.keys(secrets))).map(
    (field) => `${field.key} (${field.label}): ${flagFor(field)}`,
  );
  if (name === undefined) missing.unshift('the name: --name <name>');
  if (missing.length > 0) throw missingError(missing);
}

function missingError(missing: string[]): UsageError {
  return new UsageError(
    `missing ${missing.length === 1 ? 'a required value' : `${missing.length} required values`}: ${missing.join('; ')}`,
    'give them as flags, or run on a terminal without --no-input to be asked',
    'missing-values',
  );
}

function applicableSecrets(
  connector: ConnectorDefinition,
  settings: Settings,
  secrets: Secrets,
): Secrets {
  const result: Secrets = {};
  for (const field of connector.fields) {
    if (field.secret && secrets[field.key] !== undefined && applies(field, settings)) {
      result[field.key] = secrets[field.key];
    }
  }
  return result;
}

function checkName(name: string, existing: string[]): void {
  const problem = nameProblem(name, existing);
  if (!problem) return;
  const duplicate = existing.includes(name);
  throw new UsageError(
    problem,
    duplicate
      ? `choose another name, or change it with \`conn edit ${name}\``
      : 'example: --name stripe-prod',
    duplicate ? 'duplicate-name' : 'bad-name',
  );
}
