import { describe, expect, test } from '@jest/globals';
import { createRedactor } from '../../src/trace/redact.js';
import { createTraceSink } from '../../src/trace/sink.js';
import { escapeAttribute, escapeText, renderJunit } from '../../src/ui/junit.js';

const CANARY = 'canary-7f3a9c2e-S3CRET';

describe('renderJunit', () => {
  const xml = renderJunit([
    { name: 'api', connector: 'http', ok: true, summary: '200 OK', durationMs: 1234 },
    {
      name: 'db',
      connector: 'postgres',
      ok: false,
      summary: 'password authentication failed for "app" <x> & y',
      durationMs: 50,
      failure: { class: 'credentials', hint: 'check the password' },
      trace: [{ type: 'error', at: 3, message: 'auth failed', code: '28P01' }],
    },
    {
      name: 'ftp',
      connector: 'ftp',
      ok: true,
      summary: 'not testable',
      durationMs: 0,
      skipped: 'host is not set',
    },
  ]);

  test('has the suite counts and per-case times in seconds', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(xml).toMatch(
      /<testsuites name="conn test" tests="3" failures="1" errors="0" skipped="1" time="1.284">/,
    );
    expect(xml).toContain(
      '<testcase name="api" classname="http" time="1.234"/>',
    );
    expect(xml).toContain('<skipped message="host is not set"/>');
  });

  test('a failure carries class, escaped summary, hint and trace', () => {
    expect(xml).toContain(
      '<failure message="password authentication failed for &quot;app&quot;' +
        ' &lt;x&gt; &amp; y" type="credentials">check the password\n\n' +
        '! error: auth failed (28P01)</failure>',
    );
  });

  test('the XML is well formed enough: tags balance', () => {
    const opened = xml.match(/<(testsuites|testsuite|testcase|failure)[\s>]/g);
    const closed = xml.match(/<\/(testsuites|testsuite|testcase|failure)>/g);
    const selfClosed = xml.match(/<testcase [^>]*\/>/g);
    expect(opened!.length).toBe(closed!.length + selfClosed!.length);
  });

  test('characters XML 1.0 cannot hold are made visible', () => {
    const text = 'a\u0000b\u001bc\ud800d\uffffe\u{1f600}\tf\ng';
    expect(escapeText(text)).toBe(
      'a\\u0000b\\u001bc\\ud800d\\uffffe\u{1f600}\tf\ng',
    );
    expect(escapeAttribute(`"'<>&\n\t`)).toBe(
      '&quot;&apos;&lt;&gt;&amp;&#10;&#9;',
    );
    expect(escapeText(']]>')).toBe(']]&gt;');
  });

  test('a passing test with a trace puts it in system-out', () => {
    const out = renderJunit([
      {
        name: 'x',
        connector: 'http',
        ok: true,
        summary: 'ok',
        durationMs: Number.NaN,
        trace: [{ type: 'note', at: 0, level: 'info', message: 'a<b' }],
      },
    ], 'nightly');
    expect(out).toContain('<system-out>! a&lt;b</system-out>');
    expect(out).toContain('time="0.000"');
    expect(out).toContain('<testsuite name="nightly"');
  });

  test('the canary never reaches the report', () => {
    const sink = createTraceSink({
      redactor: createRedactor({ secrets: [CANARY] }),
    });
    sink.emit({
      type: 'response',
      status: 401,
      headers: [['Set-Cookie', `sid=${CANARY}`]],
      body: `{"message":"bad key ${CANARY}"}`,
    });
    const out = renderJunit([
      {
        name: 'api',
        connector: 'http',
        ok: false,
        summary: '401',
        durationMs: 5,
        failure: { class: 'credentials', hint: 'check the key' },
        trace: sink.events(),
      },
    ]);
    expect(out).not.toContain(CANARY);
    expect(out).toContain('[REDACTED]');
  });
});
