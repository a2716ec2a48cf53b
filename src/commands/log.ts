// `conn log <name>`: the recorded trace and result of the last test(s). When
// there is none it says why: never tested, or not testable at all.

import type { AppContext } from '../context.js';
import { OperationError } from '../errors.js';
import { hasAdapter, loadAdapter } from '../adapters/index.js';
import { withDefaults } from '../connectors/fields.js';

export interface LogOptions {
  name: string;
  runs: number;
}

export async function log(ctx: AppContext, options: LogOptions): Promise<void> {
  const connection = await ctx.connection(options.name);
  const { readRunRecords } = await import('../trace/runlog.js');
  const records = await readRunRecords(ctx.paths.runLogDir, options.name, options.runs);
  if (records.length === 0)
    throw await whyNoLog(ctx, options.name, connection.connector, connection.settings);

  if (ctx.out.json) {
    ctx.out.document(records);
    return;
  }
  const { renderEvent } = await import('../trace/render.js');
  const p = ctx.out.paint;
  const blocks = records.map((record) => {
    const mark = record.outcome.ok ? p.green('✓ passed') : p.red('✗ failed');
    const head = `${p.bold(record.connection)}  ${mark}  ${record.startedAt}  (${record.durationMs} ms)`;
    const lines = [head, `  ${record.outcome.summary}`];
    if (record.outcome.failure) lines.push(`  ${p.dim('hint:')} ${record.outcome.failure.hint}`);
    const trace = record.trace.map((event: Parameters<typeof renderEvent>[0]) =>
      renderEvent(event, p),
    );
    if (trace.length > 0) lines.push('', ...trace);
    else lines.push(p.dim('  (this test recorded no trace events)'));
    return lines.join('\n');
  });
  ctx.out.data(blocks.join('\n\n'));
}

async function whyNoLog(
  ctx: AppContext,
  name: string,
  connectorId: string,
  settings: Record<string, unknown>,
): Promise<OperationError> {
  const connector = (await ctx.catalog()).require(connectorId);
  if (!hasAdapter(connector.adapter)) {
    return new OperationError(
      `no run log for '${name}': ${connector.id} connections cannot be tested yet, so they record no log`,
      undefined,
      'no-log',
    );
  }
  const adapter = await loadAdapter(connector.adapter);
  const testability = adapter.testability(withDefaults(connector, settings as never), connector);
  if (!testability.testable) {
    return new OperationError(
      `no run log for '${name}': it cannot be tested (${testability.reason})`,
      `set ${testability.fields.join(', ')} with \`conn edit ${name} --set ...\`, then \`conn test ${name}\``,
      'no-log',
    );
  }
  return new OperationError(
    `no run log for '${name}': it has never been tested`,
    `run \`conn test ${name}\``,
    'no-log',
  );
}
