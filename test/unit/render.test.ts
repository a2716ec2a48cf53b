import { describe, expect, test } from '@jest/globals';
import type { TraceEvent } from '../../src/trace/events.js';
import { createRedactor } from '../../src/trace/redact.js';
import {
  formatMs,
  renderEvent,
  renderTrace,
  type TraceColors,
} from '../../src/trace/render.js';
import { createTraceSink } from '../../src/trace/sink.js';

const CANARY = 'canary-7f3a9c2e-S3CRET';

const request: TraceEvent = {
  type: 'request',
  at: 0,
  method: 'POST',
  url: 'https://api.test/v1/token',
  headers: [
    ['Content-Type', 'application/json'],
    ['Authorization', 'Bearer [REDACTED]'],
  ],
  body: '{"grant_type":"client_credentials"}',
};

const response: TraceEvent = {
  type: 'response',
  at: 31,
  status: 401,
  statusText: 'Unauthorized',
  httpVersion: '1.1',
  headers: [['Content-Type', 'text/plain']],
  body: 'no\r\nway',
  bodyCut: 120,
  bodySize: 128,
};

describe('renderEvent', () => {
  test('a request like curl -v', () => {
    expect(renderEvent(request)).toBe(
      [
        '> POST https://api.test/v1/token HTTP/1.1',
        '> Content-Type: application/json',
        '> Authorization: Bearer [REDACTED]',
        '',
        '{"grant_type":"client_credentials"}',
      ].join('\n'),
    );
  });

  test('a response with a cut body', () => {
    expect(renderEvent(response)).toBe(
      [
        '< HTTP/1.1 401 Unauthorized',
        '< Content-Type: text/plain',
        '',
        'no',
        'way',
        '(… 120 bytes of 128 cut)',
      ].join('\n'),
    );
  });

  test('steps, timings, notes and errors', () => {
    const events: TraceEvent[] = [
      {
        type: 'step',
        at: 1,
        name: 'tls',
        detail: 'TLSv1.3',
        durationMs: 12.04,
        data: { cipher: 'AES' },
      },
      { type: 'step', at: 2, name: 'connect' },
      {
        type: 'timing',
        at: 3,
        phases: { total: 31.4, dns: 1, tls: 5, connect: 2, firstByte: 30 },
      },
      { type: 'note', at: 4, level: 'info', message: 'redirected' },
      { type: 'note', at: 5, level: 'warn', message: 'self-signed' },
      { type: 'error', at: 6, message: 'refused', code: 'ECONNREFUSED' },
    ];
    expect(renderTrace(events)).toBe(
      [
        '* tls TLSv1.3 (12 ms)',
        '*   cipher: AES',
        '* connect',
        'timings: dns 1 ms, connect 2 ms, tls 5 ms, first byte 30 ms, ' +
          'total 31 ms',
        '! redirected',
        '! warning: self-signed',
        '! error: refused (ECONNREFUSED)',
      ].join('\n'),
    );
  });

  test('escape sequences from a server cannot reach the terminal', () => {
    const out = renderEvent({
      type: 'response',
      at: 0,
      status: 200,
      headers: [['X-Evil', 'a\u001b[2Jb\nc']],
      body: 'x\u001b]0;title\u0007y\u202e',
    });
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
    expect(out).toContain('a\\u001b[2Jb\\nc');
  });

  test('colours come from the given functions; true means ANSI', () => {
    const tag = (name: string) => (text: string) => `<${name}>${text}`;
    const colors: TraceColors = {
      dim: tag('dim'),
      red: tag('red'),
      green: tag('green'),
      yellow: tag('yellow'),
      bold: tag('bold'),
    };
    expect(renderEvent(response, colors).split('\n')[0]).toBe(
      '<red>< HTTP/1.1 401 Unauthorized',
    );
    expect(renderEvent(request, true)).toContain('\u001b[1m');
    expect(renderEvent(request, false)).not.toContain('\u001b');
  });

  test('timestamps on request', () => {
    const out = renderEvent(response, false, { timestamps: true });
    expect(out.split('\n')[0]).toBe('[    31 ms] < HTTP/1.1 401 Unauthorized');
  });

  test('formatMs keeps a tenth below 10 ms', () => {
    expect([formatMs(0.44), formatMs(9.96), formatMs(12.5)]).toEqual([
      '0.4 ms',
      '10 ms',
      '13 ms',
    ]);
  });
});

describe('the canary', () => {
  test('never reaches rendered output', () => {
    const sink = createTraceSink({
      redactor: createRedactor({ secrets: [CANARY], pairs: [['u', CANARY]] }),
    });
    sink.emit({
      type: 'request',
      method: 'GET',
      url: `https://u:${CANARY}@h/?api_key=${CANARY}`,
      headers: [['Authorization', `Basic ${btoa(`u:${CANARY}`)}`]],
      body: JSON.stringify({ password: CANARY }),
    });
    sink.emit({ type: 'error', message: `echo ${CANARY}` });
    const out = renderTrace(sink.events(), true);
    expect(out).not.toContain(CANARY);
    expect(out).not.toContain(btoa(CANARY));
  });
});
