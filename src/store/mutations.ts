// Changes to user connections that touch both the connections file and the
// secret store, ordered so a failure leaves nothing half-written: secrets
// are written first and removed again if the connections file cannot be.

import { UsageError } from '../errors.js';
import type { Secrets, Settings } from '../connectors/types.js';
import type { ConnPaths } from './paths.js';
import { updateConnections, type ConnectionStatus, type StoredConnection } from './connections.js';
import type { SecretStore } from './secrets/types.js';
import { deleteSecrets, moveSecrets, writeSecrets } from './secrets/index.js';

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
      if (doc.connections[input.name]) throw duplicateName(input.name);
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
      doc.connections[input.name] = stored;
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
  const stored = await updateConnections(paths.connectionsFile, async (doc) => {
    const current = doc.connections[name];
    if (!current)
      throw new UsageError(
        `no connection named '${name}'`,
        '`conn list` shows the names',
        'unknown-connection',
      );
    if (store && Object.keys(change.secrets).length > 0)
      await writeSecrets(store, name, change.secrets);
    const kept = current.secretFields.filter((key) => !change.dropSecrets.includes(key));
    current.settings = change.settings;
    current.secretFields = [...new Set([...kept, ...Object.keys(change.secrets)])].sort();
    current.updatedAt = new Date().toISOString();
    current.status = { state: 'untested' };
    return current;
  });
  await removeSecrets(store, name, change.dropSecrets);
  return stored;
}

export async function renameConnection(
  paths: ConnPaths,
  store: SecretStore | undefined,
  from: string,
  to: string,
): Promise<void> {
  await updateConnections(paths.connectionsFile, async (doc) => {
    const current = doc.connections[from];
    if (!current)
      throw new UsageError(
        `no connection named '${from}'`,
        '`conn list` shows the names',
        'unknown-connection',
      );
    if (doc.connections[to]) throw duplicateName(to);
    // Copies are written before the old secrets go, so a failure loses nothing.
    if (store && current.secretFields.length > 0)
      await moveSecrets(store, from, to, current.secretFields);
    doc.connections[to] = { ...current, updatedAt: new Date().toISOString() };
    delete doc.connections[from];
  });
}

/** Removes the connections from the file, then their secrets. */
export async function removeConnections(
  paths: ConnPaths,
  openStore: () => Promise<SecretStore>,
  names: string[],
): Promise<void> {
  const removed = await updateConnections(paths.connectionsFile, (doc) => {
    const gone: Array<[string, string[]]> = [];
    for (const name of names) {
      gone.push([name, doc.connections[name]?.secretFields ?? []]);
      delete doc.connections[name];
    }
    return gone;
  });
  if (removed.every(([, keys]) => keys.length === 0)) return;
  const store = await openStore();
  for (const [name, keys] of removed) await removeSecrets(store, name, keys);
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
      const stored = doc.connections[name];
      // A connection removed while it was being tested stays removed.
      if (!stored) continue;
      stored.status = status;
      if (savedSecrets.length > 0) {
        stored.secretFields = [...new Set([...stored.secretFields, ...savedSecrets])].sort();
      }
    }
  });
}

async function removeSecrets(
  store: SecretStore | undefined,
  name: string,
  keys: string[],
): Promise<void> {
  if (!store || keys.length === 0) return;
  await deleteSecrets(store, name, keys).catch(() => undefined);
}

function duplicateName(name: string): UsageError {
  return new UsageError(
    `a connection named '${name}' already exists`,
    `choose another name, or change it with \`conn edit ${name}\``,
    'duplicate-name',
  );
}
