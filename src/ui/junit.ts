// Test results as JUnit XML, the report format CI systems read
// (`conn test --all --reporter junit --output report.xml`). Each connection
// is a testcase; a failed test carries its failure class as the type, the
// summary as the message, and the hint plus the rendered trace as the body
// so the CI page shows what happened on the wire. Traces arrive redacted.

import type { TraceEvent } from '../trace/events.js';
import { renderTrace } from '../trace/render.js';

export interface JunitResult {
  name: string;
  connector: string;
  ok: boolean;
  summary: string;
  durationMs: number;
  failure?: { class: string; hint: string };
  /** Why the connection was not tested; reported as skipped. */
  skipped?: string;
  trace?: TraceEvent[];
}

export function renderJunit(
  results: readonly JunitResult[],
  suiteName = 'conn test',
): string {
  const failures = results.filter((r) => !r.ok && r.skipped === undefined);
  const skipped = results.filter((r) => r.skipped !== undefined);
  const counts = {
    tests: results.length,
    failures: failures.length,
    errors: 0,
    skipped: skipped.length,
    time: seconds(results.reduce((sum, r) => sum + validMs(r.durationMs), 0)),
  };
  const suite = {
    name: suiteName,
    ...counts,
    timestamp: new Date().toISOString().replace(/\.\d+Z$/, ''),
  };
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: suiteName, ...counts })}>`,
    `  <testsuite${attributes(suite)}>`,
    ...results.map(renderTestcase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function renderTestcase(result: JunitResult): string {
  const head = `    <testcase${attributes({
    name: result.name,
    classname: result.connector,
    time: seconds(validMs(result.durationMs)),
  })}`;
  const trace = result.trace?.length ? renderTrace(result.trace, false) : '';
  const body: string[] = [];

  if (result.skipped !== undefined) {
    body.push(`      <skipped${attributes({ message: result.skipped })}/>`);
  } else if (!result.ok) {
    const failure = result.failure ?? { class: 'unknown', hint: '' };
    const text = [failure.hint, trace].filter(Boolean).join('\n\n');
    const open = `      <failure${attributes({
      message: result.summary,
      type: failure.class,
    })}>`;
    body.push(`${open}${escapeText(text)}</failure>`);
  } else if (trace) {
    body.push(`      <system-out>${escapeText(trace)}</system-out>`);
  }

  if (body.length === 0) return `${head}/>`;
  return [`${head}>`, ...body, '    </testcase>'].join('\n');
}

function validMs(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${escapeAttribute(String(value))}"`)
    .join('');
}

// Characters XML 1.0 cannot hold at all, not even as &#...; references: C0
// controls other than tab, LF and CR, lone surrogates, U+FFFE and U+FFFF.
// They are written as visible \uXXXX text instead.
const NOT_XML = new RegExp(
  [
    '[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\ufffe\\uffff]',
    '[\\ud800-\\udbff](?![\\udc00-\\udfff])',
    '(?<![\\ud800-\\udbff])[\\udc00-\\udfff]',
  ].join('|'),
  'g',
);

function visible(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

export function escapeText(text: string): string {
  return text
    .replace(NOT_XML, visible)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#13;');
}

/** Attribute values also keep their line breaks and tabs, as references. */
export function escapeAttribute(text: string): string {
  return escapeText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\t/g, '&#9;');
}
