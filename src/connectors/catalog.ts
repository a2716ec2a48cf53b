// The catalog: the built-in connector definitions in connectors/ (and
// connectors/apps/) plus plug-in folders named in the project config. Each
// file is validated when it is loaded; a bad plug-in is exit 3 naming it.

import { byText } from '../compare.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { EnvironmentError, UsageError } from '../errors.js';
import { connectorProblems } from './validate.js';
import { suggestion } from '../suggest.js';
import type { ConnectorDefinition } from './types.js';

export const BUILTIN_DIR = join(packageRoot(), 'connectors');

export interface Catalog {
  all: ConnectorDefinition[];
  get(id: string): ConnectorDefinition | undefined;
  /** Like get, but a missing id is a usage error that suggests the nearest. */
  require(id: string): ConnectorDefinition;
}

export function loadCatalog(pluginDirs: string[] = []): Catalog {
  const byId = new Map<string, ConnectorDefinition>();
  const dirs = [BUILTIN_DIR, join(BUILTIN_DIR, 'apps'), ...pluginDirs];
  for (const dir of dirs) {
    const source = dir.startsWith(BUILTIN_DIR) ? 'builtin' : dir;
    for (const file of jsonFiles(dir, source === 'builtin')) {
      const def = loadDefinition(join(dir, file), source);
      const builtin = byId.get(def.id);
      if (builtin && source !== 'builtin' && builtin.source === 'builtin') {
        // A plug-in that took over a built-in id would receive its secrets.
        throw new EnvironmentError(
          `the plug-in connector ${join(dir, file)} uses the built-in id '${def.id}'`,
          'give the plug-in an id of its own',
          'bad-connector',
        );
      }
      byId.set(def.id, def);
    }
  }
  const all = [...byId.values()].sort((a, b) => byText(a.name, b.name));
  return {
    all,
    get: (id) => byId.get(id),
    require(id) {
      const def = byId.get(id);
      if (def) return def;
      throw new UsageError(
        `no connector named '${id}'`,
        suggestion(id, [...byId.keys()]) + '`conn connectors` lists them all',
        'unknown-connector',
      );
    },
  };
}

function jsonFiles(dir: string, builtin: boolean): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
      .sort();
  } catch (error) {
    if (builtin) return [];
    throw new EnvironmentError(
      `cannot read the plug-in folder ${dir}: ${(error as Error).message}`,
      'fix or remove it in the project config (pluginDirs)',
      'plugin-folder',
    );
  }
}

function loadDefinition(file: string, source: string): ConnectorDefinition {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EnvironmentError(
      `connector file ${file} is not valid JSON: ${(error as Error).message}`,
      'fix the file or remove it from the plug-in folder',
      'bad-connector',
    );
  }
  const problems = connectorProblems(value);
  if (problems.length > 0) {
    throw new EnvironmentError(
      `connector file ${file} is invalid: ${problems.join('; ')}`,
      'see connectors/http.json for a valid example',
      'bad-connector',
    );
  }
  return { ...(value as ConnectorDefinition), source };
}
