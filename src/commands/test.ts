// `conn test <name...>` / `--all`: prove connections still authenticate.
// Secrets are read only for the connections being tested; every trace event
// is redacted before it is printed, logged or reported.

import { accessSync, constants, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AppContext } from '../context.js';
import { EnvironmentError, ExitCode, UsageError } from '../errors.js';
import { withDefaults } from '../connectors/fields.js';
import type { ConnectorDefinition } from '../connectors/types.js';
import { hasAdapter, loadAdapter } from '../adapters/index.js';
import { prepareTest, runTest, type TestRun } from '../adapters/run.js';
import type { Connection } from '../store/registry.js';
import { saveForeignStatuses } from '../store/registry.js';
import { recordStatuses } from '../store/mutations.js';
import type { ConnectionStatus } from '../store/connections.js';
import type { SecretStore } from '../store/secrets/types.js';
import { resolveConnectionSecrets } from '../store/connection-secrets.js';
import type { TraceEvent } from '../trace/events.js';
import { startProgress, type Progress } from '../ui/progress.js';

export interface TestOptions {
  names: string[];
  all: boolean;
  verbose: boolean;
  concurrency: number;
  timeout?: number;
  maxBody: number;
  reporter?: 'junit';
  output?: string;
}

export interface TestResult {
  name: string;
  connector: string;
  ok: boolean;
  /** false when the connection lacks what a test needs. */
  tested: boolean;
  summary: string;
  failure?: { class: string; hint: string };
  details?: Record<string, unknown>;
  durationMs: number;
  startedAt?: string;
  trace: TraceEvent[];
  /** Secret fields the test obtained and stored (OAuth tokens). */
  savedSecrets?: string[];
}

interface Job {
  connection: Connection;
  connector: ConnectorDefinition;
}

export async function test(ctx: AppContext, options: TestOptions): Promise<number> {
  if (options.reporter && !options.output) {
    throw new UsageError(
      '--reporter junit needs --output <file>',
      'example: --reporter junit --output conn-junit.xml',
      'missing-output',
    );
  }
  if (options.output) checkWritable(options.output);
  const jobs = await selectJobs(ctx, options);
  if (jobs.length === 0 && !ctx.out.json) ctx.out.info('No connections to test. `conn create` adds one.');
  const progress = startProgress(
    progressText(0, jobs.length, 0),
    ctx.out.stderrIsTTY && !ctx.out.json && !options.verbose && !ctx.options.quiet,
  );
  let results: TestResult[];
  try {
    results = await runJobs(ctx, jobs, options, progress);
  } finally {
    progress.stop();
  }
  await persist(ctx, jobs, results);
  report(ctx, results, options);
  if (options.reporter === 'junit') await writeJunit(options.output!, results);
  const explicitUntestable = !options.all && results.some((r) => !r.tested);
  if (results.some((r) => r.tested && !r.ok)) return ExitCode.failed;
  return explicitUntestable ? ExitCode.usage : ExitCode.ok;
}

/** Used by create and edit: test on save when the adapter can. */
export async function testAfterSave(
  ctx: AppContext,
  name: string,
  wanted: boolean,
): Promise<{ exitCode: number; result?: TestResult }> {
  const connection = await ctx.connection(name);
  const connector = (await ctx.catalog()).require(connection.connector);
  if (!wanted || !hasAdapter(connector.adapter)) return { exitCode: ExitCode.ok };
  const adapter = await loadAdapter(connector.adapter);
  const settings = withDefaults(connector, connection.settings);
  if (!adapter.testability(settings, connector).testable) return { exitCode: ExitCode.ok };
  const options: TestOptions = {
    names: [name],
    all: false,
    verbose: false,
    concurrency: 1,
    maxBody: 4096,
  };
  const progress = startProgress(
    `testing ${name}`,
    ctx.out.stderrIsTTY && !ctx.out.json && !ctx.options.quiet,
  );
  let results: TestResult[];
  try {
    results = await runJobs(ctx, [{ connection, connector }], options, progress);
  } finally {
    progress.stop();
  }
  await persist(ctx, [{ connection, connector }], results);
  const [result] = results;
  if (!ctx.out.json) {
    if (result.ok) ctx.out.info(`Tested: online (${result.summary}).`);
    else
      ctx.out.error(
        `saved, but the test failed: ${result.summary}`,
        `${result.failure?.hint ?? ''} \`conn log ${name}\` shows the trace; \`conn edit ${name}\` fixes it`.trim(),
      );
  }
  return { exitCode: result.ok ? ExitCode.ok : ExitCode.failed, result };
}

