// Secrets from the environment, for CI: CONN_SECRET_<CONNECTION>_<FIELD>
// supplies a secret or overrides the stored one when it is read.
//
// Decisions:
// - The store is read-only. set() is a UsageError, because dropping a value
//   silently would lose a secret the user typed; delete() does nothing,
//   because conn cannot unset its parent's variables and "removing a missing
//   value is not an error" is the SecretStore contract.
// - An empty variable counts as unset: CI systems expand a missing secret to
//   an empty string, which must not hide the stored value.
// - Names are upper-cased and every other character becomes `_`, so `my-db`
//   with field `api_key` and `my` with field `db_api_key` share a variable.
//   Connection names rarely collide that way; `conn doctor` can show both.

import { UsageError } from '../../errors.js';
import type { SecretStore } from './types.js';

const PREFIX = 'CONN_SECRET_';

/** The variable that supplies one secret: CONN_SECRET_<CONNECTION>_<FIELD>. */
export function secretEnvName(connection: string, field: string): string {
  return `${PREFIX}${envPart(connection)}_${envPart(field)}`;
}

function envPart(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** The value the environment supplies, or undefined (also when empty). */
export function secretFromEnv(
  env: NodeJS.ProcessEnv,
  connection: string,
  field: string,
): string | undefined {
  const value = env[secretEnvName(connection, field)];
  return value === '' ? undefined : value;
}

export class EnvSecretStore implements SecretStore {
  readonly kind = 'env' as const;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  describe(): string {
    return `environment variables named ${PREFIX}<CONNECTION>_<FIELD>`;
  }

  async get(connection: string, field: string) {
    return secretFromEnv(this.env, connection, field);
  }

  async set(connection: string, field: string): Promise<void> {
    const name = secretEnvName(connection, field);
    throw new UsageError(
      `conn cannot store a secret in the environment (${name})`,
      `export ${name} yourself, or choose --secret-store keychain or file`,
      'env-store-read-only',
    );
  }

  async delete(): Promise<void> {
    // Nothing to do: see the decisions at the top of this file.
  }
}
