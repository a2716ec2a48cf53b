// Changes to user connections that touch both the connections file and the
// secret store, ordered so a failure leaves nothing half-written: secrets
// are written first and removed again if the connections file cannot be.

import { EnvironmentError, UsageError } from '../errors.js';
import type { Secrets, Settings } from '../connectors/types.js';
import type { ConnPaths } from './paths.js';
import {
  readConnections,
  updateConnections,
  type ConnectionStatus,
  type StoredConnection,
} from './connections.js';
import type { SecretStore } from './secrets/types.js';
import { deleteSecrets, writeSecrets } from './secrets/index.js';

export interface NewConnection {
  name: string;
  connector: string;
  settings: Settings;
  secrets: Secrets;
}

export async function insertConnection(
  paths: ConnPaths,
  store: SecretStore | undefined,
  input: NewConnection,
): Promise<StoredConnection> {
  let written: string[] = [];
  try {
    return await updateConnections(paths.connectionsFile, async (doc) => {
      if (Object.hasOwn(doc.connections, input.name)) throw duplicateName(input.name);
      written = Object.keys(input.secrets);
      if (store && written.length > 0) await writeSecrets(store, input.name, input.secrets);
      const now = new Date().toISOString();
      const stored: StoredConnection = {
        connector: input.connector,
        settings: input.settings,
        secretFields: Object.keys(input.secrets).sort(),
        createdAt: now,
        updatedAt: now,
        status: { state: 'untested' },
      };
      setOwn(doc.connections, input.name, stored);
      return stored;
    });
  } catch (error) {
    await removeSecrets(store, input.name, written);
    throw error;
  }
}

export interface ConnectionChange {
  settings: Settings;
  /** New secret values; keys not here keep their stored value. */
  secrets: Secrets;
  /** Secret fields that no longer apply and are removed. */
  dropSecrets: string[];
}

export async function updateConnection(
  paths: ConnPaths,
  store: SecretStore | undefined,
  name: string,
  change: ConnectionChange,
): Promise<StoredConnection> {
  const keys = Object.keys(change.secrets);
  // The values replaced, so a failed file write can put them back.
  let previous: Array<[string, string | undefined]> = [];
  let stored: StoredConnection;
  try {
    stored = await updateConnections(paths.connectionsFile, async (doc) => {
      const current = ownEntry(doc, name);
      if (store && keys.length > 0) {
        previous = await Promise.all(keys.map(async (k) => [k, await store.get(name, k)] as [string, string | undefined]));
        await writeSecrets(store, name, change.secrets);
      }
      const kept = current.secretFields.filter((key) => !change.dropSecrets.includes(key));
      current.settings = change.settings;
      current.secretFields = [...new Set([...kept, ...keys])].sort();
      current.updatedAt = new Date().toISOString();
      current.status = { state: 'untested' };
      return current;
    });
  } catch (error) {
    await restoreSecrets(store, name, previous);
    throw error;
  }
  await removeLeftovers(store, name, change.dropSecrets, `updated '${name}'`);
  return stored;
}

export async function renameConnection(
  paths: ConnPaths,
  store: SecretStore | undefined,
  from: string,
  to: string,
): Promise<void> {
  let copied: string[] = [];
  try {
    await updateConnections(paths.connectionsFile, async (doc) => {
      const current = ownEntry(doc, from);
      if (Object.hasOwn(doc.connections, to)) throw duplicateName(to);
      if (store && current.secretFields.length > 0) {
        const values = await Promise.all(current.secretFields.map((k) => store.get(from, k)));
        const copies: Record<string, string> = {};
        current.secretFields.forEach((k, i) => {
          if (values[i] !== undefined) copies[k] = values[i]!;
        });
        copied = Object.keys(copies);
        await writeSecrets(store, to, copies);
      }
      setOwn(doc.connections, to, { ...current, updatedAt: new Date().toISOString() });
      delete doc.connections[from];
    });
  } catch (error) {
    await removeSecrets(store, to, copied);
    throw error;
  }
  // Only once the file names the new connection do the old secrets go.
  await removeLeftovers(store, from, copied, `renamed '${from}' to '${to}'`);
}

