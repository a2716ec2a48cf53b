// The OS keychain through @napi-rs/keyring: service `conn`, account
// `<connection>/<field>` (Secret Service shows it as attribute `username`).
//
// Measured behaviour that shapes this file:
// - The module is native and slow to load, so it is imported only when a
//   keychain is used; `conn list` never pays for it.
// - On Linux the entry is pinned to the Secret Service, because the default
//   silently falls back to the kernel keyring, which forgets on logout.
// - A pinned entry's constructor talks to D-Bus synchronously (about 15 ms),
//   and blocks forever if the bus socket accepts but never answers. No timer
//   can fire while it blocks, so before the first native call we check in
//   JavaScript, with a timeout, that the bus answers its handshake.
// - Every call is raced against a timer (and aborted through its signal),
//   since a D-Bus activation was seen to hang 25 s.
// - After a few single reads, the store loads every `conn` credential in
//   one call and keeps them for the process: one constructor per secret
//   would block for 45 s over 3000 secrets.

import { connect } from 'node:net';
import { CliError, EnvironmentError, UsageError } from '../../errors.js';
import type { SecretStore } from './types.js';

type Keyring = typeof import('@napi-rs/keyring');
type AsyncEntry = InstanceType<Keyring['AsyncEntry']>;

export const KEYCHAIN_SERVICE = 'conn';
export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 5000;
const PROBE_ACCOUNT = 'conn-probe/absent';
// Past this many reads, one bulk read is cheaper than more constructors.
const SINGLE_READS = 8;
// A bulk read takes about 2 s per 1000 secrets on a small CI runner.
const BULK_READ_TIMEOUT_FACTOR = 10;

export interface KeychainProbe {
  available: boolean;
  /** Why, in a sentence for `conn doctor` and the auto selection. */
  reason: string;
}

export interface KeychainStoreOptions {
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  /** Set when probeKeychain() already answered yes in this process. */
  probed?: boolean;
}

let keyringModule: Promise<Keyring> | undefined;

function loadKeyring(): Promise<Keyring> {
  keyringModule ??= import('@napi-rs/keyring').then(
    // A CommonJS module: Node gives its exports as `default`.
    (loaded) => (loaded.default ?? loaded) as Keyring,
  );
  return keyringModule;
}

/** The timeout from CONN_KEYCHAIN_TIMEOUT_MS, else the default. */
export function keychainTimeoutMs(env: NodeJS.ProcessEnv): number {
  const text = env.CONN_KEYCHAIN_TIMEOUT_MS;
  if (text === undefined || text === '') return DEFAULT_KEYCHAIN_TIMEOUT_MS;
  const value = Number(text);
  if (Number.isInteger(value) && value > 0) return value;
  throw new UsageError(
    `CONN_KEYCHAIN_TIMEOUT_MS must be a whole number of milliseconds, ` +
      `not '${text}'`,
    'for example CONN_KEYCHAIN_TIMEOUT_MS=10000',
  );
}

export function keychainAccount(connection: string, field: string): string {
  return `${connection}/${field}`;
}

export class KeychainSecretStore implements SecretStore {
  readonly kind = 'keychain' as const;
  private ready: Promise<void> | undefined;
  private loading: Promise<Map<string, string>> | undefined;
  private secrets: Map<string, string> | undefined;
  private singleReads = 0;

  constructor(private readonly options: KeychainStoreOptions) {
    if (options.probed) this.ready = Promise.resolve();
  }

  describe(): string {
    return `the ${keychainName()}, service '${KEYCHAIN_SERVICE}', ` +
      `account '<connection>/<field>'`;
  }

  async get(connection: string, field: string) {
    const account = keychainAccount(connection, field);
    if (this.secrets) return this.secrets.get(account);
    if (++this.singleReads > SINGLE_READS) {
      return (await this.loadAll()).get(account);
    }
    let value: string | null = null;
    await this.call('read a secret', async (entry, signal) => {
      value = await entry.getPassword(signal);
    }, account);
    return value ?? undefined;
  }

  async set(connection: string, field: string, value: string) {
    const account = keychainAccount(connection, field);
    await this.call('store a secret', async (entry, signal) => {
      await entry.setPassword(value, signal);
    }, account, value);
    this.secrets?.set(account, value);
  }

  async delete(connection: string, field: string) {
    const account = keychainAccount(connection, field);
    await this.call('delete a secret', async (entry, signal) => {
      await entry.deleteCredential(signal);
    }, account);
    this.secrets?.delete(account);
  }

  private loadAll(): Promise<Map<string, string>> {
    if (!this.loading) {
      const loading = this.readAll();
      this.loading = loading;
      // A failed read is forgotten, so a later call may try again.
      loading.then(
        (secrets) => (this.secrets = secrets),
        () => (this.loading = undefined),
      );
    }
    return this.loading;
  }

  private async readAll(): Promise<Map<string, string>> {
    await this.ensureReady();
    const keyring = await loadKeyring();
    const timeoutMs = this.options.timeoutMs * BULK_READ_TIMEOUT_FACTOR;
    const found = await timed('read every conn secret', timeoutMs,
      (signal) => keyring.findCredentialsAsync(KEYCHAIN_SERVICE, null, signal),
    );
    return new Map(found.map((item) => [item.account, item.password]));
  }

