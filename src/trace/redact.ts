// The one redactor every trace event passes before anything else sees it
// (the terminal, the run log, JSON output, JUnit). It is built per test from
// the connection's own secret values, so it can find them wherever an adapter,
// a server or an error message put them, in the encodings they travel in.
//
// Rules, in the order they run on a piece of text:
//
// 1. Secret values. Every secret of at least MIN_FREE_TEXT_SECRET characters
//    (after trimming) is replaced wherever it appears, as is each of its
//    encodings: JSON and XML escaped, percent-encoded (encodeURIComponent,
//    form `+`, the WHATWG path, query and userinfo sets, lower-case hex) and
//    base64 (standard and url-safe, padded or not). A registered
//    `user:password` pair is treated as one more secret, so `Basic` values
//    are found wherever they are copied. Base64 inside a larger blob is
//    found at any byte alignment for secrets of 8 bytes or more (see
//    base64Cores). Matches are merged before replacing, so overlapping
//    secrets vanish completely whatever their order.
// 2. Structure. Sensitive headers (Authorization, Cookie, X-Api-Key, ...)
//    lose their whole value, keeping the auth scheme word; sensitive query,
//    form, JSON and XML keys (token, password, client_secret, ...) lose their
//    values, wherever they sit and even in cut or broken bodies.
// 3. Short secrets (fewer than MIN_FREE_TEXT_SECRET characters) would blank
//    out every "a" or "42" in a trace if replaced as free text, so they are
//    replaced only where they are a whole value: a header value, a query or
//    form value, a JSON string or number, a step data value, or the content
//    of a quoted string ('abc', "abc", `abc`) in free text.
//
// Rule 1 runs again last, until nothing changes, because a replacement can
// bring pieces of a secret together (`xyz` + `[REDACTED]` for a secret that
// starts like the marker).

import type { TestOutcome } from '../adapters/types.js';
import type {
  RequestEvent,
  ResponseEvent,
  StepEvent,
  TraceEvent,
} from './events.js';

export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are only replaced where they are whole values. */
export const MIN_FREE_TEXT_SECRET = 4;

export interface RedactorOptions {
  /** The connection's secret field values. Empty strings are ignored. */
  secrets: readonly string[];
  /** Header names whose values are secret, beyond the built-in ones. */
  headerNames?: readonly string[];
  /** Query, form, JSON and XML key names whose values are secret. */
  paramNames?: readonly string[];
  /** `[user, password]` pairs sent as HTTP basic credentials. */
  pairs?: ReadonlyArray<readonly [string, string]>;
}

type Headers = Array<[string, string]>;
type StepData = NonNullable<StepEvent['data']>;

export interface Redactor {
  /** Redacts free text: a message, a step detail, a body of unknown type. */
  text(value: string): string;
  headers(headers: ReadonlyArray<readonly [string, string]>): Headers;
  url(url: string): string;
  /** Redacts a body; the content type helps choose JSON or form rules. */
  body(body: string, contentType?: string): string;
  /** A redacted copy of the event; the input is never changed. */
  event(event: TraceEvent): TraceEvent;
  /** Summary, hint and details come from servers too, so they pass here. */
  outcome(outcome: TestOutcome): TestOutcome;
  /** A new redactor that also knows these values (an OAuth token). */
  extend(more: Partial<RedactorOptions>): Redactor;
}

/**
 * One thing to look for. Only `value.slice(head, value.length - tail)` is
 * replaced (quotes around a short secret stay). `left` and `right` widen a
 * match over that many characters of `alphabet`: base64 characters next to
 * a secret's encoding carry some of its bits.
 */
interface Needle {
  value: string;
  head: number;
  tail: number;
  left: number;
  right: number;
  alphabet?: RegExp;
}

interface Rules {
  needles: Needle[];
  /** Every secret, short ones included, for whole-value comparison. */
  wholeValues: Set<string>;
  headerNames: Set<string>;
  paramNames: Set<string>;
}

