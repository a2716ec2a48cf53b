// The user's connections file: settings and status, never secret values.
// Every change goes through updateConnections: lock, read, change, write
// atomically. A corrupt file is exit 3, names the file and the position, and
// is never overwritten.

import { readFileSync } from 'node:fs';
import { EnvironmentError } from '../errors.js';
import type { Settings } from '../connectors/types.js';
import { writeFileAtomic } from './atomic.js';
import { withLock } from './lock.js';

export const SCHEMA_VERSION = 1;
export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export type ConnectionState = 'online' | 'offline' | 'untested';

export interface ConnectionStatus {
  state: ConnectionState;
  /** ISO time of the last test. */
  at?: string;
  message?: string;
  failureClass?: string;
  durationMs?: number;
}

export interface StoredConnection {
  connector: string;
  settings: Settings;
  /** Keys of secret fields that have a value in the secret store. */
  secretFields: string[];
  createdAt: string;
  updatedAt: string;
  status: ConnectionStatus;
}

export interface ConnectionsDocument {
  version: number;
  connections: Record<string, StoredConnection>;
}

export function emptyDocument(): ConnectionsDocument {
  return { version: SCHEMA_VERSION, connections: {} };
}

export function readConnections(file: string): ConnectionsDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return emptyDocument();
    throw new EnvironmentError(
      `cannot read ${file}: ${code ?? (error as Error).message}`,
      'check the file permissions (conn doctor shows them)',
      'unreadable-config',
    );
  }
  return parseDocument(file, text);
}

function parseDocument(file: string, text: string): ConnectionsDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EnvironmentError(
      `${file} is not valid JSON${position(text, (error as Error).message)}`,
      'fix the file by hand or restore it from a backup; conn has not changed it',
      'corrupt-config',
    );
  }
  const doc = value as ConnectionsDocument;
  if (
    typeof doc !== 'object' ||
    doc === null ||
    typeof doc.connections !== 'object' ||
    doc.connections === null
  ) {
    throw new EnvironmentError(
      `${file} is not a conn connections file (no "connections" object)`,
      'fix the file by hand or move it away; conn has not changed it',
      'corrupt-config',
    );
  }
  for (const [name, entry] of Object.entries(doc.connections)) {
    const shaped = typeof entry === 'object' && entry !== null && typeof entry.connector === 'string';
    if (!shaped) {
      throw new EnvironmentError(
        `${file} is damaged: the connection '${name}' has no connector`,
        'fix or remove that entry by hand; conn has not changed the file',
        'corrupt-config',
      );
    }
  }
  if (doc.version > SCHEMA_VERSION) {
    throw new EnvironmentError(
      `${file} was written by a newer conn (schema ${doc.version})`,
      'upgrade conn to read it',
      'newer-config',
    );
  }
  return doc;
}

/** " at line L column C" from V8's "at position N" message, when present. */
function position(text: string, message: string): string {
  const match = /position (\d+)/.exec(message);
  if (!match) return `: ${message}`;
  const offset = Number(match[1]);
  const before = text.slice(0, offset).split('\n');
  const line = before.length;
  const column = before[before.length - 1].length + 1;
  return ` at line ${line} column ${column} (position ${offset})`;
}

export function writeConnections(file: string, doc: ConnectionsDocument): void {
  const sorted: Record<string, StoredConnection> = {};
  for (const name of Object.keys(doc.connections).sort()) {
    // defineProperty: a connection named __proto__ is data, not a prototype.
    Object.defineProperty(sorted, name, { value: doc.connections[name], enumerable: true });
  }
  const text = JSON.stringify({ version: SCHEMA_VERSION, connections: sorted }, null, 2);
  writeFileAtomic(file, text + '\n');
}

/** Lock, read, change, write. The change may throw to abort: nothing is written. */
export async function updateConnections<T>(
  file: string,
  change: (doc: ConnectionsDocument) => Promise<T> | T,
): Promise<T> {
  return withLock(`${file}.lock`, async () => {
    const doc = readConnections(file);
    const result = await change(doc);
    writeConnections(file, doc);
    return result;
  });
}

/** Why a new connection name is not acceptable, or undefined when it is. */
export function nameProblem(name: string, existing: string[]): string | undefined {
  if (!NAME_PATTERN.test(name)) {
    return `'${name}' is not a valid name: use 1 to 64 letters, digits, "-", "_" or ".", e.g. stripe-prod`;
  }
  if (existing.includes(name)) return `a connection named '${name}' already exists`;
  return undefined;
}
