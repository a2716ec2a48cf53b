// What every command gets: the global options, the paths, the output module,
// and lazy access to the project config, the catalog, the connections and
// the secret store. Each is loaded at most once, and only when asked for.

import { EnvironmentError, UsageError } from './errors.js';
import { secretEnvName } from './store/secrets/env.js';
import { loadCatalog, type Catalog } from './connectors/catalog.js';
import { suggestion } from './suggest.js';
import { resolvePaths, type ConnPaths } from './store/paths.js';
import { loadProjectConfig, type ProjectConfig } from './store/project.js';
import { collectConnections, type Connection } from './store/registry.js';
import type { SecretStore, SecretStoreChoice } from './store/secrets/types.js';
import { isTerminal, Output } from './ui/output.js';

export interface GlobalOptions {
  json: boolean;
  input: boolean;
  color: boolean;
  quiet: boolean;
  config?: string;
  secretStore?: string;
}

export interface OpenedSecretStore {
  store: SecretStore;
  reason: string;
}

const STORE_CHOICES = ['auto', 'keychain', 'file'];

export class AppContext {
  readonly paths: ConnPaths;
  readonly out: Output;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  private projectPromise?: Promise<ProjectConfig | undefined>;
  private catalogPromise?: Promise<Catalog>;
  private storePromise?: Promise<OpenedSecretStore>;

  constructor(
    readonly options: GlobalOptions,
    env = process.env,
    cwd = process.cwd(),
  ) {
    this.env = env;
    this.cwd = cwd;
    this.paths = resolvePaths(env);
    const color = options.color && !('NO_COLOR' in env && env.NO_COLOR !== '');
    this.out = new Output({ json: options.json, quiet: options.quiet, color });
  }

  /**
   * Prompts are allowed: a terminal on both ends and no --no-input. The fstat
   * check comes first so a script's pipes never build the stdio streams;
   * isTTY then rules out character devices that are not terminals.
   */
  get interactive(): boolean {
    return (
      this.options.input &&
      isTerminal(0) &&
      isTerminal(1) &&
      Boolean(process.stdin.isTTY && process.stdout.isTTY)
    );
  }

  project(): Promise<ProjectConfig | undefined> {
    this.projectPromise ??= loadProjectConfig(this.cwd, this.options.config);
    return this.projectPromise;
  }

  catalog(): Promise<Catalog> {
    this.catalogPromise ??= this.project().then((p) => loadCatalog(p?.pluginDirs));
    return this.catalogPromise;
  }

  async connections(): Promise<Connection[]> {
    const all = collectConnections(this.paths, await this.project(), this.env);
    const declared = all.filter((c) => c.source !== 'user');
    if (declared.length > 0) refuseDeclaredSecrets(declared, await this.catalog());
    return all;
  }

  async connection(name: string): Promise<Connection> {
    const all = await this.connections();
    const found = all.find((c) => c.name === name);
    if (found) return found;
    throw new UsageError(
      `no connection named '${name}'`,
      `${suggestion(
        name,
        all.map((c) => c.name),
      )}\`conn list\` shows the names`,
      'unknown-connection',
    );
  }

  /** --secret-store, then CONN_SECRET_STORE, then the project config, then auto. */
  async secretStoreChoice(): Promise<{ choice: SecretStoreChoice; from: string }> {
    const candidates: Array<[string | undefined, string]> = [
      [this.options.secretStore, '--secret-store'],
      [this.env.CONN_SECRET_STORE, 'CONN_SECRET_STORE'],
      [(await this.project())?.secretStore, 'the project config'],
    ];
    for (const [value, from] of candidates) {
      if (!value) continue;
      if (!STORE_CHOICES.includes(value)) {
        throw new UsageError(
          `unknown secret store '${value}' (from ${from})`,
          `use one of ${STORE_CHOICES.join(', ')}`,
          'unknown-secret-store',
        );
      }
      return { choice: value as SecretStoreChoice, from };
    }
    return { choice: 'auto', from: 'the default' };
  }

  secretStore(): Promise<OpenedSecretStore> {
    this.storePromise ??= this.openSecretStore();
    return this.storePromise;
  }

  private async openSecretStore(): Promise<OpenedSecretStore> {
    const { choice, from } = await this.secretStoreChoice();
    const { openSecretStore } = await import('./store/secrets/index.js');
    return openSecretStore({
      choice,
      source: from,
      paths: this.paths,
      env: this.env,
      warn: (message: string) => this.out.warn(message),
    });
  }
}

/**
 * A project config or CONN_CONNECTIONS holds plain settings only: a secret
 * written there would be shown, sent and logged as plain text.
 */
function refuseDeclaredSecrets(declared: Connection[], catalog: Catalog): void {
  for (const connection of declared) {
    const connector = catalog.get(connection.connector);
    const secret = connector?.fields.find((f) => f.secret && f.key in connection.settings);
    if (!secret) continue;
    throw new EnvironmentError(
      `'${connection.name}' in ${connection.definedIn} sets the secret field ${secret.key} as plain text`,
      `remove it there and supply it as ${secretEnvName(connection.name, secret.key)} or in the keychain`,
      'secret-in-config',
    );
  }
}