export function createRedactor(options: RedactorOptions): Redactor {
  const rules = compileRules(options);
  const text = (value: string): string =>
    redactWith(rules, value, (v) => redactFreeText(rules, v));

  return {
    text,
    headers: (headers) => redactHeaders(rules, headers),
    url: (url) => redactWith(rules, url, (v) => redactUrl(rules, v)),
    body: (body, contentType) => redactBodyFully(rules, body, contentType),
    event: (event) => cutTails(redactEvent(rules, event, text), options.secrets),
    outcome: (outcome) => cutSummaryTail(redactOutcome(rules, outcome, text), options.secrets),
    extend: (more) => createRedactor(mergeOptions(options, more)),
  };
}

function mergeOptions(
  base: RedactorOptions,
  more: Partial<RedactorOptions>,
): RedactorOptions {
  return {
    secrets: [...base.secrets, ...(more.secrets ?? [])],
    headerNames: [...(base.headerNames ?? []), ...(more.headerNames ?? [])],
    paramNames: [...(base.paramNames ?? []), ...(more.paramNames ?? [])],
    pairs: [...(base.pairs ?? []), ...(more.pairs ?? [])],
  };
}

// ---------------------------------------------------------------------------
// Compiling the secrets into needles

function compileRules(options: RedactorOptions): Rules {
  const values = new Set<string>();
  for (const secret of options.secrets) {
    if (!secret) continue;
    values.add(secret);
    // A value pasted with a stray space still travels trimmed.
    if (secret.trim()) values.add(secret.trim());
  }
  // A pair is looked for only in base64: as plain text its password is
  // found on its own, and the user name is worth keeping visible.
  const encodedPairs: string[] = [];
  for (const [user, password] of options.pairs ?? []) {
    if (password) values.add(password);
    if (user || password) encodedPairs.push(`${user}:${password}`);
  }

  const needles = new Map<string, Needle>();
  for (const value of values) addNeedles(needles, value);
  for (const pair of encodedPairs) addBase64Needles(needles, pair);
  return {
    // Longest first: not needed for correctness (matches are merged) but it
    // makes the common single-match case end on the most specific needle.
    needles: [...needles.values()].sort(
      (a, b) => b.value.length - a.value.length,
    ),
    wholeValues: values,
    headerNames: lowerSet(options.headerNames),
    paramNames: new Set((options.paramNames ?? []).map(normalizeKey)),
  };
}

function lowerSet(names: readonly string[] = []): Set<string> {
  return new Set(names.map((name) => name.toLowerCase()));
}

function isShort(secret: string): boolean {
  return [...secret.trim()].length < MIN_FREE_TEXT_SECRET;
}

function addNeedles(needles: Map<string, Needle>, secret: string): void {
  if (isShort(secret)) {
    for (const quote of ["'", '"', '`']) {
      const value = quote + secret + quote;
      addNeedle(needles, { ...plainNeedle(value), head: 1, tail: 1 });
    }
    return;
  }
  for (const form of textForms(secret)) addNeedle(needles, plainNeedle(form));
  addBase64Needles(needles, secret);
}

function addBase64Needles(needles: Map<string, Needle>, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  const forms = base64Forms(bytes).map((form) => plainNeedle(form));
  for (const needle of [...forms, ...base64Cores(bytes)]) {
    addNeedle(needles, needle);
  }
}

function plainNeedle(value: string): Needle {
  return { value, head: 0, tail: 0, left: 0, right: 0 };
}

function addNeedle(needles: Map<string, Needle>, needle: Needle): void {
  const key = `${needle.value}\u0000${needle.head}/${needle.left}`;
  if (needle.value && !needles.has(key)) needles.set(key, needle);
}

/** Letters, digits, `-`, `.` and `_`: no transport escapes any of them. */
const UNESCAPED = /^[A-Za-z0-9._-]*$/;

