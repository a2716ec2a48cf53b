// The project config: connections and settings a repository declares in a
// file found by cosmiconfig (module name `conn`). cosmiconfig is only loaded
// when a candidate file exists, so a plain `conn list` stays fast.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EnvironmentError } from '../errors.js';
import type { Settings } from '../connectors/types.js';
import type { SecretStoreChoice } from './secrets/types.js';

export const SEARCH_PLACES = [
  'package.json',
  '.connrc',
  '.connrc.json',
  '.connrc.yaml',
  '.connrc.yml',
  '.connrc.js',
  '.connrc.mjs',
  '.connrc.cjs',
  '.config/connrc',
  '.config/connrc.json',
  '.config/connrc.yaml',
  '.config/connrc.yml',
  'conn.config.js',
  'conn.config.mjs',
  'conn.config.cjs',
];

export interface ProjectConnection {
  connector: string;
  settings: Settings;
}

export interface ProjectConfig {
  file: string;
  connections: Record<string, ProjectConnection>;
  secretStore?: SecretStoreChoice;
  pluginDirs: string[];
}

export async function loadProjectConfig(
  cwd: string,
  explicitFile?: string,
): Promise<ProjectConfig | undefined> {
  const file = explicitFile ? resolve(cwd, explicitFile) : findCandidate(cwd);
  if (!file) return undefined;
  if (explicitFile && !existsSync(file)) {
    throw new EnvironmentError(
      `config file ${file} does not exist`,
      'check the --config path',
      'missing-config',
    );
  }
  const raw = await readConfig(file);
  if (raw === undefined) return undefined;
  return checkConfig(file, raw);
}

/**
 * Walks up from cwd like cosmiconfig's "project" strategy: stop after the
 * first folder holding a package.json. package.json counts only with a
 * "conn" key.
 */
function findCandidate(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (let depth = 0; depth < 64; depth++) {
    for (const place of SEARCH_PLACES) {
      const file = join(dir, place);
      if (!existsSync(file)) continue;
      if (place !== 'package.json' || hasConnKey(file)) return file;
    }
    const parent = dirname(dir);
    if (existsSync(join(dir, 'package.json')) || parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

function hasConnKey(file: string): boolean {
  try {
    return 'conn' in (JSON.parse(readFileSync(file, 'utf8')) as object);
  } catch {
    return false;
  }
}

async function readConfig(file: string): Promise<unknown> {
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig('conn', { searchPlaces: SEARCH_PLACES });
  try {
    const result = await explorer.load(file);
    return result?.config;
  } catch (error) {
    throw new EnvironmentError(
      `cannot read the project config ${file}: ${firstLine((error as Error).message)}`,
      'fix the file; `conn doctor` shows which config is in use',
      'bad-project-config',
    );
  }
}

function checkConfig(file: string, raw: unknown): ProjectConfig {
  const bad = (what: string): never => {
    throw new EnvironmentError(
      `the project config ${file} is invalid: ${what}`,
      'see "Project config" in the README for the format',
      'bad-project-config',
    );
  };
  if (typeof raw !== 'object' || raw === null) bad('it must be an object');
  const config = raw as Record<string, unknown>;
  const connections = (config.connections ?? {}) as Record<string, ProjectConnection>;
  if (typeof connections !== 'object') bad('"connections" must be an object');
  for (const [name, connection] of Object.entries(connections)) {
    if (typeof connection?.connector !== 'string') bad(`connection '${name}' needs a "connector"`);
    connection.settings ??= {};
  }
  const settings = (config.settings ?? {}) as Record<string, unknown>;
  const store = settings.secretStore;
  if (store !== undefined && !['auto', 'keychain', 'file'].includes(store as string)) {
    bad('settings.secretStore must be auto, keychain or file');
  }
  const pluginDirs = (settings.pluginDirs ?? []) as string[];
  if (!Array.isArray(pluginDirs)) bad('settings.pluginDirs must be a list of folders');
  return {
    file,
    connections,
    secretStore: store as SecretStoreChoice | undefined,
    pluginDirs: pluginDirs.map((dir) => resolve(dirname(file), dir)),
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
