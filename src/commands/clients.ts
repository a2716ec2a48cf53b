// `conn clients create|list|show|rm`: shared OAuth clients. Create takes
// settings as key=value and the client secret from stdin or an environment
// variable (never from a flag, where it would sit in the shell history).
// Removing a client that connections still use is refused, naming them.

import type { SecretStore } from '../store/secrets/types.js';
import type { SharedClient } from '../store/clients.js';
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
  secretStore: SecretStore;
}

export interface CreateClientOptions extends ClientsDependencies {
  action: 'create';
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

export async function clients(options: ClientsOptions): Promise<ClientsResult> {
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
  await store.add(client);
  const address = clientSecretAddress(options.name);
  for (const [field, value] of Object.entries(secrets)) {
    await options.secretStore.set(address, field, value);
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
      throw new UsageError(
        `--set ${pair}: expected key=value with a key of ${allowed.join(', ')}`,
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

  await store.remove(options.name);
  const address = clientSecretAddress(options.name);
  for (const field of client.secretFields) {
    await options.secretStore.delete(address, field);
  }
}
