// The secrets one connection uses, resolved the same way for `conn test` and
// `conn auth`: every applicable secret field plus the ones a test or an
// authorization stored (tokens), environment first; then the shared OAuth
// client it names, if any, under its own values.

import { applicableFields } from '../connectors/fields.js';
import type { ConnectorDefinition, Secrets, Settings } from '../connectors/types.js';
import type { ConnPaths } from './paths.js';
import type { Connection } from './registry.js';
import type { SecretStore } from './secrets/types.js';
import { secretFromEnv } from './secrets/env.js';

export interface ResolvedConnection {
  settings: Settings;
  secrets: Secrets;
}

export async function resolveConnectionSecrets(
  paths: ConnPaths,
  env: NodeJS.ProcessEnv,
  connection: Connection,
  connector: ConnectorDefinition,
  settings: Settings,
  store: () => Promise<SecretStore>,
): Promise<ResolvedConnection> {
  const applicable = applicableFields(connector, settings)
    .filter((f) => f.secret)
    .map((f) => f.key);
  // A user connection reads from the store only what it stored: a value
  // left under its name by an earlier connection must never be sent. The
  // environment may supply any applicable field; project and environment
  // connections keep theirs in the environment or the keychain.
  const wanted =
    connection.source === 'user'
      ? [...connection.secretFields, ...applicable.filter((f) => secretFromEnv(env, connection.name, f))]
      : [...applicable, ...connection.secretFields];
  const fields = [...new Set(wanted)];
  let secrets: Secrets = {};
  if (fields.length > 0) {
    const { readSecrets } = await import('./secrets/index.js');
    // The store is opened only when the environment lacks a value.
    secrets = await readSecrets(store, connection.name, fields, env);
  }
  if (typeof settings.clientRef !== 'string' || !settings.clientRef) return { settings, secrets };
  const { ClientStore, resolveSharedClient } = await import('./clients.js');
  return resolveSharedClient(settings, secrets, {
    clients: new ClientStore(paths),
    secretStore: await store(),
  });
}
