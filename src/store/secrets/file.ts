// Secrets in one file, for machines without a keychain. With CONN_PASSPHRASE
// the content is sealed with AES-256-GCM under a key derived by scrypt; a
// fresh salt and IV are drawn on every write and the parameters are written
// beside the ciphertext, so they can change without breaking old files.
// Without a passphrase the values are stored plain, and the store says so
// once per process through the warn callback.
//
// The file is read and decrypted once per process and kept while its inode,
// size and mtime stay the same, so `conn test --all` pays for one scrypt.
// Writes re-read under the lock, so two processes never lose each other's
// changes. No error message quotes the file's content: a JSON parse error
// would print a slice of it, secrets included.

import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  scrypt,
} from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { EnvironmentError } from '../../errors.js';
import { writeFileAtomic } from '../atomic.js';
import { withLock } from '../lock.js';
import type { SecretChange, SecretStore } from './types.js';

/** connection -> field -> value */
type SecretMap = Record<string, Record<string, string>>;

interface Kdf {
  name: 'scrypt';
  salt: string;
  N: number;
  r: number;
  p: number;
}

interface SealedFile {
  version: 1;
  encrypted: true;
  kdf: Kdf;
  cipher: { name: 'aes-256-gcm'; iv: string; tag: string };
  ciphertext: string;
}

interface PlainFile {
  version: 1;
  encrypted: false;
  secrets: SecretMap;
}

interface Snapshot {
  stamp: string;
  secrets: SecretMap;
  encrypted: boolean;
}

export const SECRETS_FILE_VERSION = 1;
// 32 MiB and about 60 ms on a laptop (250 ms on a small CI runner): slow
// enough to hurt guessing, quick enough for a CLI. Files record their own
// parameters, so raising these later keeps old files readable.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 };
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
const AAD = Buffer.from('conn secrets file v1');

// One warning per file per process, however many stores are opened.
const warnedFiles = new Set<string>();

export interface FileStoreOptions {
  file: string;
  /** Empty or undefined: the file is stored plain. */
  passphrase?: string;
  warn: (message: string) => void;
}

export class FileSecretStore implements SecretStore {
  readonly kind = 'file' as const;
  private snapshot: Snapshot | undefined;
  private loading: { stamp: string; promise: Promise<Snapshot> } | undefined;
  private warned = false;
  private readonly keys = new Map<string, Buffer>();
  private readonly passphrase: string | undefined;

  constructor(private readonly options: FileStoreOptions) {
    this.passphrase = options.passphrase || undefined;
  }

  describe(): string {
    const how = this.passphrase
      ? 'encrypted with CONN_PASSPHRASE'
      : 'unencrypted (set CONN_PASSPHRASE to encrypt it)';
    return `the file ${this.options.file}, ${how}`;
  }

  async get(connection: string, field: string) {
    const snapshot = await this.load();
    if (!snapshot.encrypted && snapshot.stamp) this.warnPlain();
    const fields = Object.hasOwn(snapshot.secrets, connection) ? snapshot.secrets[connection] : undefined;
    return fields && Object.hasOwn(fields, field) ? fields[field] : undefined;
  }

  set(connection: string, field: string, value: string): Promise<void> {
    return this.update([{ connection, field, value }]);
  }

  delete(connection: string, field: string): Promise<void> {
    return this.update([{ connection, field, value: undefined }]);
  }

  async update(changes: readonly SecretChange[]): Promise<void> {
    const lockPath = `${this.options.file}.lock`;
    await withLock(lockPath, async () => {
      const current = await this.load();
      const next = applyChanges(current.secrets, changes);
      // A plain file is sealed on the first write after a passphrase is set.
      const unsealed = current.stamp !== '' && !current.encrypted;
      if (next === current.secrets && !(unsealed && this.passphrase)) return;
      await this.write(next);
    });
  }

  private async load(): Promise<Snapshot> {
    const stamp = fileStamp(this.options.file);
    if (this.snapshot && this.snapshot.stamp === stamp) return this.snapshot;
    if (!stamp) return { stamp, secrets: {}, encrypted: false };

    // Tests run side by side (`conn test --all`) and all ask at once: they
    // share one read and one key derivation, not one each.
    if (this.loading?.stamp !== stamp) {
      const promise = this.read(stamp).finally(() => {
        if (this.loading?.promise === promise) this.loading = undefined;
      });
      this.loading = { stamp, promise };
    }
    return this.loading.promise;
  }

