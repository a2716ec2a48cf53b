// An inter-process lock: a lock file created with O_EXCL that holds the
// owner's pid. A lock whose owner is gone, or that is older than staleMs, is
// taken over. Waiting is bounded; past the bound the environment is at fault.

import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { EnvironmentError } from '../errors.js';
import { ensureDir } from './atomic.js';
import { dirname } from 'node:path';

export interface LockOptions {
  timeoutMs?: number;
  staleMs?: number;
}

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
  const staleMs = options.staleMs ?? 30000;
  const deadline = Date.now() + timeoutMs;
  ensureDir(dirname(lockPath));
  for (let attempt = 0; ; attempt++) {
    if (tryCreate(lockPath)) return () => rmSync(lockPath, { force: true });
    if (isStale(lockPath, staleMs)) {
      rmSync(lockPath, { force: true });
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

function tryCreate(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, 'wx', 0o600);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function isStale(lockPath: string, staleMs: number): boolean {
  try {
    const age = Date.now() - statSync(lockPath).mtimeMs;
    const pid = Number(readFileSync(lockPath, 'utf8'));
    if (age > staleMs) return true;
    // An empty file is a lock being written right now, not a stale one.
    if (!pid) return false;
    return !isAlive(pid);
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
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
