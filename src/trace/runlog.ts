// The run log: the trace and result of the last tests of each connection,
// so `conn log <name>` can show them later. One JSON-lines file per
// connection keeps `conn test --all` over a thousand connections cheap (each
// test rewrites one small file) and lets one connection's log be removed or
// renamed without touching the others.
//
// Each file is rewritten whole and atomically, keeping the newest `keep`
// records. Every change takes one lock on the whole folder: a batch of a
// thousand files then costs a few locks, not a thousand, and a rename, which
// touches two files, needs no lock order. A line that does not parse (a disk
// that lost power mid-write before atomic writes, a hand edit) is skipped,
// never fatal. Records are redacted before they get here: the trace sink saw
// to that.

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
 * Files a batch rewrites under one hold of the folder lock. The lock is
 * let go between slices, so another conn waits a moment, not the whole
 * batch, and a hold never nears the lock's 30 s staleness bound.
 */
const FILES_PER_HOLD = 250;

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
  const groups = [...groupByConnection(records)];
  for (let start = 0; start < groups.length; start += FILES_PER_HOLD) {
    const slice = groups.slice(start, start + FILES_PER_HOLD);
    await withFolderLock(dir, () => {
      for (const [name, group] of slice) appendGroup(dir, name, group, keep);
    }).catch((error: unknown) => rethrowFsError(error, dir));
  }
}

function appendGroup(
  dir: string,
  name: string,
  group: readonly RunRecord[],
  keep: number,
): void {
  const file = runLogFile(dir, name);
  try {
    // Only the newest records survive: older lines need not be checked.
    const lines = readLines(file, name, keep - group.length);
    for (const record of group) lines.push(JSON.stringify(record));
    writeLines(file, lines.slice(-keep));
  } catch (error) {
    rethrowFsError(error, file);
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
  const lines = readLines(file, name, count);
  return lines.map((line) => JSON.parse(line) as RunRecord);
}

export async function removeRunLog(dir: string, name: string): Promise<void> {
  const file = runLogFile(dir, name);
  // Taking the lock would create the folder; with no folder there is no log.
  if (!existsSync(dir)) return;
  await withFolderLock(dir, () => rmSync(file, { force: true })).catch(
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

  await withFolderLock(dir, () =>
    moveRecords(source, from, target, to),
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

/** `.lock` cannot be a connection's log: those all end in `.jsonl`. */
function withFolderLock<T>(dir: string, action: () => T): Promise<T> {
  return withLock(join(dir, '.lock'), action);
}

/**
 * The file's well-formed records of this connection, as JSON lines, at
 * most the newest `limit`. Lines are checked from the end, so a long log
 * costs only what is kept.
 */
function readLines(file: string, name: string, limit = Infinity): string[] {
  if (limit < 1) return [];
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return rethrowFsError(error, file);
  }
  const all = content.split('\n');
  const kept: string[] = [];
  for (let i = all.length - 1; i >= 0 && kept.length < limit; i--) {
    if (isRecordOf(all[i], name)) kept.push(all[i]);
  }
  return kept.reverse();
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
