// `conn show <name>`: every setting, secrets masked. It reads no secret: it
// says whether one is stored, and which environment variable overrides it.

import type { AppContext } from '../context.js';
import { applicableFields } from '../connectors/fields.js';
import type { ConnectorDefinition } from '../connectors/types.js';
import type { Connection } from '../store/registry.js';
import { ago } from '../ui/output.js';
import { secretEnvName } from '../store/secrets/env.js';

export const MASK = '********';

export interface ShowOptions {
  name: string;
}

export interface ConnectionView {
  name: string;
  connector: string;
  category: string;
  source: string;
  definedIn: string;
  settings: Record<string, unknown>;
  /** Secret fields: "stored", "from $VAR" or "not set"; never a value. */
  secrets: Record<string, string>;
  status: Connection['status'];
}

export async function show(ctx: AppContext, options: ShowOptions): Promise<void> {
  const connection = await ctx.connection(options.name);
  const connector = (await ctx.catalog()).require(connection.connector);
  const view = connectionView(connection, connector, ctx.env);
  if (ctx.out.json) {
    ctx.out.document(view);
    return;
  }
  ctx.out.data(renderView(view, connector, ctx));
}

export function connectionView(
  c: Connection,
  connector: ConnectorDefinition,
  env: NodeJS.ProcessEnv,
): ConnectionView {
  const secrets: Record<string, string> = {};
  for (const field of applicableFields(connector, c.settings)) {
    if (!field.secret) continue;
    const variable = secretEnvName(c.name, field.key);
    if (env[variable]) secrets[field.key] = `from $${variable}`;
    else if (c.secretFields.includes(field.key)) secrets[field.key] = 'stored';
    else if (!field.required) continue;
    else if (c.source !== 'user') secrets[field.key] = `$${variable} or the keychain`;
    else secrets[field.key] = 'not set';
  }
  return {
    name: c.name,
    connector: c.connector,
    category: connector.category,
    source: c.source,
    definedIn: c.definedIn,
    settings: c.settings,
    secrets,
    status: c.status,
  };
}

function renderView(view: ConnectionView, connector: ConnectorDefinition, ctx: AppContext): string {
  const p = ctx.out.paint;
  const labels = new Map(connector.fields.map((f) => [f.key, f.label]));
  const rows: Array<[string, string]> = [
    ['connector', `${connector.name} (${view.connector}, ${view.category})`],
    ['defined in', `${view.source}: ${view.definedIn}`],
    ['status', statusText(view.status)],
  ];
  for (const [key, value] of Object.entries(view.settings)) {
    rows.push([
      labels.get(key) ?? key,
      typeof value === 'object' ? JSON.stringify(value) : String(value),
    ]);
  }
  for (const [key, state] of Object.entries(view.secrets)) {
    rows.push([labels.get(key) ?? key, state === 'stored' ? `${MASK} (stored)` : state]);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${p.dim(label.padEnd(width))}  ${value}`);
  return [p.bold(view.name), ...lines].join('\n');
}

function statusText(status: Connection['status']): string {
  if (status.state === 'untested') return 'untested';
  const message = status.message ? `: ${status.message}` : '';
  return `${status.state} (${ago(status.at)})${message}`;
}
