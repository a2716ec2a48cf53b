// The catalog: the built-in connector definitions in connectors/ (and
// connectors/apps/) plus plug-in folders named in the project config. Each
// file is validated when it is loaded; a bad plug-in is exit 3 naming it.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError, UsageError } from '../errors.js';
import { connectorProblems } from './validate.js';
import type { ConnectorDefinition } from './types.js';

export const BUILTIN_DIR = fileURLToPath(new URL('../../connectors', import.meta.url));

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
      byId.set(def.id, def);
    }
  }
  const all = [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
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

/** "did you mean 'x'? " when a known name is close, else "". */
export function suggestion(input: string, known: string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const close = best && bestDistance <= Math.max(2, Math.floor(input.length / 3));
  return close ? `did you mean '${best}'? ` : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
    }
    previous = current;
  }
  return previous[b.length];
}
