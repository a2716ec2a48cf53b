import { describe, expect, test } from '@jest/globals';
import type { TraceEvent } from '../../src/trace/events.js';
import { createRedactor, REDACTED } from '../../src/trace/redact.js';
import { createTraceSink } from '../../src/trace/sink.js';

const CANARY = 'canary-7f3a9c2e-S3CRET';

describe('the trace sink', () => {
  test('stamps, redacts, keeps and passes on each event in order', () => {
    let clock = 100;
    const heard: TraceEvent[] = [];
    const sink = createTraceSink({
      redactor: createRedactor({ secrets: [CANARY] }),
      startedAt: 100,
      now: () => clock,
      listeners: [(event) => heard.push(event)],
    });

    clock = 112.345;
    sink.emit({ type: 'error', message: `bad ${CANARY}` });
    clock = 130;
    sink.emit({ type: 'note', level: 'info', message: 'done' });

    expect(sink.events()).toEqual([
      { type: 'error', at: 12.3, message: `bad ${REDACTED}` },
      { type: 'note', at: 30, level: 'info', message: 'done' },
    ]);
    expect(heard).toEqual(sink.events());
  });

  test('a listener never sees what the redactor has not seen', () => {
    const seen: string[] = [];
    const sink = createTraceSink({
      redactor: createRedactor({ secrets: [CANARY] }),
      listeners: [(event) => seen.push(JSON.stringify(event))],
    });
    sink.emit({
      type: 'request',
      method: 'GET',
      url: `https://h/?x=${CANARY}`,
      headers: [['Authorization', `Bearer ${CANARY}`]],
    });
    expect(seen.join('')).not.toContain(CANARY);
  });

  test('secrets learned during the test are hidden from then on', () => {
    const sink = createTraceSink({ redactor: createRedactor({ secrets: [] }) });
    sink.addSecrets({ secrets: ['fresh-access-token'] });
    sink.emit({ type: 'note', level: 'info', message: 'fresh-access-token' });
    expect(sink.events()[0]).toMatchObject({ message: REDACTED });
  });

  test('events() is a copy', () => {
    const sink = createTraceSink({ redactor: createRedactor({ secrets: [] }) });
    sink.events().push({ type: 'error', at: 0, message: 'x' });
    expect(sink.events()).toEqual([]);
  });
});
