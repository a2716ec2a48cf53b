// Adapters by name, each loaded only when a connection of that kind is
// tested, so `conn list` never loads an HTTP client or a database driver.

import type { Adapter } from './types.js';
import { UsageError } from '../errors.js';

const loaders: Record<string, () => Promise<{ adapter: Adapter }>> = {
  // Each adapter adds its line here: name: () => import('./name.js'),
  http: () => import('./http/index.js'),
  postgres: () => import('./postgres.js'),
  mysql: () => import('./mysql.js'),
  redis: () => import('./redis.js'),
};

export function hasAdapter(name: string): boolean {
  return name in loaders;
}

export async function loadAdapter(name: string): Promise<Adapter> {
  const load = loaders[name];
  if (!load) {
    throw new UsageError(
      `no adapter named '${name}'`,
      `known adapters: ${Object.keys(loaders).join(', ')}`,
      'unknown-adapter',
    );
  }
  return (await load()).adapter;
}
