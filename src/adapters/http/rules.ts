// Success rules for the test request, named by what they mean: `okWhen` says
// when the test passes, `failWhen` when it fails even on a 2xx. A rule is a
// JSON object whose conditions must all hold; a list of rules holds when any
// of them does. Example:
//   {"status": [200], "json": {"path": "$.ok", "equals": [true]}}
//   [{"json": {"path": "$.status", "equals": ["error", "denied"]}},
//    {"json": {"path": "$.errors", "exists": true}}]

import { compilePath, readPath, type CompiledPath } from './jsonpath.js';

type StatusMatcher = { exact: number } | { hundreds: number };

interface JsonCondition {
  path: CompiledPath;
  equals?: unknown[];
  exists?: boolean;
}

export interface Rule {
  status?: { matchers: StatusMatcher[]; text: string };
  json: JsonCondition[];
}

/** What a rule needs from the response; the body is parsed only if asked. */
export interface RuleInput {
  status: number;
  json(): { ok: true; value: unknown } | { ok: false };
}

export interface RuleVerdict {
  holds: boolean;
  /** The facts that decided it, e.g. `$.ok = false (expected true)`. */
  because: string;
}

const RULE_KEYS = new Set(['status', 'json']);
const CONDITION_KEYS = new Set(['path', 'equals', 'exists']);

/** Checks and compiles `okWhen`/`failWhen`; throws an Error naming `field`. */
export function compileRules(value: unknown, field: string): Rule[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw ruleError(field, 'the list is empty');
  return list.map((item, index) => {
    const at = Array.isArray(value) ? `${field}[${index}]` : field;
    return compileRule(item, at);
  });
}

function compileRule(value: unknown, at: string): Rule {
  if (!isRecord(value)) throw ruleError(at, 'a rule is a JSON object');
  const unknown = Object.keys(value).filter((key) => !RULE_KEYS.has(key));
  if (unknown.length > 0) {
    throw ruleError(at, `unknown key '${unknown[0]}' (known: status, json)`);
  }
  if (value.status === undefined && value.json === undefined) {
    throw ruleError(at, 'give "status", "json" or both');
  }
  const rule: Rule = { json: [] };
  if (value.status !== undefined) rule.status = compileStatus(value.status, at);
  if (value.json !== undefined) {
    const conditions = Array.isArray(value.json) ? value.json : [value.json];
    rule.json = conditions.map((c, i) => compileCondition(c, `${at}.json[${i}]`));
  }
  return rule;
}

function compileStatus(value: unknown, at: string): Rule['status'] {
  const list = Array.isArray(value) ? value : [value];
  const matchers = list.map((item): StatusMatcher => {
    if (typeof item === 'number' && Number.isInteger(item)) {
      return { exact: item };
    }
    const hundreds = typeof item === 'string' && /^([1-5])xx$/i.exec(item);
    if (hundreds) return { hundreds: Number(hundreds[1]) };
    throw ruleError(`${at}.status`, `'${String(item)}' is not 200 or "2xx"`);
  });
  return { matchers, text: list.map(String).join(', ') };
}

function compileCondition(value: unknown, at: string): JsonCondition {
  if (!isRecord(value) || typeof value.path !== 'string') {
    throw ruleError(at, 'a condition needs "path", e.g. {"path": "$.ok"}');
  }
  const unknown = Object.keys(value).filter((k) => !CONDITION_KEYS.has(k));
  if (unknown.length > 0) {
    throw ruleError(at, `unknown key '${unknown[0]}' (path, equals, exists)`);
  }
  if (value.exists !== undefined && typeof value.exists !== 'boolean') {
    throw ruleError(at, '"exists" is true or false');
  }
  const path = compilePathAt(value.path, at);
  const condition: JsonCondition = { path };
  if (value.equals !== undefined) {
    condition.equals = Array.isArray(value.equals)
      ? value.equals
      : [value.equals];
  }
  if (value.exists !== undefined) condition.exists = value.exists;
  if (condition.equals === undefined && condition.exists === undefined) {
    condition.exists = true;
  }
  return condition;
}

function compilePathAt(text: string, at: string): CompiledPath {
  try {
    return compilePath(text);
  } catch (error) {
    throw ruleError(at, (error as Error).message);
  }
}

/** A list of rules holds when one of them holds; each needs all its parts. */
export function evaluateRules(rules: Rule[], input: RuleInput): RuleVerdict {
  const verdicts = rules.map((rule) => evaluateRule(rule, input));
  return verdicts.find((verdict) => verdict.holds) ?? verdicts[0];
}

function evaluateRule(rule: Rule, input: RuleInput): RuleVerdict {
  const facts: string[] = [];
  if (rule.status) {
    const holds = rule.status.matchers.some((m) => statusMatches(m, input));
    const fact = `status ${input.status}`;
    if (!holds) return { holds, because: `${fact} (expected ${rule.status.text})` };
    facts.push(fact);
  }
  for (const condition of rule.json) {
    const verdict = evaluateCondition(condition, input);
    if (!verdict.holds) return verdict;
    facts.push(verdict.because);
  }
  return { holds: true, because: facts.join(', ') };
}

function statusMatches(matcher: StatusMatcher, input: RuleInput): boolean {
  if ('exact' in matcher) return matcher.exact === input.status;
  return Math.floor(input.status / 100) === matcher.hundreds;
}

function evaluateCondition(condition: JsonCondition, input: RuleInput): RuleVerdict {
  const body = input.json();
  if (!body.ok) return { holds: false, because: 'the body is not JSON' };
  const found = readPath(body.value, condition.path);
  const name = condition.path.text;
  if (!found.found) {
    const holds = condition.exists === false;
    return { holds, because: `${name} is missing` };
  }
  const fact = `${name} = ${preview(found.value)}`;
  if (condition.exists === false) {
    return { holds: false, because: `${fact} (expected it to be missing)` };
  }
  if (!condition.equals) return { holds: true, because: fact };
  const holds = condition.equals.some((v) => sameJson(v, found.value));
  const expected = condition.equals.map(preview).join(' or ');
  return { holds, because: holds ? fact : `${fact} (expected ${expected})` };
}

function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null) return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A value as it would read in the rule, kept short for a summary line. */
export function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function ruleError(at: string, why: string): Error {
  return new Error(`${at}: ${why}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