/** The secret as it looks after the escaping each transport applies. */
function textForms(secret: string): string[] {
  // Most API keys and tokens: every form below would equal the secret.
  if (UNESCAPED.test(secret)) return [secret];
  const component = percentEncode(secret, COMPONENT_SAFE);
  return [
    secret,
    JSON.stringify(secret).slice(1, -1),
    asciiJson(secret),
    asciiJson(secret).replace(/\//g, '\\/'),
    xmlEscape(secret),
    component,
    component.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
    component.replace(/%20/g, '+'),
    percentEncode(secret, FORM_SAFE).replace(/%20/g, '+'),
    percentEncode(secret, PATH_SAFE),
    percentEncode(secret, QUERY_SAFE),
    percentEncode(secret, USERINFO_SAFE),
  ];
}

// Characters each encoder leaves alone. COMPONENT is encodeURIComponent,
// FORM is URLSearchParams, the others are the WHATWG URL percent-encode sets
// (what `new URL()` does to a path, a query and a password).
const COMPONENT_SAFE = /[A-Za-z0-9\-_.!~*'()]/;
const FORM_SAFE = /[A-Za-z0-9*\-._ ]/;
const PATH_SAFE = /[!$%&'()*+,\-./0-9:;=@A-Z[\\\]^_a-z|~]/;
const QUERY_SAFE = /[!$%&()*+,\-./0-9:;=?@A-Z[\\\]^_`a-z{|}~]/;
const USERINFO_SAFE = /[!$%&'()*+,\-.0-9A-Z_a-z~]/;

/** Percent-encodes the UTF-8 bytes of `value` that `safe` does not keep. */
function percentEncode(value: string, safe: RegExp): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && safe.test(char) ? char : hexByte(byte);
  }
  return out;
}

function hexByte(byte: number): string {
  return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** JSON as Python's json.dumps writes it: everything past ASCII as \uXXXX. */
function asciiJson(value: string): string {
  return JSON.stringify(value)
    .slice(1, -1)
    .replace(/[^\x20-\x7e]/g, (char) =>
      `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
}

function xmlEscape(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function base64Forms(bytes: Buffer): string[] {
  const standard = bytes.toString('base64');
  const urlSafe = bytes.toString('base64url');
  return [
    standard,
    standard.replace(/=+$/, ''),
    urlSafe,
    urlSafe + '='.repeat((4 - (urlSafe.length % 4)) % 4),
    encodeURIComponent(standard),
  ];
}

const STANDARD_B64 = /[A-Za-z0-9+/]/;
const URL_SAFE_B64 = /[A-Za-z0-9_-]/;
/** Bytes of a secret a core must encode before it is worth looking for. */
const MIN_CORE_BYTES = 6;

/**
 * When a secret sits inside a larger base64 blob (a JWT payload, a base64
 * JSON document), its encoding depends on its offset modulo 3. For each
 * offset, the characters made only of the secret's bits are fixed: those
 * are the cores. The few characters around a core that mix the secret's
 * bits with its neighbours' are taken too (left/right).
 */
function base64Cores(bytes: Buffer): Needle[] {
  const cores: Needle[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const firstWhole = offset === 0 ? 0 : 3 - offset;
    const wholeBytes =
      Math.floor((bytes.length - firstWhole) / 3) * 3;
    if (wholeBytes < MIN_CORE_BYTES) continue;
    const whole = bytes.subarray(firstWhole, firstWhole + wholeBytes);
    const rest = bytes.length - firstWhole - wholeBytes;
    const left = offset === 0 ? 0 : offset === 1 ? 3 : 2;
    const right = rest === 0 ? 0 : rest + 1;
    const base = { head: 0, tail: 0, left, right };
    cores.push({
      ...base,
      value: whole.toString('base64'),
      alphabet: STANDARD_B64,
    });
    cores.push({
      ...base,
      value: whole.toString('base64url'),
      alphabet: URL_SAFE_B64,
    });
  }
  return cores;
}

// ---------------------------------------------------------------------------
// Rule 1: secret values

type Span = [number, number];

function secretPass(rules: Rules, value: string): string {
  if (!value || rules.needles.length === 0) return value;
  const spans: Span[] = [];
  for (const needle of rules.needles) findNeedle(value, needle, spans);
  if (spans.length === 0) return value;
  return replaceSpans(value, mergeSpans(spans));
}

/**
 * Rule 1, then a structural rule, then rule 1 until stable. Text nothing
 * matched in is returned as it came, without the final rounds.
 */
function redactWith(
  rules: Rules,
  value: string,
  structural: (value: string) => string = (v) => v,
): string {
  const result = structural(secretPass(rules, value));
  return result === value ? value : finish(rules, result);
}

/** Rule 1 until stable; a few rounds always suffice (see the file top). */
function finish(rules: Rules, value: string): string {
  let current = value;
  for (let round = 0; round < 8; round++) {
    const next = secretPass(rules, current);
    if (next === current) return current;
    current = next;
  }
  return current;
}

function findNeedle(text: string, needle: Needle, spans: Span[]): void {
  let at = text.indexOf(needle.value);
  while (at !== -1) {
    let start = at + needle.head;
    let end = at + needle.value.length - needle.tail;
    if (needle.alphabet) {
      start = widen(text, start, -1, needle.left, needle.alphabet);
      end = widen(text, end, 1, needle.right, needle.alphabet);
    }
    spans.push([start, end]);
    // Step by one so overlapping occurrences ("aaaa" in "aaaaa") all count.
    at = text.indexOf(needle.value, at + 1);
  }
}

function widen(
  text: string,
  from: number,
  step: -1 | 1,
  limit: number,
  alphabet: RegExp,
): number {
  let edge = from;
  for (let taken = 0; taken < limit; taken++) {
    const char = step < 0 ? text[edge - 1] : text[edge];
    if (char === undefined || !alphabet.test(char)) break;
    edge += step;
  }
  return edge;
}

function mergeSpans(spans: Span[]): Span[] {
  spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged: Span[] = [spans[0]];
  for (const span of spans.slice(1)) {
    const last = merged[merged.length - 1];
    if (span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push(span);
  }
  return merged;
}

function replaceSpans(text: string, spans: Span[]): string {
  let out = '';
  let copied = 0;
  for (const [start, end] of spans) {
    out += text.slice(copied, start) + REDACTED;
    copied = end;
  }
  return out + text.slice(copied);
}

function isWholeSecret(rules: Rules, value: string): boolean {
  if (rules.wholeValues.has(value)) return true;
  const trimmed = value.trim();
  return trimmed !== value && rules.wholeValues.has(trimmed);
}

function containsSecret(rules: Rules, value: string): boolean {
  return isWholeSecret(rules, value) || secretPass(rules, value) !== value;
}

// ---------------------------------------------------------------------------
// Rule 2: names that mark a value as secret

const SENSITIVE_KEYS = new Set([
  'access_token', 'actor_token', 'api_key', 'apikey', 'assertion', 'auth',
  'authorization', 'client_assertion', 'client_secret', 'code',
  'code_verifier', 'cookie', 'device_code', 'id_token', 'jwt',
  'oauth_signature', 'oauth_token', 'oauth_token_secret', 'oauth_verifier',
  'otp', 'passphrase', 'passwd', 'password', 'private_key', 'pwd',
  'refresh_token', 'secret', 'session', 'session_id', 'sessionid',
  'set_cookie', 'signature', 'subject_token', 'token',
]);

// In a URL these carry keys (Google's ?key=, Azure's SAS sig=); in a JSON
// body `key` is far more often an identifier (a Jira issue key).
const QUERY_ONLY_KEYS = new Set(['key', 'sig']);

// Keys that end like these are secret too: csrf_token, db_password, ...
// (token_type or expires_in do not end like this and stay readable.)
const SENSITIVE_SUFFIX = new RegExp(
  '(?:^|_)(?:token|secret|password|passwd|passphrase|api_?key|private_key' +
    '|signature)$',
);

const SENSITIVE_HEADERS = new Set([
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie',
  'x-api-key', 'api-key', 'apikey', 'x-auth-token', 'x-access-token',
  'ocp-apim-subscription-key', 'x-functions-key', 'x-goog-api-key',
  'private-token', 'x-vault-token', 'x-amz-security-token',
]);

const URL_HEADERS = new Set(['location', 'content-location', 'referer']);

// A challenge says how to authenticate, not with what; it stays readable.
const READABLE_HEADERS = new Set(['www-authenticate', 'proxy-authenticate']);

// Bodies repeat the same few keys thousands of times; a bounded memo keeps
// the normalising regexes off the hot path.
const normalKeys = new Map<string, string>();
const MEMO_LIMIT = 10_000;

/** accessToken, Access-Token and ACCESS_TOKEN all become access_token. */
function normalizeKey(key: string): string {
  let normal = normalKeys.get(key);
  if (normal !== undefined) return normal;
  normal = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[-.\s]+/g, '_');
  if (normalKeys.size >= MEMO_LIMIT) normalKeys.clear();
  normalKeys.set(key, normal);
  return normal;
}

const builtInSensitive = new Map<string, boolean>();

function isSensitiveKey(rules: Rules, key: string, inQuery = false): boolean {
  const normal = normalizeKey(key);
  if (inQuery && QUERY_ONLY_KEYS.has(normal)) return true;
  if (rules.paramNames.has(normal)) return true;
  let sensitive = builtInSensitive.get(normal);
  if (sensitive === undefined) {
    sensitive = SENSITIVE_KEYS.has(normal) || SENSITIVE_SUFFIX.test(normal);
    if (builtInSensitive.size >= MEMO_LIMIT) builtInSensitive.clear();
    builtInSensitive.set(normal, sensitive);
  }
  return sensitive;
}

function isSensitiveHeader(rules: Rules, name: string): boolean {
  const lower = name.trim().toLowerCase();
  if (READABLE_HEADERS.has(lower)) return false;
  return (
    SENSITIVE_HEADERS.has(lower) ||
    rules.headerNames.has(lower) ||
    isSensitiveKey(rules, lower)
  );
}

/**
 * `code` is both the OAuth authorization code and the key every error body
 * uses (`"code": 401`, `"code": "invalid_grant"`). Error codes are numbers
 * or words in one case joined by `_`, `.` or `-`; authorization codes are
 * random mixed-case strings, so only those are hidden.
 */
function isReadableCode(key: string, value: string): boolean {
  if (normalizeKey(key) !== 'code') return false;
  return (
    /^-?\d{1,6}$/.test(value) ||
    /^[a-z]+(?:[_.-][a-z0-9]+)*$/.test(value) ||
    /^[A-Z]+(?:[_.-][A-Z0-9]+)*$/.test(value)
  );
}

/**
 * Whether `key: value` holds a secret. An empty value stays visible: "the
 * password was empty" is worth seeing and gives nothing away.
 */
function isSecretField(
  rules: Rules,
  key: string,
  value: string,
  inQuery = false,
): boolean {
  if (value === '') return false;
  if (isSensitiveKey(rules, key, inQuery)) return !isReadableCode(key, value);
  return isWholeSecret(rules, value);
}

// ---------------------------------------------------------------------------
// Rule 2: headers

const SCHEMES = [
  'Basic', 'Bearer', 'Digest', 'Negotiate', 'NTLM', 'Token', 'OAuth', 'Hawk',
  'HOBA', 'Mutual', 'DPoP', 'MAC', 'AWS4-HMAC-SHA256', 'AWS', 'GoogleLogin',
  'SharedKeyLite', 'SharedKey', 'SSWS', 'vapid', 'SCRAM-SHA-256',
  'SCRAM-SHA-1',
];
const AUTH_SCHEME = new RegExp(`^(${SCHEMES.join('|')})\\s+\\S`, 'i');

function redactHeaders(
  rules: Rules,
  headers: ReadonlyArray<readonly [string, string]>,
): Headers {
  return headers.map(([name, value]) => {
    const cleanValue = redactWith(rules, value, (v) =>
      redactHeaderValue(rules, name, v),
    );
    return [redactWith(rules, name), cleanValue];
  });
}

function redactHeaderValue(rules: Rules, name: string, value: string): string {
  const lower = name.trim().toLowerCase();
  if (lower === 'cookie') return redactCookies(value, false);
  if (lower === 'set-cookie') return redactCookies(value, true);
  // A redirect to `...?code=...` is how OAuth hands out its codes.
  if (URL_HEADERS.has(lower)) return redactUrl(rules, value);
  if (isSensitiveHeader(rules, name)) {
    const scheme = AUTH_SCHEME.exec(value.trim());
    return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
  }
  if (isWholeSecret(rules, value)) return REDACTED;
  return redactFreeText(rules, value);
}

/**
 * Cookie names and Set-Cookie attributes (Path, Expires, SameSite) help
 * debug a login, so only the values go.
 */
function redactCookies(value: string, isSetCookie: boolean): string {
  const parts = value.split(';');
  return parts
    .map((part, index) => {
      if (isSetCookie && index > 0) return part;
      const eq = part.indexOf('=');
      return eq === -1 ? REDACTED : `${part.slice(0, eq + 1)}${REDACTED}`;
    })
    .join(';');
}

// ---------------------------------------------------------------------------
// Rule 2: URLs and form bodies

function redactUrl(rules: Rules, url: string): string {
  const hash = url.indexOf('#');
  const beforeHash = hash === -1 ? url : url.slice(0, hash);
  const fragment = hash === -1 ? undefined : url.slice(hash + 1);
  const question = beforeHash.indexOf('?');
  const base = question === -1 ? beforeHash : beforeHash.slice(0, question);
  const query = question === -1 ? undefined : beforeHash.slice(question + 1);

  let out = redactUserinfo(base);
  if (query !== undefined) out += `?${redactParams(rules, query)}`;
  if (fragment !== undefined) {
    // OAuth's implicit flow puts access_token=... in the fragment.
    const params = fragment.includes('=');
    out += `#${params ? redactParams(rules, fragment) : fragment}`;
  }
  return out;
}

/** `scheme://user:password@host` keeps the user, loses the password. */
function redactUserinfo(base: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(base);
  if (!scheme) return base;
  const rest = base.slice(scheme[0].length);
  const authorityEnd = rest.search(/[/\\]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf('@');
  if (at === -1) return base;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon === -1) return base;
  const kept = `${userinfo.slice(0, colon + 1)}${REDACTED}`;
  return scheme[0] + kept + rest.slice(at);
}

function redactParams(rules: Rules, params: string): string {
  return params
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) {
        return containsSecret(rules, formDecode(pair)) ? REDACTED : pair;
      }
      const key = formDecode(pair.slice(0, eq));
      const value = formDecode(pair.slice(eq + 1));
      const secret =
        isSecretField(rules, key, value, true) ||
        containsSecret(rules, value);
      return secret ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    })
    .join('&');
}

function formDecode(value: string): string {
  const spaced = value.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

// ---------------------------------------------------------------------------
// Rule 2: bodies

function redactBody(rules: Rules, body: string, contentType = ''): string {
  const start = body.trimStart()[0];
  if (start === '{' || start === '[' || /json/i.test(contentType)) {
    // The walk covers "key": value pairs; what is left is JSON quoted
    // inside strings and key=value text inside values.
    return redactFreeText(rules, redactJson(rules, body), false);
  }
  if (/x-www-form-urlencoded/i.test(contentType) || looksLikeForm(body)) {
    return redactParams(rules, body);
  }
  return redactFreeText(rules, body);
}

function looksLikeForm(body: string): boolean {
  return /^[\w.%*+-]+=[^\s&]*(?:&[\w.%*+-]+=[^\s&]*)*$/.test(body);
}

// One token at a time: a string, a bracket, a comma, a number, a word, or a
// run of anything else. Strings may be cut (no closing quote) at the end.
const JSON_TOKEN =
  /"(?:[^"\\]|\\[\s\S])*"?|[{}[\]]|,|-?\d[\d.eE+-]*|\w+|[^"{}[\],\w-]+|[\s\S]/y;
