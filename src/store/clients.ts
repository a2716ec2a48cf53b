// Shared OAuth clients: one app registration (client id, URLs, scopes, and
// a secret) that many connections refer to by name (`clientRef`). Plain
// settings live in clients.json beside the connections file (0600, atomic
// writes under a lock); the client secret lives in the secret store under
// `client:<name>`, an address no connection name can take, since connection
// names never contain a colon.

import { byText } from '../compare.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Secrets, Settings } from '../connectors/types.js';
import type { SecretStore } from './secrets/types.js';
import type { ConnPaths } from './paths.js';
import { resolvePaths } from './paths.js';
import { writeFileAtomic } from './atomic.js';
import { withLock } from './lock.js';
import { EnvironmentError, UsageError } from '../errors.js';

export const CLIENTS_FILE_VERSION = 1;

/** Settings a shared client may hold; a connection may override each. */
export const CLIENT_SETTING_KEYS = [
  'clientId',
  'clientAuth',
  'issuer',
  'authorizationUrl',
  'tokenUrl',
  'deviceAuthorizationUrl',
  'scopes',
  'audience',
  'extraParams',
] as const;

export const CLIENT_SECRET_KEYS = ['clientSecret'] as const;

const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export interface SharedClient {
  name: string;
  settings: Record<string, string>;
  /** Which secret fields are kept in the secret store (never values). */
  secretFields: string[];
  createdAt: string;
  updatedAt: string;
}

interface ClientsFile {
  version: number;
  clients: Record<string, Omit<SharedClient, 'name'>>;
}

/** The secret store address of a shared client's secrets. */
export function clientSecretAddress(name: string): string {
  return `client:${name}`;
}

export function checkClientName(name: string): void {
  if (NAME_PATTERN.test(name)) return;
  throw new UsageError(
    `'${name}' is not a valid client name`,
    'use 1-64 letters, digits, -, _ or . (example: acme-oauth)',
    'invalid-name',
  );
}

export class ClientStore {
  readonly file: string;

  constructor(paths: ConnPaths = resolvePaths()) {
    this.file = join(paths.configDir, 'clients.json');
  }

  list(): SharedClient[] {
    const { clients } = this.read();
    return Object.entries(clients)
      .map(([name, client]) => ({ name, ...client }))
      .sort((a, b) => byText(a.name, b.name));
  }

  get(name: string): SharedClient | undefined {
    const client = this.read().clients[name];
    return client ? { name, ...client } : undefined;
  }

  /** Adds a client; refuses a name that is taken. */
  async add(client: SharedClient): Promise<void> {
    checkClientName(client.name);
    await this.update((file) => {
      if (file.clients[client.name]) {
        throw new UsageError(
          `a shared client named '${client.name}' exists`,
          `\`conn clients rm ${client.name}\` first, or pick another name`,
          'exists',
        );
      }
      const { name, ...stored } = client;
      file.clients[name] = stored;
    });
  }

  async remove(name: string): Promise<boolean> {
    let removed = false;
    await this.update((file) => {
      removed = name in file.clients;
      delete file.clients[name];
    });
    return removed;
  }

  private async update(change: (file: ClientsFile) => void): Promise<void> {
    await withLock(`${this.file}.lock`, () => {
      const file = this.read();
      change(file);
      writeFileAtomic(this.file, `${JSON.stringify(file, null, 2)}\n`);
    });
  }

  private read(): ClientsFile {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return { version: CLIENTS_FILE_VERSION, clients: {} };
      }
      throw unreadable(this.file, error);
    }
    return parseClientsFile(this.file, text);
  }
}

function parseClientsFile(path: string, text: string): ClientsFile {
  let parsed: ClientsFile;
  try {
    parsed = JSON.parse(text) as ClientsFile;
  } catch (error) {
    throw unreadable(path, error);
  }
  if (parsed.version !== CLIENTS_FILE_VERSION || !parsed.clients) {
    throw new EnvironmentError(
      `${path} has schema version ${parsed.version}, not ${CLIENTS_FILE_VERSION}`,
      'a newer conn wrote it; upgrade conn',
      'schema-version',
    );
  }
  return parsed;
}

function unreadable(path: string, error: unknown): EnvironmentError {
  const reason = error instanceof Error ? error.message : String(error);
  return new EnvironmentError(
    `cannot read ${path}: ${reason}`,
    'fix or remove the file; it holds shared OAuth clients only',
    'config-unreadable',
  );
}

export interface SharedClientSource {
  clients: Pick<ClientStore, 'get'>;
  secretStore: Pick<SecretStore, 'get'>;
}

/**
 * Fills a connection's OAuth settings and client secret from the shared
 * client its `clientRef` names. The connection's own values win, so one
 * connection can ask for other scopes than the client's default.
 */
export async function resolveSharedClient(
  settings: Settings,
  secrets: Secrets,
  source: SharedClientSource,
): Promise<{ settings: Settings; secrets: Secrets }> {
  const ref = settings.clientRef;
  if (typeof ref !== 'string' || !ref) return { settings, secrets };
  const client = source.clients.get(ref);
  if (!client) {
    throw new UsageError(
      `no shared client named '${ref}'`,
      '`conn clients list` shows the names',
      'unknown-client',
    );
  }
  const clientSecrets: Secrets = {};
  for (const field of client.secretFields) {
    const value = await source.secretStore.get(clientSecretAddress(ref), field);
    if (value !== undefined) clientSecrets[field] = value;
  }
  return {
    settings: { ...client.settings, ...withoutBlanks(settings) },
    secrets: { ...clientSecrets, ...withoutBlanks(secrets) },
  };
}

function withoutBlanks<T extends Record<string, unknown>>(values: T): T {
  const kept = Object.entries(values).filter(([, v]) => v !== '' && v != null);
  return Object.fromEntries(kept) as T;
}
