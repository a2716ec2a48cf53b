// `conn clients create|list|show|rm`: shared OAuth clients. Create takes
// settings as key=value and the client secret from stdin or an environment
// variable (never from a flag, where it would sit in the shell history).
// Removing a client that connections still use is refused, naming them.
//
// `clients(ctx, options)` is the command; `manageClients` does the work on
// the stores it is given, so tests can run it without a CLI around it.

import type { AppContext } from '../context.js';
import type { SecretStore } from '../store/secrets/types.js';
import type { SharedClient } from '../store/clients.js';
import { renderTable } from '../ui/output.js';
import { suggestion } from '../suggest.js';
import {
  CLIENT_SECRET_KEYS,
  CLIENT_SETTING_KEYS,
  ClientStore,
  checkClientName,
  clientSecretAddress,
} from '../store/clients.js';
import { UsageError } from '../errors.js';

interface ClientsDependencies {
  /** Defaults to the store in the user's config folder. */
  store?: ClientStore;
  /** Needed by create and rm; list and show never read a secret. */
  secretStore?: SecretStore;
}

export interface CreateClientOptions extends ClientsDependencies {
  action: 'create';
  secretStore: SecretStore;
  name: string;
  /** `--set key=value`, repeatable. */
  set: string[];
  /** `--secret-stdin clientSecret`: the secret field read from stdin. */
  secretStdin?: string;
  /** `--secret-env clientSecret=VAR`, repeatable. */
  secretEnv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Reads all of stdin; the lead passes its own, tests pass a string. */
  readStdin?: () => Promise<string>;
}

export interface ListClientsOptions extends ClientsDependencies {
  action: 'list';
}

export interface ShowClientOptions extends ClientsDependencies {
  action: 'show';
  name: string;
}

export interface RemoveClientOptions extends ClientsDependencies {
  action: 'rm';
  secretStore: SecretStore;
  name: string;
  /** Names of the connections whose clientRef is this client. */
  connectionsUsing(client: string): Promise<string[]>;
}

export type ClientsOptions =
  | CreateClientOptions
  | ListClientsOptions
  | ShowClientOptions
  | RemoveClientOptions;

/** What `conn clients` shows: settings and secret field names, no values. */
export type ClientView = SharedClient;

export type ClientsResult =
  | { action: 'create'; client: ClientView }
  | { action: 'list'; clients: ClientView[] }
  | { action: 'show'; client: ClientView }
  | { action: 'rm'; name: string };

/** What main.ts passes: the subcommand, its name argument and its flags. */
export interface ClientsCommandOptions {
  /** create, list, show or rm; anything else is refused with a hint. */
  action: string;
  /** The positional name, or `--name`. */
  name?: string;
  set?: string[];
  secretStdin?: string;
  secretEnv?: string[];
}

export async function clients(
  ctx: AppContext,
  options: ClientsCommandOptions,
): Promise<void> {
  checkAction(options.action);
  const store = new ClientStore(ctx.paths);
  // Read once: every client's "used by" comes from the same list.
  let connections: Awaited<ReturnType<AppContext['connections']>> | undefined;
  const usedBy = async (client: string) => {
    connections ??= await ctx.connections();
    return connections.filter((c) => c.settings.clientRef === client).map((c) => c.name);
  };

  const result = await manageClients(
    await coreOptions(ctx, options, store, usedBy),
  );

  const views = await Promise.all(
    resultClients(result).map(async (c) => viewOf(c, await usedBy(c.name))),
  );
  if (ctx.out.json) ctx.out.document(jsonOf(result, views));
  else report(ctx, result, views);
}

const ACTIONS: ReadonlyArray<ClientsOptions['action']> = ['create', 'list', 'show', 'rm'];

function checkAction(action: string): void {
  if ((ACTIONS as readonly string[]).includes(action)) return;
  throw new UsageError(
    `unknown command 'clients ${action}'`,
    `${suggestion(action, [...ACTIONS])}\`conn clients\` has ${ACTIONS.join(', ')}`,
    'unknown-command',
  );
}

