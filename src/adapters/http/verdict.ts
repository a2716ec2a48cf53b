// Judges the final response of the test request: failWhen first (it can
// fail even a 2xx), then okWhen, else any 2xx passes. A failing status gets
// its class (401 credentials, 429 rate limited, ...), a 2xx that breaks a
// rule the class `rule`. The summary carries the status and the API's own
// error message.

import type { TestOutcome } from '../types.js';
import { failure, statusClass } from './classify.js';
import { firstHeader, type Exchange } from './client.js';
import { compilePath, readPath, type CompiledPath } from './jsonpath.js';
import type { TestRequestResult } from './request.js';
import { evaluateRules, preview, type RuleInput } from './rules.js';
import type { TestRequestConfig } from './settings.js';

// Where APIs commonly put their message, tried when errorPath is not set.
const COMMON_ERROR_PATHS = [
  '$.error_description',
  '$.error.message',
  '$.message',
  '$.error',
  '$.detail',
  '$.title',
  '$.errors[0].message',
].map(compilePath);

export function judge(result: TestRequestResult, test: TestRequestConfig): TestOutcome {
  const { exchange } = result;
  const details = detailsOf(result);
  const line = statusLine(exchange);
  if (result.redirectStop) {
    return fail('redirect-loop', `${line}: ${result.redirectStop}`, details);
  }
  if (exchange.body.tooLarge) {
    const size = `more than ${exchange.body.data.length} bytes`;
    return fail('too-large', `${line}: response body is ${size} (maxResponseBytes)`, details);
  }
  return judgeRules(exchange, test, line, details);
}

function judgeRules(
  exchange: Exchange,
  test: TestRequestConfig,
  line: string,
  details: TestOutcome['details'],
): TestOutcome {
  const input = ruleInput(exchange);
  const message = () => apiMessage(exchange, test.errorPath, input);
  const statusKind = statusClass(exchange.status);
  if (test.failWhen) {
    const verdict = evaluateRules(test.failWhen, input);
    if (verdict.holds) {
      const summary = `${line}: failWhen met: ${verdict.because}${message()}`;
      return fail(statusKind ?? 'rule', summary, details);
    }
  }
  if (test.okWhen) {
    const verdict = evaluateRules(test.okWhen, input);
    if (verdict.holds) {
      return { ok: true, summary: `${line} (okWhen: ${verdict.because})`, details };
    }
    const summary = `${line}: okWhen not met: ${verdict.because}${message()}`;
    return fail(statusKind ?? 'rule', summary, details);
  }
  if (!statusKind) return { ok: true, summary: line, details };
  return fail(statusKind, `${line}${message()}`, details);
}

function fail(
  kind: Parameters<typeof failure>[0],
  summary: string,
  details: TestOutcome['details'],
): TestOutcome {
  return { ok: false, summary, failure: failure(kind), details };
}

function statusLine(exchange: Exchange): string {
  const line = `${exchange.status} ${exchange.statusText}`.trim();
  const retryAfter = firstHeader(exchange.headers, 'retry-after');
  return retryAfter ? `${line} (Retry-After: ${retryAfter})` : line;
}

function ruleInput(exchange: Exchange): RuleInput {
  let parsed: { ok: true; value: unknown } | { ok: false } | undefined;
  return {
    status: exchange.status,
    json() {
      parsed ??= parseJson(exchange.body.data);
      return parsed;
    },
  };
}

function parseJson(data: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(data.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

/** `: <the API's message>`, or nothing when none is found. */
function apiMessage(
  exchange: Exchange,
  errorPath: CompiledPath | undefined,
  input: RuleInput,
): string {
  const body = input.json();
  if (body.ok) {
    const paths = errorPath ? [errorPath] : COMMON_ERROR_PATHS;
    for (const path of paths) {
      const found = readPath(body.value, path);
      if (!found.found || found.value === null || found.value === '') continue;
      const text = typeof found.value === 'string' ? found.value : preview(found.value);
      return `: ${shorten(text)}`;
    }
    return '';
  }
  const type = firstHeader(exchange.headers, 'content-type') ?? '';
  const text = exchange.body.data.subarray(0, 400).toString('utf8').trim();
  if (/^text\/plain/i.test(type) && text) return `: ${shorten(text.split('\n')[0])}`;
  return '';
}

function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function detailsOf(result: TestRequestResult): TestOutcome['details'] {
  const { exchange } = result;
  return {
    status: exchange.status,
    statusText: exchange.statusText,
    method: exchange.request.method,
    url: exchange.request.url.href,
    redirects: result.redirects,
    bodyBytes: exchange.body.decodedBytes,
    retryAfter: firstHeader(exchange.headers, 'retry-after') ?? null,
    contentType: firstHeader(exchange.headers, 'content-type') ?? null,
  };
}
