// An inter-process lock: a lock file created with O_EXCL that holds the
// owner's token (pid and a counter). A lock whose owner process is gone is
// taken over; so is one older than staleMs, for a pid that was reused. A
// takeover renames the stale file away first, so two waiters cannot both
// take it, and a release removes the file only while it still holds this
// owner's token. Waiting is bounded; past the bound the environment is at
// fault.

import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { EnvironmentError } from '../errors.js';
import { ensureDir } from './atomic.js';

export interface LockOptions {
  timeoutMs?: number;
  /** A lock whose owner still runs is taken over only past this age. */
  staleMs?: number;
}

let acquired = 0;

export async function withLock<T>(
  lockPath: string,
  action: () => Promise<T> | T,
  options: LockOptions = {},
): Promise<T> {
  const release = await acquire(lockPath, options);
  try {
    return await action();
  } finally {
    release();
  }
}

async function acquire(lockPath: string, options: LockOptions): Promise<() => void> {
  const timeoutMs = options.timeoutMs ?? 15000;
  const staleMs = options.staleMs ?? 10 * 60_000;
  const deadline = Date.now() + timeoutMs;
  const token = `${process.pid}.${++acquired}`;
  ensureDir(dirname(lockPath));
  for (let attempt = 0; ; attempt++) {
    if (tryCreate(lockPath, token)) return () => releaseIfOwned(lockPath, token);
    const stale = staleToken(lockPath, staleMs);
    if (stale !== undefined) {
      takeOver(lockPath, stale);
      continue;
    }
    if (Date.now() > deadline) {
      throw new EnvironmentError(
        `could not lock ${lockPath} within ${timeoutMs / 1000} s`,
        'another conn process holds it; remove the file if no conn is running',
        'lock-timeout',
      );
    }
    await sleep(5 + Math.min(attempt, 10) * 5 + Math.random() * 10);
  }
}

function tryCreate(lockPath: string, token: string): boolean {
  try {
    const fd = openSync(lockPath, 'wx', 0o600);
    writeSync(fd, token);
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function readToken(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The token of a lock that may be taken over, else undefined. */
function staleToken(lockPath: string, staleMs: number): string | undefined {
  const token = readToken(lockPath);
  // An empty file is a lock being written right now, not a stale one.
  if (!token) return undefined;
  const pid = Number(token.split('.')[0]);
  let age: number;
  try {
    age = Date.now() - statSync(lockPath).mtimeMs;
  } catch {
    return undefined;
  }
  return !isAlive(pid) || age > staleMs ? token : undefined;
}

/**
 * Moves the stale file aside; only one waiter's rename finds it. If what was
 * moved is not the lock judged stale (its owner changed meanwhile), it is put
 * back with link(), which never overwrites a newer lock.
 */
function takeOver(lockPath: string, stale: string): void {
  const aside = `${lockPath}.${process.pid}.${++acquired}.stale`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return;
  }
  if (readToken(aside) !== stale) {
    try {
      linkSync(aside, lockPath);
    } catch {
      // Someone holds the lock again; the moved owner will find it gone.
    }
  }
  rmSync(aside, { force: true });
}

function releaseIfOwned(lockPath: string, token: string): void {
  if (readToken(lockPath) === token) rmSync(lockPath, { force: true });
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