  private async read(stamp: string): Promise<Snapshot> {
    const parsed = parseFile(this.options.file, readText(this.options.file));
    const secrets = parsed.encrypted
      ? await this.open(parsed)
      : parsed.secrets;
    this.snapshot = { stamp, secrets, encrypted: parsed.encrypted };
    return this.snapshot;
  }

  private async write(secrets: SecretMap): Promise<void> {
    const content = this.passphrase
      ? await this.seal(secrets, this.passphrase)
      : plainContent(secrets);
    if (!this.passphrase) this.warnPlain();
    writeFileAtomic(this.options.file, `${JSON.stringify(content, null, 2)}\n`);
    const stamp = fileStamp(this.options.file);
    this.snapshot = { stamp, secrets, encrypted: !!this.passphrase };
  }

  private async open(sealed: SealedFile): Promise<SecretMap> {
    if (!this.passphrase) throw locked(this.options.file);
    const key = await this.key(sealed.kdf, this.passphrase);
    const plaintext = decrypt(sealed, key, this.options.file);
    return parseSecretMap(plaintext, this.options.file);
  }

  private async seal(secrets: SecretMap, passphrase: string) {
    const kdf: Kdf = {
      name: 'scrypt',
      salt: randomBytes(16).toString('base64'),
      ...SCRYPT,
    };
    const key = await this.key(kdf, passphrase);
    return encrypt(JSON.stringify(secrets), kdf, key);
  }

  private async key(kdf: Kdf, passphrase: string): Promise<Buffer> {
    const id = `${kdf.salt}:${kdf.N}:${kdf.r}:${kdf.p}`;
    let key = this.keys.get(id);
    if (!key) {
      key = await deriveKey(passphrase, kdf);
      this.keys.set(id, key);
    }
    return key;
  }

  private warnPlain(): void {
    // Called on every read of a plain file: after the first, one check.
    if (this.warned) return;
    this.warned = true;
    const file = this.options.file;
    if (warnedFiles.has(file)) return;
    warnedFiles.add(file);
    this.options.warn(
      `secrets are stored unencrypted in ${file}; set CONN_PASSPHRASE to ` +
        'encrypt them (the file is encrypted on the next write)',
    );
  }
}

/** Returns the same object when nothing changes, so no write is needed. */
function applyChanges(
  secrets: SecretMap,
  changes: readonly SecretChange[],
): SecretMap {
  // Own properties only: names such as `constructor` or `__proto__` must
  // never reach (or change) Object.prototype.
  const own = <T>(map: Record<string, T>, key: string): T | undefined =>
    Object.hasOwn(map, key) ? map[key] : undefined;
  let next = secrets;
  for (const { connection, field, value } of changes) {
    const current = own(next, connection);
    if ((current ? own(current, field) : undefined) === value) continue;
    if (next === secrets) next = structuredClone(secrets);
    let fields = own(next, connection);
    if (!fields) {
      fields = {};
      Object.defineProperty(next, connection, { value: fields, enumerable: true, writable: true, configurable: true });
    }
    if (value === undefined) delete fields[field];
    else Object.defineProperty(fields, field, { value, enumerable: true, writable: true, configurable: true });
    if (Object.keys(fields).length === 0) delete next[connection];
  }
  return next;
}

function plainContent(secrets: SecretMap): PlainFile {
  return { version: SECRETS_FILE_VERSION, encrypted: false, secrets };
}