  private async call(
    what: string,
    action: (entry: AsyncEntry, signal: AbortSignal) => Promise<void>,
    account: string,
    secret?: string,
  ): Promise<void> {
    await this.ensureReady();
    const keyring = await loadKeyring();
    await timed(what, this.options.timeoutMs, (signal) => {
      const entry = new keyring.AsyncEntry(
        KEYCHAIN_SERVICE, account, entryOptions(),
      );
      return action(entry, signal);
    }, secret);
  }

  // Checked once per store: findCredentials cannot be pinned to the Secret
  // Service, so it runs only after a pinned entry has answered.
  private ensureReady(): Promise<void> {
    this.ready ??= probeKeychain(this.options.timeoutMs, this.options.env)
      .then((probe) => {
        if (probe.available) return;
        this.ready = undefined;
        throw unavailable(probe.reason);
      });
    return this.ready;
  }
}

/** Whether the keychain answers, and why not. Never throws. */
export async function probeKeychain(
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<KeychainProbe> {
  if (process.platform === 'linux') {
    const bus = await checkSessionBus(env, timeoutMs);
    if (bus) return { available: false, reason: bus };
  }
  try {
    const keyring = await loadKeyring();
    await race('answer', timeoutMs, (signal) =>
      new keyring.AsyncEntry(KEYCHAIN_SERVICE, PROBE_ACCOUNT, entryOptions())
        .getPassword(signal),
    );
    return { available: true, reason: `the ${keychainName()} answered` };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const reason = error instanceof KeychainTimeout
      ? `the ${keychainName()} ${detail}`
      : `the ${keychainName()} failed: ${detail}`;
    return { available: false, reason };
  }
}

function entryOptions() {
  if (process.platform !== 'linux') return undefined;
  return { linux: { store: 'secret-service' as const } };
}

function keychainName(): string {
  if (process.platform === 'darwin') return 'macOS Keychain';
  if (process.platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service keychain';
}

/** One keychain call failed to finish in time. */
class KeychainTimeout extends Error {}

/** Runs one keychain call under a timer and an abort signal. */
async function race<T>(
  what: string,
  timeoutMs: number,
  action: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new KeychainTimeout(`did not ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([action(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** race(), with any failure as an EnvironmentError that omits `secret`. */
async function timed<T>(
  what: string,
  timeoutMs: number,
  action: (signal: AbortSignal) => Promise<T>,
  secret?: string,
): Promise<T> {
  try {
    return await race(what, timeoutMs, action);
  } catch (error) {
    if (error instanceof KeychainTimeout) throw timedOut(error.message);
    throw asEnvironmentError(error, what, secret);
  }
}

function timedOut(message: string): EnvironmentError {
  return new EnvironmentError(
    `the ${keychainName()} ${message}`,
    'if it is slow rather than stuck, raise CONN_KEYCHAIN_TIMEOUT_MS; ' +
      'otherwise use --secret-store file (or CONN_SECRET_STORE=file)',
    'keychain-timeout',
  );
}

function asEnvironmentError(error: unknown, what: string, secret?: string) {
  if (error instanceof CliError) return error;
  let detail = error instanceof Error ? error.message : String(error);
  if (secret) detail = detail.split(secret).join('[secret]');
  return unavailable(`the ${keychainName()} could not ${what}: ${detail}`);
}

function unavailable(reason: string): EnvironmentError {
  const hint = process.platform === 'linux'
    ? 'start a Secret Service (for example gnome-keyring-daemon) in your ' +
      'D-Bus session, or use --secret-store file (or CONN_SECRET_STORE=file)'
    : 'unlock the keychain, or use --secret-store file ' +
      '(or CONN_SECRET_STORE=file)';
  return new EnvironmentError(
    `no usable keychain: ${reason}`,
    hint,
    'keychain-unavailable',
  );
}

/**
 * Returns why the D-Bus session bus cannot be used, or undefined when it
 * answers. Only unix sockets are checked; other transports pass unchecked.
 */
async function checkSessionBus(
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<string | undefined> {
  const address = env.DBUS_SESSION_BUS_ADDRESS;
  if (!address) {
    return 'no D-Bus session: DBUS_SESSION_BUS_ADDRESS is not set';
  }
  const socketPath = unixSocketPath(address);
  if (socketPath === undefined) return undefined;
  const failure = await busHandshake(socketPath, timeoutMs);
  return failure && `the D-Bus session bus ${failure}`;
}

function unixSocketPath(address: string): string | undefined {
  // The address may list several transports; libdbus takes the first.
  const first = address.split(';')[0];
  const match = /^unix:(.*)$/.exec(first);
  if (!match) return undefined;
  const keys = new Map(match[1].split(',').map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at), decodeURIComponent(pair.slice(at + 1))];
  }));
  if (keys.has('path')) return keys.get('path');
  // Linux abstract sockets are named with a leading NUL byte.
  if (keys.has('abstract')) return `\0${keys.get('abstract')}`;
  return undefined;
}

/** Opens the socket and waits for any answer to an AUTH line. */
function busHandshake(
  socketPath: string,
  timeoutMs: number,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    const finish = (failure: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(failure);
    };
    const timer = setTimeout(
      () => finish(`did not answer within ${timeoutMs} ms`),
      timeoutMs,
    );
    const uid = Buffer.from(String(process.getuid?.() ?? 0)).toString('hex');
    socket.on('connect', () => socket.write(`\0AUTH EXTERNAL ${uid}\r\n`));
    socket.on('data', () => finish(undefined));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(`cannot be reached (${error.code ?? error.message})`),
    );
    socket.on('close', () => finish('closed the connection'));
  });
}