const KEY_COLON = /\s*:/y;

/**
 * Walks JSON text without parsing it, so a body cut by --max-body or a
 * broken one is handled like a valid one and the layout is kept. A value
 * under a sensitive key is replaced, and so is everything inside an object
 * or array under such a key.
 */
function redactJson(rules: Rules, json: string): string {
  const inSecret: boolean[] = [];
  let key: string | undefined;
  let out = '';
  let copied = 0;
  let at = 0;
  while (at < json.length) {
    JSON_TOKEN.lastIndex = at;
    const token = (JSON_TOKEN.exec(json) as RegExpExecArray)[0];
    const next = at + token.length;
    const container = inSecret[inSecret.length - 1] ?? false;

    if (isKeyLike(token) && isJsonKey(json, next)) {
      // Unquoted keys too: bodies are sometimes JavaScript, not JSON.
      key = token[0] === '"' ? decodeJsonString(token) : token;
    } else if (token === '{' || token === '[') {
      const sensitive = key !== undefined && isSensitiveKey(rules, key);
      inSecret.push(container || sensitive);
      key = undefined;
    } else if (token === '}' || token === ']') {
      inSecret.pop();
      key = undefined;
    } else if (token === ',') {
      key = undefined;
    } else if (isJsonScalar(token)) {
      if (container || isSecretJsonValue(rules, key, token)) {
        out += json.slice(copied, at) + `"${REDACTED}"`;
        copied = next;
      }
      key = undefined;
    }
    at = next;
  }
  return out + json.slice(copied);
}

