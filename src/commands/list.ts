// `conn list`: every connection with its status and where it is defined.
// It never reads a secret.

import type { AppContext } from '../context.js';
import { checkCategory } from './connectors.js';
import type { Connection } from '../store/registry.js';
import { ago, renderTable, type Palette } from '../ui/output.js';

export interface ListOptions {
  category?: string;
  connector?: string;
}

export async function list(ctx: AppContext, options: ListOptions): Promise<void> {
  const category = checkCategory(options.category);
  const catalog = await ctx.catalog();
  const categoryOf = (c: Connection) => catalog.get(c.connector)?.category ?? 'unknown';
  const shown = (await ctx.connections()).filter(
    (c) =>
      (!category || categoryOf(c) === category) &&
      (!options.connector || c.connector === options.connector),
  );

  if (ctx.out.json) {
    ctx.out.document(
      shown.map((c) => ({
        name: c.name,
        connector: c.connector,
        category: categoryOf(c),
        status: c.status.state,
        lastTested: c.status.at ?? null,
        message: c.status.message ?? null,
        source: c.source,
        definedIn: c.definedIn,
      })),
    );
    return;
  }
  if (shown.length === 0) {
    const filtered = category || options.connector;
    ctx.out.data(
      filtered
        ? 'No connections match. `conn list` shows them all.'
        : 'No connections yet. Create the first with `conn create`\n' +
            '(or `conn create http --name api --set baseUrl=https://api.example.com`).',
    );
    return;
  }
  const p = ctx.out.paint;
  const rows = shown.map((c) => [
    c.name,
    c.connector,
    categoryOf(c),
    statusCell(c, p),
    ago(c.status.at),
    c.source,
  ]);
  ctx.out.data(
    renderTable(['name', 'connector', 'category', 'status', 'last tested', 'source'], rows, p),
  );
}

function statusCell(c: Connection, p: Palette): string {
  if (c.status.state === 'online') return p.green('online');
  if (c.status.state === 'offline') return p.red('offline');
  return p.dim('untested');
}