async function selectJobs(ctx: AppContext, options: TestOptions): Promise<Job[]> {
  if (!options.all && options.names.length === 0) {
    throw new UsageError(
      'name the connections to test, or use --all',
      'example: conn test api  (`conn list` shows the names)',
      'missing-names',
    );
  }
  const all = await ctx.connections();
  const catalog = await ctx.catalog();
  let chosen = all;
  if (!options.all) {
    const unknown = options.names.filter((n) => !all.some((c) => c.name === n));
    if (unknown.length > 0) {
      if (unknown.length === 1) await ctx.connection(unknown[0]);
      throw new UsageError(
        `no connections named ${unknown.map((n) => `'${n}'`).join(', ')}`,
        '`conn list` shows the names',
        'unknown-connection',
      );
    }
    chosen = [...new Set(options.names)].map((n) => all.find((c) => c.name === n)!);
  }
  return chosen.map((connection) => ({
    connection,
    connector: catalog.require(connection.connector),
  }));
}

async function runJobs(
  ctx: AppContext,
  jobs: Job[],
  options: TestOptions,
  progress: Progress,
): Promise<TestResult[]> {
  const results: TestResult[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  let failed = 0;
  const store = lazyStore(ctx);
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await runJob(ctx, jobs[index], options, store, jobs.length > 1);
      done++;
      if (results[index].tested && !results[index].ok) failed++;
      progress.update(progressText(done, jobs.length, failed));
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, jobs.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

async function runJob(
  ctx: AppContext,
  job: Job,
  options: TestOptions,
  store: () => Promise<SecretStore>,
  many: boolean,
): Promise<TestResult> {
  const { connection, connector } = job;
  const base = { name: connection.name, connector: connector.id, trace: [] as TraceEvent[] };
  if (!hasAdapter(connector.adapter)) {
    return {
      ...base,
      ok: false,
      tested: false,
      summary: `the ${connector.id} connector cannot be tested yet`,
      durationMs: 0,
    };
  }
  const adapter = await loadAdapter(connector.adapter);
  const settings = withDefaults(connector, connection.settings);
  const testability = adapter.testability(settings, connector);
  if (!testability.testable) {
    const fields = testability.fields.map((f) => `--set ${f}=...`).join(' ');
    return {
      ...base,
      ok: false,
      tested: false,
      summary: `cannot be tested: ${testability.reason} (conn edit ${connection.name} ${fields})`,
      durationMs: 0,
    };
  }
  prepareTest(adapter);
  const { settings: resolved, secrets } = await resolveConnectionSecrets(
    ctx.paths,
    ctx.env,
    connection,
    connector,
    settings,
    store,
  );
  const prefix = many ? `[${connection.name}] ` : '';
  const render = options.verbose ? await verboseRenderer(ctx, prefix) : warningsOnly(ctx, prefix);
  const saved = new Set<string>();
  const run = await runTest({
    name: connection.name,
    connector,
    settings: resolved,
    secrets,
    timeoutMs: timeoutMs(options, settings),
    maxBodyBytes: options.maxBody,
    onEvent: render,
    saveSecret: async (field, value) => {
      await (await store()).set(connection.name, field, value);
      saved.add(field);
    },
  });
  return { ...fromRun(run), savedSecrets: [...saved] };
}

function fromRun(run: TestRun): TestResult {
  return {
    name: run.name,
    connector: run.connector,
    ok: run.outcome.ok,
    tested: true,
    summary: run.outcome.summary,
    failure: run.outcome.failure,
    details: run.outcome.details,
    durationMs: run.durationMs,
    startedAt: run.startedAt,
    trace: run.trace,
  };
}

function lazyStore(ctx: AppContext): () => Promise<SecretStore> {
  return async () => (await ctx.secretStore()).store;
}

/** Without --verbose, warnings in the trace (insecure TLS) still reach stderr. */
function warningsOnly(ctx: AppContext, prefix: string): (e: TraceEvent) => void {
  return (event) => {
    if (event.type === 'note' && event.level === 'warn') ctx.out.warn(`${prefix}${event.message}`);
  };
}

async function verboseRenderer(ctx: AppContext, prefix: string): Promise<(e: TraceEvent) => void> {
  const { renderEvent } = await import('../trace/render.js');
  const paint = ctx.out.errPaint;
  return (event) => {
    const text = renderEvent(event, paint);
    ctx.out.progress(
      text
        .split('\n')
        .map((line) => prefix + line)
        .join('\n'),
    );
  };
}

async function persist(ctx: AppContext, jobs: Job[], results: TestResult[]): Promise<void> {
  const { appendRunRecords } = await import('../trace/runlog.js');
  const userStatuses: Array<{ name: string; status: ConnectionStatus; savedSecrets?: string[] }> =
    [];
  const foreign: Array<{ connection: Connection; status: ConnectionStatus }> = [];
  const records = [];
  for (const [index, result] of results.entries()) {
    if (!result.tested) continue;
    const { connection } = jobs[index];
    const status = statusOf(result);
    if (connection.source === 'user')
      userStatuses.push({ name: result.name, status, savedSecrets: result.savedSecrets });
    else foreign.push({ connection, status });
    records.push({
      version: 1 as const,
      connection: result.name,
      connector: result.connector,
      startedAt: result.startedAt!,
      durationMs: result.durationMs,
      outcome: {
        ok: result.ok,
        summary: result.summary,
        failure: result.failure as never,
        details: result.details as never,
      },
      trace: result.trace,
    });
  }
  await appendRunRecords(ctx.paths.runLogDir, records, runLogKeep(ctx));
  await recordStatuses(ctx.paths, userStatuses);
  await saveForeignStatuses(ctx.paths, foreign);
}

/** --timeout, else the connection's own timeout setting, else 30 s. */
function timeoutMs(options: TestOptions, settings: Record<string, unknown>): number {
  const own = Number(settings.timeout);
  const seconds = options.timeout ?? (Number.isFinite(own) && own > 0 ? own : 30);
  return seconds * 1000;
}

function runLogKeep(ctx: AppContext): number {
  const keep = Number(ctx.env.CONN_LOG_KEEP);
  return Number.isInteger(keep) && keep > 0 ? keep : 20;
}

function statusOf(result: TestResult): ConnectionStatus {
  return {
    state: result.ok ? 'online' : 'offline',
    at: result.startedAt,
    message: result.summary,
    failureClass: result.failure?.class,
    durationMs: result.durationMs,
  };
}

function report(ctx: AppContext, results: TestResult[], options: TestOptions): void {
  if (ctx.out.json) {
    ctx.out.document(results);
    return;
  }
  const p = ctx.out.paint;
  for (const r of results) {
    const mark = !r.tested ? p.yellow('-') : r.ok ? p.green('✓') : p.red('✗');
    const time = r.tested ? p.dim(` (${r.durationMs} ms)`) : '';
    ctx.out.data(`${mark} ${p.bold(r.name)}  ${r.summary}${time}`);
    if (r.tested && !r.ok && r.failure) {
      ctx.out.data(`    ${p.dim('hint:')} ${r.failure.hint}`);
      if (!options.verbose) ctx.out.data(`    ${p.dim('trace:')} conn log ${r.name}`);
    }
  }
  if (results.length > 1) {
    const passed = results.filter((r) => r.tested && r.ok).length;
    const failed = results.filter((r) => r.tested && !r.ok).length;
    const skipped = results.filter((r) => !r.tested).length;
    ctx.out.data(
      p.dim(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} not testable` : ''}`),
    );
  }
}

async function writeJunit(file: string, results: TestResult[]): Promise<void> {
  const { renderJunit } = await import('../ui/junit.js');
  const xml = renderJunit(results.map((r) => (r.tested ? r : { ...r, skipped: r.summary })));
  try {
    writeFileSync(file, xml);
  } catch (error) {
    throw reportUnwritable(file, error);
  }
}

/** Before any test runs: a report that cannot be written fails now, not after. */
function checkWritable(file: string): void {
  try {
    accessSync(dirname(resolve(file)), constants.W_OK);
  } catch (error) {
    throw reportUnwritable(file, error);
  }
}

function reportUnwritable(file: string, error: unknown): EnvironmentError {
  return new EnvironmentError(
    `cannot write the report ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    'check that its folder exists and is writable',
    'report-unwritable',
  );
}

function progressText(done: number, total: number, failed: number): string {
  if (total === 1) return 'testing…';
  return `tested ${done}/${total}${failed ? ` (${failed} failed)` : ''}`;
}