/**
 * Removes the connections from the file, then their secrets. The store is
 * opened and read first, so an unusable one (a wrong passphrase) stops the
 * removal before anything changes.
 */
export async function removeConnections(
  paths: ConnPaths,
  openStore: () => Promise<SecretStore>,
  names: string[],
): Promise<void> {
  const before = readConnections(paths.connectionsFile).connections;
  const withSecrets = names.filter((n) => Object.hasOwn(before, n) && before[n].secretFields.length > 0);
  const store = withSecrets.length > 0 ? await openStore() : undefined;
  if (store) await store.get(withSecrets[0], before[withSecrets[0]].secretFields[0]);
  const removed = await updateConnections(paths.connectionsFile, (doc) => {
    const gone: Array<[string, string[]]> = [];
    for (const name of names) {
      if (!Object.hasOwn(doc.connections, name)) continue;
      gone.push([name, doc.connections[name].secretFields]);
      delete doc.connections[name];
    }
    return gone;
  });
  for (const [name, keys] of removed) {
    if (keys.length > 0) await removeLeftovers(store ?? (await openStore()), name, keys, `removed '${name}'`);
  }
}

/**
 * Test results: each connection's status, and the secret fields a test
 * stored (OAuth tokens), so `conn rm` knows to remove them too.
 */
export async function recordStatuses(
  paths: ConnPaths,
  statuses: Array<{ name: string; status: ConnectionStatus; savedSecrets?: string[] }>,
): Promise<void> {
  if (statuses.length === 0) return;
  await updateConnections(paths.connectionsFile, (doc) => {
    for (const { name, status, savedSecrets = [] } of statuses) {
      const stored = Object.hasOwn(doc.connections, name) ? doc.connections[name] : undefined;
      // A connection removed while it was being tested stays removed.
      if (!stored) continue;
      stored.status = status;
      if (savedSecrets.length > 0) {
        stored.secretFields = [...new Set([...stored.secretFields, ...savedSecrets])].sort();
      }
    }
  });
}

/** Best effort, while another error is already on its way to the user. */
async function removeSecrets(store: SecretStore | undefined, name: string, keys: string[]): Promise<void> {
  if (!store || keys.length === 0) return;
  await deleteSecrets(store, name, keys).catch(() => undefined);
}

async function restoreSecrets(
  store: SecretStore | undefined,
  name: string,
  previous: Array<[string, string | undefined]>,
): Promise<void> {
  if (!store || previous.length === 0) return;
  const back = Object.fromEntries(previous.filter((p): p is [string, string] => p[1] !== undefined));
  const gone = previous.filter(([, v]) => v === undefined).map(([k]) => k);
  await writeSecrets(store, name, back).catch(() => undefined);
  await removeSecrets(store, name, gone);
}

/** The change is committed; secrets it left behind must not go unnoticed. */
async function removeLeftovers(store: SecretStore | undefined, name: string, keys: string[], done: string): Promise<void> {
  if (!store || keys.length === 0) return;
  try {
    await deleteSecrets(store, name, keys);
  } catch (error) {
    throw new EnvironmentError(
      `${done}, but its secrets ${keys.join(', ')} could not be removed from the ${store.kind} store: ${(error as Error).message}`,
      '`conn doctor` checks the secret store; remove them there by hand',
      'secrets-left-behind',
    );
  }
}

/** Names like __proto__ are data: assignment would set the prototype. */
function setOwn(map: Record<string, StoredConnection>, name: string, value: StoredConnection): void {
  Object.defineProperty(map, name, { value, enumerable: true, writable: true, configurable: true });
}

function ownEntry(doc: { connections: Record<string, StoredConnection> }, name: string): StoredConnection {
  if (Object.hasOwn(doc.connections, name)) return doc.connections[name];
  throw new UsageError(`no connection named '${name}'`, '`conn list` shows the names', 'unknown-connection');
}

function duplicateName(name: string): UsageError {
  return new UsageError(
    `a connection named '${name}' already exists`,
    `choose another name, or change it with \`conn edit ${name}\``,
    'duplicate-name',
  );
}
