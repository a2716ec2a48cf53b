// All connections conn knows, from three sources: the user's connections
// file, the project config, and CONN_CONNECTIONS in the environment (a JSON
// object, for CI). Later sources win for the same name. Nothing here reads a
// secret: listing never touches the secret store.

import { byText } from '../compare.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '../errors.js';
import type { Settings } from '../connectors/types.js';
import type { ConnPaths } from './paths.js';
import type { ProjectConfig } from './project.js';
import { readConnections, type ConnectionStatus, type StoredConnection } from './connections.js';
import { writeFileAtomic } from './atomic.js';
import { withLock } from './lock.js';

export type ConnectionSource = 'user' | 'project' | 'environment';

export interface Connection {
  name: string;
  connector: string;
  settings: Settings;
  /** Secret fields known to have a stored value (user connections only). */
  secretFields: string[];
  status: ConnectionStatus;
  createdAt?: string;
  source: ConnectionSource;
  /** The file or variable that defines it. */
  definedIn: string;
}

export const ENV_CONNECTIONS = 'CONN_CONNECTIONS';

export function collectConnections(
  paths: ConnPaths,
  project: ProjectConfig | undefined,
  env: NodeJS.ProcessEnv,
): Connection[] {
  const byName = new Map<string, Connection>();
  const user = readConnections(paths.connectionsFile).connections;
  for (const [name, stored] of Object.entries(user)) {
    byName.set(name, fromStored(name, stored, paths.connectionsFile));
  }
  const statuses = readForeignStatuses(paths);
  // The environment may override a project connection (CI settings); a
  // user connection's name may not be taken over by either.
  const declare = (name: string, connection: Connection) => {
    const earlier = byName.get(name);
    if (earlier?.source === 'user') throw nameClash(name, earlier, connection);
    byName.set(name, connection);
  };
  for (const [name, declared] of Object.entries(project?.connections ?? {})) {
    declare(name, fromDeclaration(name, declared, 'project', project!.file, statuses));
  }
  for (const [name, declared] of Object.entries(environmentConnections(env))) {
    declare(name, fromDeclaration(name, declared, 'environment', ENV_CONNECTIONS, statuses));
  }
  return [...byName.values()].sort((a, b) => byText(a.name, b.name));
}

/**
 * A user connection and a project or environment one with the same name:
 * refused, because secrets are kept by name and the declared connection
 * would be tested with the user's secrets, against its own host.
 */
function nameClash(name: string, user: Connection, declared: Connection): EnvironmentError {
  return new EnvironmentError(
    `the connection name '${name}' is defined twice: yours in ${user.definedIn} and in ${declared.definedIn}`,
    `rename it in ${declared.definedIn}, or rename yours with \`conn rename ${name} <new-name>\` run outside this project`,
    'duplicate-name',
  );
}

function fromStored(name: string, stored: StoredConnection, file: string): Connection {
  return {
    name,
    connector: stored.connector,
    settings: stored.settings ?? {},
    secretFields: stored.secretFields ?? [],
    status: stored.status ?? { state: 'untested' },
    createdAt: stored.createdAt,
    source: 'user',
    definedIn: file,
  };
}

function fromDeclaration(
  name: string,
  declared: { connector: string; settings?: Settings },
  source: ConnectionSource,
  definedIn: string,
  statuses: Record<string, ConnectionStatus>,
): Connection {
  return {
    name,
    connector: declared.connector,
    settings: declared.settings ?? {},
    secretFields: [],
    status: statuses[`${source}:${name}`] ?? { state: 'untested' },
    source,
    definedIn,
  };
}

function environmentConnections(
  env: NodeJS.ProcessEnv,
): Record<string, { connector: string; settings?: Settings }> {
  const text = env[ENV_CONNECTIONS];
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // The parser's message quotes the text, which may hold a secret.
    const at = /position (\d+)/.exec((error as Error).message);
    throw new EnvironmentError(
      `${ENV_CONNECTIONS} is not valid JSON${at ? ` (at character ${at[1]})` : ''}`,
      `example: ${ENV_CONNECTIONS}='{"api":{"connector":"http","settings":{"baseUrl":"https://api.example.com"}}}'`,
      'bad-env-connections',
    );
  }
  const entries = value as Record<string, { connector: string }>;
  const valid =
    typeof entries === 'object' &&
    entries !== null &&
    Object.values(entries).every((c) => typeof c?.connector === 'string');
  if (!valid) {
    throw new EnvironmentError(
      `${ENV_CONNECTIONS} must map each name to {"connector": ..., "settings": {...}}`,
      `example: ${ENV_CONNECTIONS}='{"api":{"connector":"http","settings":{"baseUrl":"https://api.example.com"}}}'`,
      'bad-env-connections',
    );
  }
  return entries;
}

// Project and environment connections are read-only, so their test
// statuses live in the state folder rather than in the file that defines them.
function statusFile(paths: ConnPaths): string {
  return join(paths.stateDir, 'status.json');
}

function readForeignStatuses(paths: ConnPaths): Record<string, ConnectionStatus> {
  try {
    return JSON.parse(readFileSync(statusFile(paths), 'utf8')) as Record<string, ConnectionStatus>;
  } catch {
    return {};
  }
}

export async function saveForeignStatuses(
  paths: ConnPaths,
  updates: Array<{ connection: Connection; status: ConnectionStatus }>,
): Promise<void> {
  if (updates.length === 0) return;
  const file = statusFile(paths);
  await withLock(`${file}.lock`, () => {
    const statuses = readForeignStatuses(paths);
    for (const { connection, status } of updates) {
      statuses[`${connection.source}:${connection.name}`] = status;
    }
    writeFileAtomic(file, JSON.stringify(statuses, null, 2) + '\n');
  });
}