async function coreOptions(
  ctx: AppContext,
  options: ClientsCommandOptions,
  store: ClientStore,
  connectionsUsing: (client: string) => Promise<string[]>,
): Promise<ClientsOptions> {
  const { action } = options;
  if (action === 'list') return { action, store };
  const name = requireName(options);
  if (action === 'show') return { action, name, store };
  const secretStore = (await ctx.secretStore()).store;
  if (action === 'rm') {
    return { action, name, store, secretStore, connectionsUsing };
  }
  return {
    action: 'create',
    name,
    set: options.set ?? [],
    secretStdin: options.secretStdin,
    secretEnv: options.secretEnv,
    env: ctx.env,
    store,
    secretStore,
  };
}

function requireName(options: ClientsCommandOptions): string {
  if (options.name) return options.name;
  throw new UsageError(
    `name the shared client for \`conn clients ${options.action}\``,
    options.action === 'create'
      ? 'example: conn clients create acme --set clientId=abc123 ' +
        '--secret-env clientSecret=ACME_SECRET'
      : `example: conn clients ${options.action} acme ` +
        '(`conn clients list` shows the names)',
    'missing-name',
  );
}

/** A shared client as conn shows it: no secret value, and who uses it. */
interface ClientDisplay {
  name: string;
  settings: Record<string, string>;
  /** "stored" for each secret field kept in the secret store. */
  secrets: Record<string, 'stored'>;
  usedBy: string[];
  createdAt: string;
  updatedAt: string;
}

function viewOf(client: ClientView, usedBy: string[]): ClientDisplay {
  const secrets = Object.fromEntries(
    client.secretFields.map((field) => [field, 'stored' as const]),
  );
  return {
    name: client.name,
    settings: client.settings,
    secrets,
    usedBy,
    createdAt: client.createdAt,
    updatedAt: client.updatedAt,
  };
}

function resultClients(result: ClientsResult): ClientView[] {
  if (result.action === 'list') return result.clients;
  if (result.action === 'rm') return [];
  return [result.client];
}

function jsonOf(result: ClientsResult, views: ClientDisplay[]): unknown {
  switch (result.action) {
    case 'create':
      return { created: views[0] };
    case 'list':
      return views;
    case 'show':
      return views[0];
    case 'rm':
      return { removed: result.name };
  }
}

function report(
  ctx: AppContext,
  result: ClientsResult,
  views: ClientDisplay[],
): void {
  switch (result.action) {
    case 'create':
      ctx.out.info(
        `Created shared client '${result.client.name}'. Connections use it ` +
          `with --set auth=oauth2 --set clientRef=${result.client.name}.`,
      );
      return;
    case 'list':
      ctx.out.data(listText(ctx, views));
      return;
    case 'show':
      ctx.out.data(showText(ctx, views[0]));
      return;
    case 'rm':
      ctx.out.info(`Removed shared client '${result.name}'.`);
  }
}

function listText(ctx: AppContext, views: ClientDisplay[]): string {
  if (views.length === 0) {
    return 'No shared clients yet. Create one with ' +
      '`conn clients create acme --set clientId=... --secret-stdin clientSecret`.';
  }
  const rows = views.map((v) => [
    v.name,
    v.settings.clientId ?? '-',
    v.settings.issuer ?? v.settings.tokenUrl ?? '-',
    Object.keys(v.secrets).length ? 'stored' : '-',
    v.usedBy.join(', ') || '-',
  ]);
  const header = ['name', 'client id', 'issuer or token url', 'secret', 'used by'];
  return renderTable(header, rows, ctx.out.paint);
}

