// Atomic file writes: a reader sees the old file or the new one, never half
// of either. Write a temporary file beside the target, fsync it, rename it
// over the target, then fsync the folder so the rename survives a crash.

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

let tempCounter = 0;

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
}

export interface AtomicWriteOptions {
  /**
   * fsync the file and its folder (default). State that is cheap to lose
   * (run logs) skips it: the rename still makes the write all-or-nothing,
   * and 1,000 run logs would otherwise cost 1,000 disk flushes.
   */
  durable?: boolean;
}

export function writeFileAtomic(
  path: string,
  content: string | Buffer,
  options: AtomicWriteOptions = {},
): void {
  const durable = options.durable ?? true;
  const dir = dirname(path);
  ensureDir(dir);
  // pid + counter is unique among live processes, and 'wx' refuses any
  // leftover of a dead one. (node:crypto would cost every start-up ~5 ms.)
  const temp = `${path}.${process.pid}.${++tempCounter}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', FILE_MODE);
    const buffer = typeof content === 'string' ? Buffer.from(content) : content;
    let written = 0;
    while (written < buffer.length) {
      written += writeSync(fd, buffer, written, buffer.length - written);
    }
    if (durable) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  if (durable) syncDir(dir);
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a folder; the rename still happened.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
