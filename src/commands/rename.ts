// `conn rename <old> <new>`: the secrets and the run log move with it.

import type { AppContext } from '../context.js';
import { UsageError } from '../errors.js';
import { nameProblem } from '../store/connections.js';
import { renameConnection } from '../store/mutations.js';
import { refuseReadOnly } from './edit.js';

export interface RenameOptions {
  from: string;
  to: string;
}

export async function rename(ctx: AppContext, options: RenameOptions): Promise<void> {
  const connection = await ctx.connection(options.from);
  refuseReadOnly(connection);
  const others = (await ctx.connections()).map((c) => c.name);
  const problem = nameProblem(options.to, others);
  if (problem) {
    throw new UsageError(
      problem,
      'example: conn rename api api-prod',
      others.includes(options.to) ? 'duplicate-name' : 'bad-name',
    );
  }
  const store = connection.secretFields.length > 0 ? (await ctx.secretStore()).store : undefined;
  await renameConnection(ctx.paths, store, options.from, options.to);
  const { renameRunLog } = await import('../trace/runlog.js');
  await renameRunLog(ctx.paths.runLogDir, options.from, options.to);
  if (ctx.out.json) ctx.out.document({ renamed: { from: options.from, to: options.to } });
  else ctx.out.info(`Renamed '${options.from}' to '${options.to}'.`);
}
