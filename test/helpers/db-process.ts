// What the database test servers share: temporary folders, free ports,
// running a server as an unprivileged user when the tests run as root
// (PostgreSQL and MariaDB refuse root), bounded waits and clean stops.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, openSync, readdirSync,
  readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunAs {
  uid: number;
  gid: number;
}

/** The user a server runs as: ourselves, or `name` when we are root. */
export function runAs(name: string): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
    return { uid, gid };
  } catch {
    throw new Error(`running as root and there is no '${name}' user to run ` +
      'the server as; install the Debian package that creates it');
  }
}

/** A temporary folder the server's user owns. */
export function serverDir(prefix: string, owner: RunAs | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  return dir;
}

export function chownTree(path: string, owner: RunAs | undefined): void {
  if (!owner) return;
  chownSync(path, owner.uid, owner.gid);
  if (!statSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), owner);
}

/** The first of `candidates` that exists, else a loud error. */
export function findBinary(candidates: string[], debianPackage: string): string {
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new Error(`none of ${candidates.join(', ')} exists: install the ` +
      `Debian package ${debianPackage} (scripts/test-deps.sh does)`);
  }
  return found;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a server with its output in a log file in `dir`. */
export function startProcess(
  command: string,
  args: string[],
  dir: string,
  owner: RunAs | undefined,
): ChildProcess {
  const log = openSync(join(dir, 'server.log'), 'a');
  const child = spawn(command, args, {
    cwd: dir,
    stdio: ['ignore', log, log],
    ...(owner ?? {}),
  });
  child.on('error', () => undefined);
  return child;
}

export function serverLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
}

/** Retries `probe` every 100 ms, at most `seconds`; throws with the log. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  seconds: number,
  child: ChildProcess,
  dir: string,
): Promise<void> {
  const attempts = seconds * 10;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (child.exitCode !== null) break;
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not start within ${seconds} s; its log ` +
    `ends:\n${serverLog(dir)}`);
}

/** True once something accepts TCP connections on the port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Asks the process to stop, then kills it after `seconds`. */
export async function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals,
  seconds: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = new Promise<'late'>((resolve) => {
    setTimeout(resolve, seconds * 1000, 'late').unref();
  });
  if ((await Promise.race([exited, timer])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
