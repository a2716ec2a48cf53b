// One interface for every secret store. A secret is addressed by the
// connection name and the field key; values are strings.

export type SecretStoreKind = 'keychain' | 'file' | 'env';
export type SecretStoreChoice = 'auto' | 'keychain' | 'file';

export interface SecretStore {
  readonly kind: SecretStoreKind;
  /** A sentence for `conn doctor`: where the secrets are. */
  describe(): string;
  get(connection: string, field: string): Promise<string | undefined>;
  set(connection: string, field: string, value: string): Promise<void>;
  /** Removes the value; removing a missing value is not an error. */
  delete(connection: string, field: string): Promise<void>;
  /**
   * Applies several sets and deletes in one write, where the store can
   * (the file store re-encrypts the whole file on every write).
   */
  update?(changes: readonly SecretChange[]): Promise<void>;
}

/** One set (value given) or delete (value undefined) for update(). */
export interface SecretChange {
  connection: string;
  field: string;
  value: string | undefined;
}