const WORD_START = /\w/;

function isKeyLike(token: string): boolean {
  return token[0] === '"' || WORD_START.test(token[0]);
}

function isJsonKey(json: string, afterToken: number): boolean {
  KEY_COLON.lastIndex = afterToken;
  return KEY_COLON.test(json);
}

/** Strings, numbers and bare words other than true, false and null. */
function isJsonScalar(token: string): boolean {
  if (token === 'true' || token === 'false' || token === 'null') return false;
  const first = token[0] === '-' ? token[1] : token[0];
  return token[0] === '"' || (first !== undefined && WORD_START.test(first));
}

function isSecretJsonValue(
  rules: Rules,
  key: string | undefined,
  token: string,
): boolean {
  const value = token[0] === '"' ? decodeJsonString(token) : token;
  if (key !== undefined) return isSecretField(rules, key, value);
  return isWholeSecret(rules, value);
}

function decodeJsonString(token: string): string {
  if (!token.includes('\\')) {
    const closed = token.length > 1 && token.endsWith('"');
    return token.slice(1, closed ? -1 : undefined);
  }
  const closed = token.length > 1 && token.endsWith('"') ? token : `${token}"`;
  try {
    return JSON.parse(closed) as string;
  } catch {
    return token.slice(1, closed.length - 1);
  }
}

