import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedactor } from '../../src/trace/redact.js';
import {
  appendRunRecord,
  appendRunRecords,
  readRunRecords,
  removeRunLog,
  renameRunLog,
  runLogFile,
  type RunRecord,
} from '../../src/trace/runlog.js';
import { createTraceSink } from '../../src/trace/sink.js';

const CANARY = 'canary-7f3a9c2e-S3CRET';

let home: string;
let dir: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'conn-runlog-'));
  dir = join(home, 'state', 'runs');
});

afterEach(() => rmSync(home, { recursive: true, force: true }));

function record(connection: string, n: number): RunRecord {
  return {
    version: 1,
    connection,
    connector: 'http',
    startedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
    durationMs: n,
    outcome: { ok: n % 2 === 0, summary: `run ${n}` },
    trace: [{ type: 'note', at: 0, level: 'info', message: `run ${n}` }],
  };
}

const summaries = (records: RunRecord[]) =>
  records.map((r) => r.outcome.summary);

describe('the run log', () => {
  test('keeps the newest runs, oldest first, in private files', async () => {
    for (let n = 1; n <= 5; n++) await appendRunRecord(dir, record('api', n), 3);

    expect(summaries(await readRunRecords(dir, 'api', 10))).toEqual([
      'run 3',
      'run 4',
      'run 5',
    ]);
    expect(summaries(await readRunRecords(dir, 'api'))).toEqual(['run 5']);
    expect(statSync(runLogFile(dir, 'api')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toEqual(['api.jsonl']);
  });

  test('a connection with no log reads as empty', async () => {
    expect(await readRunRecords(dir, 'never', 5)).toEqual([]);
  });

  test('a torn or foreign line is skipped', async () => {
    await appendRunRecord(dir, record('api', 1));
    const file = runLogFile(dir, 'api');
    appendFileSync(file, '{"version":1,"connection":"api","tr');
    appendFileSync(file, `\n${JSON.stringify(record('other', 9))}\n`);
    await appendRunRecord(dir, record('api', 2));

    expect(summaries(await readRunRecords(dir, 'api', 5))).toEqual([
      'run 1',
      'run 2',
    ]);
  });

  test('names that are not connection names never become paths', () => {
    for (const name of ['..', '.', '../x', 'a/b', '', 'x'.repeat(65), 'a b']) {
      expect(() => runLogFile(dir, name)).toThrow('cannot be a connection name');
    }
  });

  test('names differing in case get different files', async () => {
    await appendRunRecord(dir, record('Api', 1));
    await appendRunRecord(dir, record('api', 2));
    expect(summaries(await readRunRecords(dir, 'Api'))).toEqual(['run 1']);
    expect(summaries(await readRunRecords(dir, 'api'))).toEqual(['run 2']);
    expect(readdirSync(dir).sort()).toEqual(['+api.jsonl', 'api.jsonl']);
  });

  test('remove and rename', async () => {
    await appendRunRecord(dir, record('old', 1));
    await appendRunRecord(dir, record('stale', 7));
    await renameRunLog(dir, 'old', 'stale');

    expect(await readRunRecords(dir, 'old')).toEqual([]);
    const moved = await readRunRecords(dir, 'stale', 5);
    expect(moved.map((r) => [r.connection, r.outcome.summary])).toEqual([
      ['stale', 'run 1'],
    ]);

    await removeRunLog(dir, 'stale');
    await removeRunLog(dir, 'never-there');
    expect(readdirSync(dir)).toEqual([]);
  });

  test('rename and remove without a run log folder do nothing', async () => {
    await renameRunLog(dir, 'a', 'b');
    await removeRunLog(dir, 'a');
    expect(() => statSync(dir)).toThrow();
  });

  test('concurrent appends lose nothing', async () => {
    await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        appendRunRecord(dir, record('busy', n)),
      ),
    );
    expect(await readRunRecords(dir, 'busy', 20)).toHaveLength(10);
  });

  // Each file costs two fsyncs (store/atomic.ts); 200 keep this test short.
  test('a batch writes one file per connection', async () => {
    const records = Array.from({ length: 200 }, (_, n) =>
      record(`conn-${n % 100}`, n),
    );
    await appendRunRecords(dir, records, 20);
    expect(readdirSync(dir)).toHaveLength(100);
    expect(summaries(await readRunRecords(dir, 'conn-42', 5))).toEqual([
      'run 42',
      'run 142',
    ]);
  });

  test('refuses a keep count below one', async () => {
    await expect(appendRunRecord(dir, record('a', 1), 0)).rejects.toThrow(
      RangeError,
    );
  });

  test('the canary never reaches the file', async () => {
    const sink = createTraceSink({
      redactor: createRedactor({ secrets: [CANARY] }),
    });
    sink.emit({
      type: 'request',
      method: 'GET',
      url: `https://h/?token=${encodeURIComponent(CANARY)}`,
      headers: [['X-Key', CANARY]],
      body: `{"echo":"${CANARY}"}`,
    });
    await appendRunRecord(dir, { ...record('api', 1), trace: sink.events() });
    const content = readFileSync(runLogFile(dir, 'api'), 'utf8');
    expect(content).not.toContain(CANARY);
    expect(content).toContain('[REDACTED]');
  });
});
