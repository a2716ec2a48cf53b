// `conn rm <name...>`: asks on a terminal, needs --yes without one, and
// removes the secrets and run logs with the connections.

import type { AppContext } from '../context.js';
import { UsageError } from '../errors.js';
import { removeConnections } from '../store/mutations.js';
import { refuseReadOnly } from './edit.js';

export interface RmOptions {
  names: string[];
  yes: boolean;
}

export async function rm(ctx: AppContext, options: RmOptions): Promise<number | void> {
  const names = [...new Set(options.names)];
  for (const name of names) refuseReadOnly(await ctx.connection(name));
  if (!options.yes) {
    if (!ctx.interactive) {
      throw new UsageError(
        `removing ${names.map((n) => `'${n}'`).join(', ')} needs confirmation`,
        'add --yes to remove without asking',
        'confirmation-required',
      );
    }
    const { confirm } = await import('../ui/prompts.js');
    const what =
      names.length === 1
        ? `connection '${names[0]}'`
        : `${names.length} connections (${names.join(', ')})`;
    if (!(await confirm(`Remove ${what} and its secrets?`))) {
      ctx.out.info('Nothing removed.');
      return 1;
    }
  }
  await removeConnections(ctx.paths, async () => (await ctx.secretStore()).store, names);
  const { removeRunLog } = await import('../trace/runlog.js');
  for (const name of names) await removeRunLog(ctx.paths.runLogDir, name);
  if (ctx.out.json) ctx.out.document({ removed: names });
  else ctx.out.info(`Removed ${names.map((n) => `'${n}'`).join(', ')}.`);
}
