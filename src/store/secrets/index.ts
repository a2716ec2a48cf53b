// Opening the secret store the user chose, and the few operations commands
// need over a connection's secrets. The environment always wins on reads:
// CONN_SECRET_<CONNECTION>_<FIELD> overrides whatever a store holds.
//
// `auto` means the keychain when it answers, else the file. A machine that
// loses its keychain (an SSH session without D-Bus) therefore reads the
// file; `reason` says so, for `conn doctor`.

import type { ConnPaths } from '../paths.js';
import { secretFromEnv } from './env.js';
import { FileSecretStore } from './file.js';
import {
  KeychainSecretStore,
  keychainTimeoutMs,
  probeKeychain,
} from './keychain.js';
import type {
  SecretChange,
  SecretStore,
  SecretStoreChoice,
} from './types.js';

export { EnvSecretStore, secretEnvName, secretFromEnv } from './env.js';
export { FileSecretStore } from './file.js';
export {
  KeychainSecretStore,
  keychainAccount,
  keychainTimeoutMs,
  probeKeychain,
  type KeychainProbe,
} from './keychain.js';
export type * from './types.js';

export interface OpenSecretStoreOptions {
  choice: SecretStoreChoice;
  paths: ConnPaths;
  env: NodeJS.ProcessEnv;
  /** Receives the one warning about an unencrypted secrets file. */
  warn: (message: string) => void;
  /** Where the choice came from, for the reason: '--secret-store', ... */
  source?: string;
}

export interface OpenedSecretStore {
  store: SecretStore;
  /** Which store and why, in a sentence for `conn doctor`. */
  reason: string;
}

export async function openSecretStore(
  options: OpenSecretStoreOptions,
): Promise<OpenedSecretStore> {
  const { choice, env } = options;
  const timeoutMs = keychainTimeoutMs(env);
  const chosen = `chosen by ${options.source ?? 'configuration'}`;

  if (choice === 'file') {
    return { store: fileStore(options), reason: `file store, ${chosen}` };
  }
  if (choice === 'keychain') {
    const store = new KeychainSecretStore({ timeoutMs, env });
    return { store, reason: `keychain store, ${chosen}` };
  }

  const probe = await probeKeychain(timeoutMs, env);
  if (probe.available) {
    const store = new KeychainSecretStore({ timeoutMs, env, probed: true });
    return { store, reason: `keychain store: ${probe.reason}` };
  }
  return {
    store: fileStore(options),
    reason: `file store, because the keychain is not usable: ${probe.reason}`,
  };
}

function fileStore(options: OpenSecretStoreOptions): FileSecretStore {
  return new FileSecretStore({
    file: options.paths.secretsFile,
    passphrase: options.env.CONN_PASSPHRASE,
    warn: options.warn,
  });
}

/**
 * A connection's secrets, environment first. `store` may be a function that
 * opens the store, so it is opened only when the environment lacks a value.
 * Fields with no value anywhere are left out.
 */
export async function readSecrets(
  store: SecretStore | (() => Promise<SecretStore>),
  connection: string,
  fields: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<Record<string, string>> {
  const secrets: Record<string, string> = {};
  const missing: string[] = [];
  for (const field of fields) {
    const value = secretFromEnv(env, connection, field);
    if (value === undefined) missing.push(field);
    else secrets[field] = value;
  }
  if (missing.length === 0) return secrets;

  const opened = typeof store === 'function' ? await store() : store;
  const values = await Promise.all(
    missing.map((field) => opened.get(connection, field)),
  );
  missing.forEach((field, i) => {
    if (values[i] !== undefined) secrets[field] = values[i];
  });
  return secrets;
}

/** Stores several secrets of one connection, in one write where possible. */
export function writeSecrets(
  store: SecretStore,
  connection: string,
  values: Readonly<Record<string, string>>,
): Promise<void> {
  const changes = Object.entries(values).map(
    ([field, value]) => ({ connection, field, value }),
  );
  return applyChanges(store, changes);
}

/** Removes every listed secret of a connection; missing ones are fine. */
export function deleteSecrets(
  store: SecretStore,
  connection: string,
  fields: readonly string[],
): Promise<void> {
  const changes = fields.map(
    (field) => ({ connection, field, value: undefined }),
  );
  return applyChanges(store, changes);
}

/**
 * Moves a connection's stored secrets to a new name (a rename). The new
 * name ends with exactly the old one's secrets. Values are written under
 * the new name before the old ones go, so a failure half-way loses nothing.
 * Environment values are not moved: they belong to the environment.
 */
export async function moveSecrets(
  store: SecretStore,
  from: string,
  to: string,
  fields: readonly string[],
): Promise<void> {
  if (from === to) return;
  const values = await Promise.all(fields.map((f) => store.get(from, f)));
  const copies = fields.map((field, i) => (
    { connection: to, field, value: values[i] }
  ));
  await applyChanges(store, copies);
  await deleteSecrets(store, from, fields);
}

async function applyChanges(
  store: SecretStore,
  changes: readonly SecretChange[],
): Promise<void> {
  if (changes.length === 0) return;
  if (store.update) return store.update(changes);
  for (const { connection, field, value } of changes) {
    if (value === undefined) await store.delete(connection, field);
    else await store.set(connection, field, value);
  }
}