// ---------------------------------------------------------------------------
// Rule 2 in free text: key/value patterns in messages and non-JSON bodies

// "key": "value" and "key": 123, the value possibly cut before its quote.
const QUOTED_PAIR =
  /"([^"\\]{1,100})"(\s*:\s*)(?:"((?:[^"\\]|\\[\s\S])*)("?)|(-?\d[\d.eE+-]*))/g;
// The same inside a JSON string: {\"key\": \"value\"}.
const ESCAPED_PAIR =
  /\\"([^"\\]{1,100})\\"(\s*:\s*)\\"((?:[^"\\]|\\(?!")[\s\S])*)((?:\\")?)/g;
// key=value in a message ("refresh_token=abc expired").
const EQUALS_PAIR = /(^|[^\w.-])([\w.-]{1,100})=([^\s&"'<>;,]+)/g;
// <password>value</password>, with or without a namespace prefix.
const XML_ELEMENT = /<((?:[\w.-]+:)?([\w.-]+))(\s[^>]*)?>([^<]*)<\/\1\s*>/g;

// Each pattern runs only when the text has the character it needs: most
// text has none, and the patterns are the slow part of a large body.
function redactFreeText(
  rules: Rules,
  text: string,
  quotedPairs = true,
): string {
  let out = text;
  if (quotedPairs && out.includes('"')) {
    out = out.replace(QUOTED_PAIR, (match, key, colon, str, close, num) => {
      const value = (str as string | undefined) ?? (num as string);
      if (!isSecretField(rules, key, value)) return match;
      const end = str === undefined ? '"' : close;
      return `"${key}"${colon}"${REDACTED}${end}`;
    });
  }
  if (out.includes('\\"')) {
    out = out.replace(ESCAPED_PAIR, (match, key, colon, value, close) =>
      isSecretField(rules, key, value)
        ? `\\"${key}\\"${colon}\\"${REDACTED}${close}`
        : match,
    );
  }
  if (out.includes('=')) {
    out = out.replace(EQUALS_PAIR, (match, before, key, value) =>
      isSecretField(rules, key, value, true)
        ? `${before}${key}=${REDACTED}`
        : match,
    );
  }
  if (out.includes('</')) {
    out = out.replace(XML_ELEMENT, (match, tag, local, attributes, value) =>
      isSecretField(rules, local, value)
        ? `<${tag}${attributes ?? ''}>${REDACTED}</${tag}>`
        : match,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------
// Events and outcomes

function redactEvent(
  rules: Rules,
  event: TraceEvent,
  text: (value: string) => string,
): TraceEvent {
  switch (event.type) {
    case 'request':
    case 'response':
      return redactExchange(rules, event);
    case 'step':
      return {
        ...event,
        name: text(event.name),
        ...(event.detail !== undefined && { detail: text(event.detail) }),
        ...(event.data && { data: redactData(rules, event.data, text) }),
      };
    case 'timing':
      return { ...event, phases: { ...event.phases } };
    case 'note':
      return { ...event, message: text(event.message) };
    case 'error':
      return {
        ...event,
        message: text(event.message),
        ...(event.code !== undefined && { code: text(event.code) }),
      };
  }
}

function redactExchange(
  rules: Rules,
  event: RequestEvent | ResponseEvent,
): RequestEvent | ResponseEvent {
  const headers = redactHeaders(rules, event.headers);
  const body =
    event.body === undefined
      ? undefined
      : redactBodyFully(rules, event.body, contentTypeOf(event.headers));
  const withBody = body === undefined ? {} : { body };
  if (event.type === 'request') {
    const url = redactWith(rules, event.url, (v) => redactUrl(rules, v));
    const method = redactWith(rules, event.method);
    return { ...event, method, url, headers, ...withBody };
  }
  if (event.statusText === undefined) {
    return { ...event, headers, ...withBody };
  }
  const statusText = redactWith(rules, event.statusText, (v) =>
    redactFreeText(rules, v),
  );
  return {
    ...event,
    statusText,
    headers,
    ...withBody,
  };
}

function redactBodyFully(
  rules: Rules,
  body: string,
  contentType?: string,
): string {
  return redactWith(rules, body, (v) => redactBody(rules, v, contentType));
}

function contentTypeOf(headers: ReadonlyArray<readonly [string, string]>) {
  const found = headers.find(([name]) => name.toLowerCase() === 'content-type');
  return found?.[1];
}

function redactData(
  rules: Rules,
  data: StepData,
  text: (value: string) => string,
): StepData {
  const out: StepData = {};
  for (const [key, value] of Object.entries(data)) {
    const cleanKey = text(key);
    if (value === null || typeof value === 'boolean') {
      out[cleanKey] = value;
    } else if (isSecretField(rules, key, String(value))) {
      out[cleanKey] = REDACTED;
    } else if (typeof value === 'number') {
      out[cleanKey] = containsSecret(rules, String(value)) ? REDACTED : value;
    } else {
      out[cleanKey] = text(value);
    }
  }
  return out;
}

function redactOutcome(
  rules: Rules,
  outcome: TestOutcome,
  text: (value: string) => string,
): TestOutcome {
  const copy: TestOutcome = { ...outcome, summary: text(outcome.summary) };
  if (outcome.failure) {
    copy.failure = { ...outcome.failure, hint: text(outcome.failure.hint) };
  }
  if (outcome.details) copy.details = redactData(rules, outcome.details, text);
  return copy;
}

// ---------------------------------------------------------------------------
// Text cut at a limit before it reached the redactor (a body cut by
// --max-body, a summary cut short) can end with the first part of a secret,
// which no whole-value rule sees. Such a tail, four characters or more of a
// secret's start, is replaced too.

const MIN_TAIL = 4;

function redactTail(text: string, secrets: readonly string[]): string {
  let best = 0;
  for (const secret of secrets) {
    for (let k = Math.min(secret.length - 1, text.length); k >= MIN_TAIL && k > best; k--) {
      if (text.endsWith(secret.slice(0, k))) {
        best = k;
        break;
      }
    }
  }
  return best ? text.slice(0, text.length - best) + REDACTED : text;
}

function cutTails(event: TraceEvent, secrets: readonly string[]): TraceEvent {
  if ((event.type === 'request' || event.type === 'response') && event.bodyCut && event.body) {
    return { ...event, body: redactTail(event.body, secrets) };
  }
  return event;
}

function cutSummaryTail(outcome: TestOutcome, secrets: readonly string[]): TestOutcome {
  const ellipsis = /(\.\.\.|\u2026)$/.exec(outcome.summary)?.[0];
  if (!ellipsis) return outcome;
  const kept = outcome.summary.slice(0, -ellipsis.length);
  return { ...outcome, summary: redactTail(kept, secrets) + ellipsis };
}