function showText(ctx: AppContext, view: ClientDisplay): string {
  const p = ctx.out.paint;
  const rows: Array<[string, string]> = Object.entries(view.settings);
  for (const field of Object.keys(view.secrets)) {
    rows.push([field, '******** (stored)']);
  }
  rows.push(['used by', view.usedBy.join(', ') || '-']);
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${p.dim(label.padEnd(width))}  ${value}`);
  return [p.bold(view.name), ...lines].join('\n');
}

export async function manageClients(
  options: ClientsOptions,
): Promise<ClientsResult> {
  const store = options.store ?? new ClientStore();
  switch (options.action) {
    case 'create':
      return { action: 'create', client: await create(options, store) };
    case 'list':
      return { action: 'list', clients: store.list() };
    case 'show':
      return { action: 'show', client: mustGet(store, options.name) };
    case 'rm':
      await remove(options, store);
      return { action: 'rm', name: options.name };
  }
}

async function create(
  options: CreateClientOptions,
  store: ClientStore,
): Promise<ClientView> {
  checkClientName(options.name);
  const settings = parseSettings(options.set);
  const secrets = await readSecrets(options);
  if (!settings.clientId) {
    throw new UsageError(
      'a shared client needs a clientId',
      'example: conn clients create --name acme --set clientId=abc123',
      'missing-fields',
    );
  }

  const now = new Date().toISOString();
  const client: SharedClient = {
    name: options.name,
    settings,
    secretFields: Object.keys(secrets),
    createdAt: now,
    updatedAt: now,
  };
  // The secret first: a client listed as "stored" must have its secret.
  const address = clientSecretAddress(options.name);
  if (store.list().some((c) => c.name === options.name)) {
    throw new UsageError(`a shared client named '${options.name}' exists`,
      '`conn clients rm` it first, or choose another name', 'exists');
  }
  for (const [field, value] of Object.entries(secrets)) {
    await options.secretStore.set(address, field, value);
  }
  try {
    await store.add(client);
  } catch (error) {
    for (const field of Object.keys(secrets)) {
      await options.secretStore.delete(address, field).catch(() => undefined);
    }
    throw error;
  }
  return client;
}

function parseSettings(pairs: string[]): Record<string, string> {
  const settings: Record<string, string> = {};
  const allowed = CLIENT_SETTING_KEYS as readonly string[];
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = at > 0 ? pair.slice(0, at) : '';
    if (CLIENT_SECRET_KEYS.includes(key as 'clientSecret')) {
      throw new UsageError(
        `${key} is a secret and cannot be given with --set`,
        `use --secret-stdin ${key} or --secret-env ${key}=VAR`,
      );
    }
    if (!allowed.includes(key)) {
      // Only the key: a mistyped secret key must not echo its value.
      throw new UsageError(
        `--set ${key || pair.split('=')[0]}: expected key=value with a key of ${allowed.join(', ')}`,
        'example: --set tokenUrl=https://login.example.com/oauth/token',
      );
    }
    settings[key] = pair.slice(at + 1);
  }
  return settings;
}

async function readSecrets(
  options: CreateClientOptions,
): Promise<Record<string, string>> {
  const secrets: Record<string, string> = {};
  const env = options.env ?? process.env;
  for (const pair of options.secretEnv ?? []) {
    const [field, variable] = pair.split('=');
    checkSecretField(field, `--secret-env ${pair}`);
    const value = variable ? env[variable] : undefined;
    if (!value) {
      throw new UsageError(
        `--secret-env ${pair}: the variable ${variable || '(none)'} is empty`,
        'example: --secret-env clientSecret=ACME_CLIENT_SECRET',
      );
    }
    secrets[field] = value;
  }
  if (options.secretStdin) {
    checkSecretField(options.secretStdin, '--secret-stdin');
    const read = options.readStdin ?? readProcessStdin;
    // A trailing newline comes from `echo` and pipes, never from a secret.
    const value = (await read()).replace(/\r?\n$/, '');
    if (!value) {
      throw new UsageError(
        '--secret-stdin: nothing arrived on stdin',
        'example: printf %s "$SECRET" | conn clients create ' +
          '--name acme --set clientId=abc --secret-stdin clientSecret',
      );
    }
    secrets[options.secretStdin] = value;
  }
  return secrets;
}

function checkSecretField(field: string | undefined, flag: string): void {
  if (CLIENT_SECRET_KEYS.includes(field as 'clientSecret')) return;
  throw new UsageError(
    `${flag}: a shared client's only secret is clientSecret`,
    'example: --secret-stdin clientSecret',
  );
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function mustGet(store: ClientStore, name: string): ClientView {
  const client = store.get(name);
  if (client) return client;
  throw new UsageError(
    `no shared client named '${name}'`,
    '`conn clients list` shows the names',
    'unknown-client',
  );
}

async function remove(
  options: RemoveClientOptions,
  store: ClientStore,
): Promise<void> {
  const client = mustGet(store, options.name);
  const users = await options.connectionsUsing(options.name);
  if (users.length) {
    throw new UsageError(
      `shared client '${options.name}' is used by ${users.join(', ')}`,
      'point those connections elsewhere (`conn edit`) or remove them first',
      'in-use',
    );
  }

  // The secrets first, so a store that cannot be changed stops the removal
  // before the client is gone and its secret orphaned.
  const address = clientSecretAddress(options.name);
  for (const field of client.secretFields) {
    await options.secretStore.delete(address, field);
  }
  await store.remove(options.name);
}
