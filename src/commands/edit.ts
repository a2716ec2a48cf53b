// `conn edit <name>`: change a user connection, interactively with the
// current values as defaults (an empty secret keeps the stored one), or
// scripted with the same flags as create.

import type { AppContext } from '../context.js';
import { UsageError } from '../errors.js';
import {
  applies,
  flagFor,
  missingFields,
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
import type { Connection } from '../store/registry.js';
import { updateConnection } from '../store/mutations.js';
import { connectionView } from './show.js';

export interface EditOptions extends ValueFlags {
  name: string;
  test: boolean;
}

export async function edit(ctx: AppContext, options: EditOptions): Promise<number | void> {
  const connection = await ctx.connection(options.name);
  refuseReadOnly(connection);
  const connector = (await ctx.catalog()).require(connection.connector);
  const given = await valuesFromFlags(connector, options, ctx.env, readAllStdin);
  const flagCount = Object.keys(given.settings).length + Object.keys(given.secrets).length;

  let changed: { settings: Settings; secrets: Secrets };
  if (flagCount > 0) {
    changed = { settings: { ...connection.settings, ...given.settings }, secrets: given.secrets };
  } else if (ctx.interactive) {
    changed = await askAll(connection, connector);
  } else {
    throw new UsageError(
      `nothing to change for '${options.name}'`,
      `give --set key=value, --secret-stdin key or --secret-env key=VAR (see \`conn show ${options.name}\`)`,
      'nothing-to-change',
    );
  }
  const settings = withDefaults(connector, changed.settings);
  checkApplicable(connector, Object.keys({ ...given.settings, ...given.secrets }), settings);
  const known = new Set([...connection.secretFields, ...Object.keys(changed.secrets)]);
  const missing = missingFields(connector, settings, known);
  if (missing.length > 0) {
    throw new UsageError(
      `missing required values: ${missing.map((f) => `${f.key} (${flagFor(f)})`).join('; ')}`,
      'the change makes these fields apply; give them too',
      'missing-values',
    );
  }
  const dropSecrets = connection.secretFields.filter((key) => {
    const field = connector.fields.find((f) => f.key === key);
    return field !== undefined && !applies(field, settings);
  });
  const store =
    Object.keys(changed.secrets).length + dropSecrets.length > 0
      ? (await ctx.secretStore()).store
      : undefined;
  await updateConnection(ctx.paths, store, options.name, {
    settings: withoutInapplicable(connector, withDefaults(connector, changed.settings, false)),
    secrets: changed.secrets,
    dropSecrets,
  });
  ctx.out.info(`Updated connection '${options.name}'.`);

  const { testAfterSave } = await import('./test.js');
  const tested = await testAfterSave(ctx, options.name, options.test);
  if (ctx.out.json) {
    const updated = await ctx.connection(options.name);
    ctx.out.document({
      updated: connectionView(updated, connector, ctx.env),
      test: tested.result ?? null,
    });
  }
  return tested.exitCode;
}

export function refuseReadOnly(connection: Connection): void {
  if (connection.source === 'user') return;
  const where =
    connection.source === 'project'
      ? `the project config ${connection.definedIn}`
      : `the ${connection.definedIn} environment variable`;
  throw new UsageError(
    `'${connection.name}' is defined in ${where}, not by conn`,
    `change it there; conn only edits connections it created`,
    'read-only-connection',
  );
}

async function askAll(
  connection: Connection,
  connector: ConnectorDefinition,
): Promise<{ settings: Settings; secrets: Secrets }> {
  const { askField } = await import('../ui/prompts.js');
  const settings: Settings = {};
  const secrets: Secrets = {};
  for (const field of connector.fields) {
    if (!applies(field, settings)) continue;
    if (field.advanced && !field.required && connection.settings[field.key] === undefined) continue;
    const hasCurrent = connection.secretFields.includes(field.key);
    const value = await askField(
      field,
      field.secret ? undefined : connection.settings[field.key],
      hasCurrent,
    );
    if (value === undefined) continue;
    if (field.secret) secrets[field.key] = String(value);
    else settings[field.key] = value;
  }
  return { settings, secrets };
}