function deriveKey(passphrase: string, kdf: Kdf): Promise<Buffer> {
  const options = { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: MAX_SCRYPT_MEMORY };
  const salt = Buffer.from(kdf.salt, 'base64');
  return new Promise((resolve, reject) => {
    scrypt(passphrase, salt, 32, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

function encrypt(plaintext: string, kdf: Kdf, key: Buffer): SealedFile {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(AAD);
  const body = Buffer.concat([
    cipher.update(plaintext, 'utf8'),
    cipher.final(),
  ]);
  return {
    version: SECRETS_FILE_VERSION,
    encrypted: true,
    kdf,
    cipher: {
      name: 'aes-256-gcm',
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    },
    ciphertext: body.toString('base64'),
  };
}

function decrypt(sealed: SealedFile, key: Buffer, file: string): string {
  try {
    const iv = Buffer.from(sealed.cipher.iv, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(AAD);
    decipher.setAuthTag(Buffer.from(sealed.cipher.tag, 'base64'));
    const body = Buffer.from(sealed.ciphertext, 'base64');
    return Buffer.concat([decipher.update(body), decipher.final()])
      .toString('utf8');
  } catch {
    throw new EnvironmentError(
      `could not decrypt ${file}: CONN_PASSPHRASE is wrong, ` +
        'or the file was altered',
      'set CONN_PASSPHRASE to the passphrase the file was written with',
      'secrets-passphrase',
    );
  }
}

function locked(file: string): EnvironmentError {
  return new EnvironmentError(
    `${file} is encrypted and CONN_PASSPHRASE is not set`,
    'set CONN_PASSPHRASE to the passphrase the file was written with',
    'secrets-locked',
  );
}

/** inode, size and mtime; '' when the file does not exist. */
function fileStamp(file: string): string {
  try {
    const stat = statSync(file);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw unreadable(file, error);
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw unreadable(file, error);
  }
}

function unreadable(file: string, error: unknown): EnvironmentError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
  return new EnvironmentError(
    `cannot read the secrets file ${file} (${code})`,
    code === 'EACCES'
      ? `give your user read access: chmod 600 ${file}`
      : undefined,
    'secrets-unreadable',
  );
}

function corrupt(file: string, why: string): EnvironmentError {
  return new EnvironmentError(
    `the secrets file ${file} is damaged: ${why}`,
    'restore it from a backup, or move it aside and set the secrets again',
    'secrets-corrupt',
  );
}

function parseJson(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message quotes the text around the error: never show it.
    throw corrupt(file, `${what} is not valid JSON`);
  }
}

function parseFile(file: string, text: string): SealedFile | PlainFile {
  const data = parseJson(text, file, 'it') as Record<string, unknown>;
  if (!isObject(data)) throw corrupt(file, 'it is not a JSON object');
  if (typeof data.version === 'number' && data.version > 1) {
    throw new EnvironmentError(
      `${file} was written by a newer conn (version ${data.version})`,
      'upgrade conn to read it',
      'secrets-version',
    );
  }
  if (data.version !== 1) throw corrupt(file, 'it has no version 1 marker');
  if (data.encrypted === false) {
    return plainContent(checkSecretMap(data.secrets, file));
  }
  if (data.encrypted === true && isSealed(data)) return data;
  throw corrupt(file, 'its fields are missing or of the wrong type');
}

function parseSecretMap(text: string, file: string): SecretMap {
  return checkSecretMap(parseJson(text, file, 'its decrypted content'), file);
}

function checkSecretMap(value: unknown, file: string): SecretMap {
  const valid = isObject(value) && Object.values(value).every((fields) =>
    isObject(fields) &&
    Object.values(fields).every((v) => typeof v === 'string'),
  );
  if (!valid) throw corrupt(file, 'its secrets are not text by field');
  return value as SecretMap;
}

function isSealed(
  data: Record<string, unknown>,
): data is Record<string, unknown> & SealedFile {
  const kdf = data.kdf as Partial<Kdf> | undefined;
  const cipher = data.cipher as Partial<SealedFile['cipher']> | undefined;
  return isObject(kdf) && kdf.name === 'scrypt' &&
    typeof kdf.salt === 'string' && saneScrypt(kdf) &&
    isObject(cipher) && cipher.name === 'aes-256-gcm' &&
    typeof cipher.iv === 'string' && typeof cipher.tag === 'string' &&
    typeof data.ciphertext === 'string';
}

// Bounds keep a damaged file from asking scrypt for gigabytes.
function saneScrypt(kdf: Partial<Kdf>): boolean {
  const { N, r, p } = kdf;
  return Number.isInteger(N) && Number.isInteger(r) && Number.isInteger(p) &&
    N! >= 2 && N! <= 2 ** 20 && (N! & (N! - 1)) === 0 &&
    r! >= 1 && r! <= 32 && p! >= 1 && p! <= 16 &&
    128 * N! * r! <= MAX_SCRYPT_MEMORY;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
