// The run log: the trace and result of the last tests of each connection,
// so `conn log <name>` can show them later. One JSON-lines file per
// connection keeps `conn test --all` over a thousand connections cheap (each
// test rewrites one small file) and lets one connection's log be removed or
// renamed without touching the others.
//
// Each file is rewritten whole, atomically and under its own lock, keeping
// the newest `keep` records. A line that does not parse (a disk that lost
// power mid-write before atomic writes, a hand edit) is skipped, never fatal.
// Records are redacted before they get here: the trace sink saw to that.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestOutcome } from '../adapters/types.js';
import { EnvironmentError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import { withLock } from '../store/lock.js';
import type { TraceEvent } from './events.js';

export interface RunRecord {
  version: 1;
  connection: string;
  connector: string;
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  outcome: TestOutcome;
  trace: TraceEvent[];
  note?: string;
}

export const DEFAULT_RUNS_KEPT = 20;

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The run log file of a connection. Names are checked again here because
 * they become file names: `..` or a slash must never reach the file system.
 * Upper-case letters are written as `+` and the lower-case letter, so `Api`
 * and `api` stay apart on case-insensitive file systems (macOS, Windows);
 * `+` cannot occur in a name, so no two names share a file.
 */
export function runLogFile(dir: string, name: string): string {
  if (!NAME.test(name) || /^\.+$/.test(name)) {
    throw new UsageError(
      `'${name}' cannot be a connection name`,
      'use 1 to 64 letters, digits, -, _ or ., e.g. stripe-prod',
      'bad-name',
    );
  }
  const stem = name.replace(/[A-Z]/g, (letter) => `+${letter.toLowerCase()}`);
  return join(dir, `${stem}.jsonl`);
}

export async function appendRunRecord(
  dir: string,
  record: RunRecord,
  keep = DEFAULT_RUNS_KEPT,
): Promise<void> {
  await appendRunRecords(dir, [record], keep);
}

/**
 * Appends many records, one file rewrite per connection, as `conn test
 * --all` needs. Records of one connection keep their order.
 */
export async function appendRunRecords(
  dir: string,
  records: readonly RunRecord[],
  keep = DEFAULT_RUNS_KEPT,
): Promise<void> {
  checkKeep(keep);
  for (const [name, group] of groupByConnection(records)) {
    const file = runLogFile(dir, name);
    await withLock(lockFile(file), () => {
      const lines = readLines(file, name);
      for (const record of group) lines.push(JSON.stringify(record));
      writeLines(file, lines.slice(-keep));
    }).catch((error: unknown) => rethrowFsError(error, file));
  }
}

/** The newest `count` records of a connection, oldest first (log order). */
export async function readRunRecords(
  dir: string,
  name: string,
  count = 1,
): Promise<RunRecord[]> {
  const file = runLogFile(dir, name);
  if (count < 1) return [];
  const lines = readLines(file, name).slice(-count);
  return lines.map((line) => JSON.parse(line) as RunRecord);
}

export async function removeRunLog(dir: string, name: string): Promise<void> {
  const file = runLogFile(dir, name);
  // Taking the lock would create the folder; with no folder there is no log.
  if (!existsSync(dir)) return;
  await withLock(lockFile(file), () => rmSync(file, { force: true })).catch(
    (error: unknown) => rethrowFsError(error, file),
  );
}

/**
 * Moves a connection's log to its new name, rewriting the `connection` of
 * each record. Whatever log the new name had is stale (the name was free),
 * so it is replaced, or removed when the old name had no log.
 */
export async function renameRunLog(
  dir: string,
  from: string,
  to: string,
): Promise<void> {
  const source = runLogFile(dir, from);
  const target = runLogFile(dir, to);
  if (source === target || !existsSync(dir)) return;

  // Locks in a fixed order, so two renames cannot wait for each other.
  const [first, second] = [source, target].sort();
  await withLock(lockFile(first), () =>
    withLock(lockFile(second), () => moveRecords(source, from, target, to)),
  ).catch((error: unknown) => rethrowFsError(error, source));
}

function moveRecords(
  source: string,
  from: string,
  target: string,
  to: string,
): void {
  const lines = readLines(source, from).map((line) =>
    JSON.stringify({ ...(JSON.parse(line) as RunRecord), connection: to }),
  );
  if (lines.length > 0) writeLines(target, lines);
  else rmSync(target, { force: true });
  rmSync(source, { force: true });
}

function checkKeep(keep: number): void {
  if (!Number.isInteger(keep) || keep < 1) {
    throw new RangeError(`runs to keep must be a whole number >= 1: ${keep}`);
  }
}

function groupByConnection(
  records: readonly RunRecord[],
): Map<string, RunRecord[]> {
  const groups = new Map<string, RunRecord[]>();
  for (const record of records) {
    const group = groups.get(record.connection) ?? [];
    group.push(record);
    groups.set(record.connection, group);
  }
  return groups;
}

function lockFile(file: string): string {
  return `${file}.lock`;
}

/** The file's well-formed records of this connection, as JSON lines. */
function readLines(file: string, name: string): string[] {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return rethrowFsError(error, file);
  }
  return content.split('\n').filter((line) => isRecordOf(line, name));
}

function isRecordOf(line: string, name: string): boolean {
  if (!line.trim()) return false;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return false;
  }
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Partial<RunRecord>;
  return (
    record.version === 1 &&
    record.connection === name &&
    Array.isArray(record.trace) &&
    typeof record.outcome === 'object' &&
    record.outcome !== null
  );
}

const ENVIRONMENT_CODES = new Set([
  'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR', 'EISDIR',
]);

/** A folder conn may not write is the environment's fault (exit 3). */
function rethrowFsError(error: unknown, file: string): never {
  const code = (error as NodeJS.ErrnoException).code;
  if (code && ENVIRONMENT_CODES.has(code)) {
    throw new EnvironmentError(
      `cannot use the run log ${file} (${code})`,
      'check the permissions and free space of that folder',
      'run-log',
    );
  }
  throw error;
}

function writeLines(file: string, lines: string[]): void {
  // Run logs are history, not data: atomic, but not flushed to disk.
  writeFileAtomic(file, lines.map((line) => `${line}\n`).join(''), { durable: false });
}
