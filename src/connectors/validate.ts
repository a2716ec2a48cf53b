// Checks a connector definition against the schema the types describe. Data
// from a plug-in folder is untrusted, so every problem is collected and
// reported at once with the file it came from.

import { CATEGORIES } from './types.js';

const FIELD_TYPES = ['string', 'number', 'boolean', 'enum', 'url', 'file', 'json'];
const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

type Json = Record<string, unknown>;

export function connectorProblems(value: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(value)) return ['a connector must be a JSON object'];
  const def = value as Json;
  if (typeof def.id !== 'string' || !ID_PATTERN.test(def.id)) {
    problems.push('id: lower-case letters, digits and "-", at most 63');
  }
  for (const key of ['name', 'description', 'adapter']) {
    if (typeof def[key] !== 'string' || !def[key]) {
      problems.push(`${key}: a non-empty string is required`);
    }
  }
  if (!CATEGORIES.includes(def.category as never)) {
    problems.push(`category: one of ${CATEGORIES.join(', ')}`);
  }
  if (def.docs !== undefined && typeof def.docs !== 'string') {
    problems.push('docs: a URL string');
  }
  if (def.settings !== undefined && !isObject(def.settings)) {
    problems.push('settings: an object');
  }
  if (!Array.isArray(def.fields)) {
    problems.push('fields: an array is required');
    return problems;
  }
  const keys = new Set<string>();
  def.fields.forEach((field, index) => {
    problems.push(...fieldProblems(field, `fields[${index}]`, keys));
  });
  problems.push(...conditionProblems(def.fields as Json[], keys));
  return problems;
}

function fieldProblems(field: unknown, at: string, keys: Set<string>): string[] {
  if (!isObject(field)) return [`${at}: an object is required`];
  const problems: string[] = [];
  const f = field as Json;
  if (typeof f.key !== 'string' || !KEY_PATTERN.test(f.key)) {
    problems.push(`${at}.key: a letter then letters, digits or "_"`);
  } else if (keys.has(f.key)) {
    problems.push(`${at}.key: '${f.key}' appears twice`);
  } else {
    keys.add(f.key);
  }
  if (typeof f.label !== 'string' || !f.label) {
    problems.push(`${at}.label: a non-empty string is required`);
  }
  if (!FIELD_TYPES.includes(f.type as string)) {
    problems.push(`${at}.type: one of ${FIELD_TYPES.join(', ')}`);
  }
  if (f.type === 'enum' && !isStringArray(f.choices)) {
    problems.push(`${at}.choices: an enum needs a list of strings`);
  }
  if (f.pattern !== undefined && !isRegExp(f.pattern)) {
    problems.push(`${at}.pattern: not a valid regular expression`);
  }
  for (const flag of ['secret', 'required', 'advanced']) {
    if (f[flag] !== undefined && typeof f[flag] !== 'boolean') {
      problems.push(`${at}.${flag}: true or false`);
    }
  }
  for (const bound of ['min', 'max']) {
    if (f[bound] !== undefined && typeof f[bound] !== 'number') {
      problems.push(`${at}.${bound}: a number`);
    }
  }
  if (f.when !== undefined && !isObject(f.when)) {
    problems.push(`${at}.when: an object of field key to value(s)`);
  }
  return problems;
}

function conditionProblems(fields: Json[], keys: Set<string>): string[] {
  const problems: string[] = [];
  for (const field of fields) {
    if (!isObject(field) || !isObject(field.when)) continue;
    for (const key of Object.keys(field.when as Json)) {
      if (!keys.has(key)) {
        problems.push(`field '${field.key}': 'when' names unknown field '${key}'`);
      }
    }
  }
  return problems;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string');
}

function isRegExp(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    new RegExp(value);
    return true;
  } catch {
    return false;
  }
}
