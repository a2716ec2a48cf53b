// Starts a real gnome-keyring under a private D-Bus session, so keychain
// tests talk to the same Secret Service a desktop user has, without touching
// the machine's own session. Everything lives in a temporary HOME that stop()
// removes. A missing binary is a loud error naming its Debian package: a
// keychain test that skips would prove nothing.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARE_ENV, Worker } from 'node:worker_threads';

export interface KeyringSession {
  /** Variables to merge over process.env for anything using this keyring. */
  env: Record<string, string>;
  /** The temporary HOME; every file the daemon writes is under it. */
  home: string;
  /** Stops the daemon and the bus, then removes the temporary HOME. */
  stop(): Promise<void>;
}

export interface KeyringOptions {
  /** The login keyring's password, fed to the daemon on stdin. */
  password?: string;
  /** How long to wait for the daemon to own its bus name. */
  startTimeoutMs?: number;
}

const PACKAGE_OF: Record<string, string> = {
  'dbus-daemon': 'dbus-daemon (installed with dbus)',
  'dbus-send': 'dbus-bin (installed with dbus)',
  'gnome-keyring-daemon': 'gnome-keyring',
  'secret-tool': 'libsecret-tools',
};

export async function startKeyring(
  options: KeyringOptions = {},
): Promise<KeyringSession> {
  for (const binary of Object.keys(PACKAGE_OF)) requireBinary(binary);
  const home = mkdtempSync(join(tmpdir(), 'conn-keyring-'));
  const env = sessionDirs(home);
  const processes: ChildProcess[] = [];
  const stop = () => stopAll(processes, home);

  try {
    const bus = startBus(env);
    processes.push(bus);
    env.DBUS_SESSION_BUS_ADDRESS = await firstLine(bus, 10000);
    processes.unshift(startDaemon(env, options.password ?? 'conn-test'));
    await waitForSecretService(env, options.startTimeoutMs ?? 10000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { env, home, stop };
}

/** `secret-tool search --all service conn` under the session's env. */
export function searchKeyring(env: Record<string, string>): string {
  const result = spawnSync(
    'secret-tool',
    ['search', '--all', 'service', 'conn'],
    { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10000 },
  );
  if (result.error) throw result.error;
  // secret-tool prints the attributes on stderr and the rest on stdout.
  return `${result.stdout}${result.stderr}`;
}

/**
 * Sets (or, for undefined, removes) variables in the real environment of
 * this process and returns a function that restores the old values.
 * Needed inside jest: its process.env is a copy that native modules such
 * as @napi-rs/keyring never see. A worker sharing the environment writes
 * through to the real one; the values are mirrored on process.env too.
 */
export async function setProcessEnv(
  vars: Record<string, string | undefined>,
): Promise<() => Promise<void>> {
  const previous: Record<string, string | undefined> = {};
  for (const name of Object.keys(vars)) previous[name] = process.env[name];
  await writeRealEnv(vars);
  return () => writeRealEnv(previous);
}

async function writeRealEnv(vars: Record<string, string | undefined>) {
  const source = `
    const { workerData } = require('node:worker_threads');
    for (const [name, value] of Object.entries(workerData)) {
      if (value === null) delete process.env[name];
      else process.env[name] = value;
    }`;
  const data = Object.fromEntries(
    Object.entries(vars).map(([name, value]) => [name, value ?? null]),
  );
  const worker = new Worker(source, {
    eval: true, env: SHARE_ENV, workerData: data,
  });
  await new Promise((resolve, reject) => {
    worker.once('exit', resolve);
    worker.once('error', reject);
  });
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

function requireBinary(binary: string): void {
  const result = spawnSync('sh', ['-c', `command -v ${binary}`]);
  if (result.status === 0) return;
  throw new Error(
    `keyring tests need ${binary}: install the Debian package ` +
      `${PACKAGE_OF[binary]} (scripts/test-deps.sh lists them all)`,
  );
}

// HOME must exist and be writable, or the daemon stalls the first call.
function sessionDirs(home: string): Record<string, string> {
  const dirs: Record<string, string> = {
    HOME: home,
    XDG_RUNTIME_DIR: join(home, 'run'),
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
  };
  for (const [name, dir] of Object.entries(dirs)) {
    if (name !== 'HOME') mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  return dirs;
}

function startBus(env: Record<string, string>): ChildProcess {
  return spawn(
    'dbus-daemon',
    ['--session', '--nofork', '--print-address=1'],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] },
  );
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      reject(new Error(`dbus-daemon printed no address in ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('\n')) return;
      clearTimeout(timer);
      resolve(output.split('\n')[0].trim());
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dbus-daemon exited early with code ${code}`));
    });
  });
}

function startDaemon(env: Record<string, string>, password: string) {
  const daemon = spawn(
    'gnome-keyring-daemon',
    ['--foreground', '--unlock', '--components=secrets'],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'ignore', 'ignore'] },
  );
  // --unlock reads the password until end of input.
  daemon.stdin?.end(password);
  return daemon;
}

async function waitForSecretService(
  env: Record<string, string>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; attempt <= 200; attempt++) {
    if (hasSecretServiceOwner(env)) return;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `gnome-keyring-daemon did not own org.freedesktop.secrets ` +
      `within ${timeoutMs} ms`,
  );
}

function hasSecretServiceOwner(env: Record<string, string>): boolean {
  const result = spawnSync(
    'dbus-send',
    [
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.DBus',
      '/',
      'org.freedesktop.DBus.NameHasOwner',
      'string:org.freedesktop.secrets',
    ],
    { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 5000 },
  );
  return result.status === 0 && /boolean true/.test(result.stdout);
}

async function stopAll(processes: ChildProcess[], home: string) {
  for (const child of processes) await stopProcess(child);
  rmSync(home, { recursive: true, force: true });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
