// `conn connectors`: the catalog grouped by category, with the connectors of
// the most recently created or tested connections first.

import { byText } from '../compare.js';
import type { AppContext } from '../context.js';
import { UsageError } from '../errors.js';
import {
  CATEGORIES,
  CATEGORY_TITLES,
  type Category,
  type ConnectorDefinition,
} from '../connectors/types.js';
import type { Connection } from '../store/registry.js';
import { renderTable } from '../ui/output.js';

export interface ConnectorsOptions {
  category?: string;
}

export interface ConnectorGroup {
  title: string;
  category: Category | 'recent';
  connectors: ConnectorDefinition[];
}

const RECENT_LIMIT = 5;

export async function connectors(ctx: AppContext, options: ConnectorsOptions): Promise<void> {
  const category = checkCategory(options.category);
  const catalog = await ctx.catalog();
  const groups = groupConnectors(catalog.all, await ctx.connections(), category);

  if (ctx.out.json) {
    ctx.out.document(
      groups.map((group) => ({
        category: group.category,
        title: group.title,
        connectors: group.connectors.map(({ id, name, category, description, docs }) => ({
          id,
          name,
          category,
          description,
          docs,
        })),
      })),
    );
    return;
  }
  const p = ctx.out.paint;
  const sections = groups.map((group) => {
    const rows = group.connectors.map((c) => [c.id, c.name, c.description]);
    return `${p.bold(group.title)}\n${indent(renderTable(['id', 'name', 'description'], rows, p))}`;
  });
  ctx.out.data(sections.join('\n\n'));
}

/** Recently used first, then the categories in their fixed order. */
export function groupConnectors(
  all: ConnectorDefinition[],
  connections: Connection[],
  category?: Category,
): ConnectorGroup[] {
  const shown = category ? all.filter((c) => c.category === category) : all;
  const groups: ConnectorGroup[] = [];
  const recent = recentlyUsed(shown, connections);
  if (recent.length > 0)
    groups.push({ title: 'Recently used', category: 'recent', connectors: recent });
  for (const cat of CATEGORIES) {
    const members = shown.filter((c) => c.category === cat);
    if (members.length > 0)
      groups.push({ title: CATEGORY_TITLES[cat], category: cat, connectors: members });
  }
  return groups;
}

function recentlyUsed(
  all: ConnectorDefinition[],
  connections: Connection[],
): ConnectorDefinition[] {
  const lastUse = new Map<string, string>();
  for (const c of connections) {
    const used = [c.status.at, c.createdAt].filter(Boolean).sort().pop();
    if (used && (lastUse.get(c.connector) ?? '') < used) lastUse.set(c.connector, used);
  }
  return all
    .filter((c) => lastUse.has(c.id))
    .sort((a, b) => byText(lastUse.get(b.id)!, lastUse.get(a.id)!))
    .slice(0, RECENT_LIMIT);
}

export function checkCategory(value: string | undefined): Category | undefined {
  if (value === undefined) return undefined;
  if (CATEGORIES.includes(value as Category)) return value as Category;
  throw new UsageError(
    `unknown category '${value}'`,
    `use one of ${CATEGORIES.join(', ')}`,
    'unknown-category',
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
