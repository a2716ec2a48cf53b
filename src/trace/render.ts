// Trace events as text, in the shape curl -v made familiar: `>` for what was
// sent, `<` for what came back, `*` for protocol steps, `!` for notes and
// errors. `conn test --verbose` prints each event as it happens and
// `conn log` prints a stored trace, both through renderEvent.
//
// Events arrive redacted. The renderer still neutralises control characters
// because bodies and messages come from servers, and an escape sequence in
// a body must not drive the user's terminal.

import type {
  RequestEvent,
  ResponseEvent,
  StepEvent,
  TimingEvent,
  TraceEvent,
} from './events.js';

type Paint = (text: string) => string;

/** The colours the renderer uses; ui/output.ts's Palette fits. */
export interface TraceColors {
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  bold: Paint;
}

const plain: Paint = (text) => text;

export const plainColors: TraceColors = {
  dim: plain,
  red: plain,
  green: plain,
  yellow: plain,
  bold: plain,
};

function sgr(open: number, close: number): Paint {
  return (text) => `\u001b[${open}m${text}\u001b[${close}m`;
}

export const ansiColors: TraceColors = {
  dim: sgr(2, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  bold: sgr(1, 22),
};

export interface RenderOptions {
  /** Prefix each event with its time since the start: `[  12.3 ms]`. */
  timestamps?: boolean;
}

/** One event as one or more lines, without a trailing newline. */
export function renderEvent(
  event: TraceEvent,
  colors: TraceColors | boolean = plainColors,
  options: RenderOptions = {},
): string {
  const paint = pickColors(colors);
  const text = renderLines(event, paint);
  if (!options.timestamps) return text;
  const stamp = paint.dim(`[${formatMs(event.at).padStart(9)}]`);
  return text
    .split('\n')
    .map((line, index) => (index === 0 ? `${stamp} ${line}` : line))
    .join('\n');
}

/** A whole trace, events separated by newlines. */
export function renderTrace(
  events: readonly TraceEvent[],
  colors: TraceColors | boolean = plainColors,
  options: RenderOptions = {},
): string {
  return events.map((event) => renderEvent(event, colors, options)).join('\n');
}

function pickColors(colors: TraceColors | boolean): TraceColors {
  if (colors === true) return ansiColors;
  if (colors === false) return plainColors;
  return colors;
}

function renderLines(event: TraceEvent, paint: TraceColors): string {
  switch (event.type) {
    case 'request':
      return renderRequest(event, paint);
    case 'response':
      return renderResponse(event, paint);
    case 'step':
      return renderStep(event, paint);
    case 'timing':
      return paint.dim(renderTimings(event));
    case 'note':
      return event.level === 'warn'
        ? paint.yellow(`! warning: ${clean(event.message)}`)
        : paint.dim(`! ${clean(event.message)}`);
    case 'error': {
      const code = event.code ? ` (${clean(event.code)})` : '';
      return paint.red(`! error: ${clean(event.message)}${code}`);
    }
  }
}

function renderRequest(event: RequestEvent, paint: TraceColors): string {
  const version = httpVersion(event.httpVersion);
  const first = `> ${clean(event.method)} ${clean(event.url)} ${version}`;
  return [
    paint.bold(first),
    ...headerLines('>', event.headers, paint),
    ...bodyLines(event.body, event.bodyCut, undefined, paint),
  ].join('\n');
}

function renderResponse(event: ResponseEvent, paint: TraceColors): string {
  const reason = event.statusText ? ` ${clean(event.statusText)}` : '';
  const first = `< ${httpVersion(event.httpVersion)} ${event.status}${reason}`;
  return [
    statusColor(event.status, paint)(first),
    ...headerLines('<', event.headers, paint),
    ...bodyLines(event.body, event.bodyCut, event.bodySize, paint),
  ].join('\n');
}

/** Adapters may say `1.1`, `HTTP/2` or nothing at all. */
function httpVersion(version: string | undefined): string {
  if (!version) return 'HTTP/1.1';
  return /^HTTP\//i.test(version) ? version : `HTTP/${version}`;
}

function statusColor(status: number, paint: TraceColors): Paint {
  if (status >= 400) return paint.red;
  if (status >= 300) return paint.yellow;
  return paint.green;
}

function headerLines(
  mark: string,
  headers: ReadonlyArray<readonly [string, string]>,
  paint: TraceColors,
): string[] {
  return headers.map(([name, value]) =>
    paint.dim(`${mark} ${clean(name)}: ${clean(value)}`),
  );
}

function bodyLines(
  body: string | undefined,
  cut: number | undefined,
  size: number | undefined,
  paint: TraceColors,
): string[] {
  if (!body && !cut) return [];
  const lines = [''];
  if (body) lines.push(...cleanBody(body).split('\n'));
  if (cut) {
    const total = size ? ` of ${size}` : '';
    lines.push(paint.dim(`(… ${cut} bytes${total} cut)`));
  }
  return lines;
}

function renderStep(event: StepEvent, paint: TraceColors): string {
  const detail = event.detail ? ` ${clean(event.detail)}` : '';
  const took =
    event.durationMs === undefined ? '' : ` (${formatMs(event.durationMs)})`;
  const lines = [`* ${clean(event.name)}${detail}${paint.dim(took)}`];
  for (const [key, value] of Object.entries(event.data ?? {})) {
    lines.push(paint.dim(`*   ${clean(key)}: ${clean(String(value))}`));
  }
  return lines.join('\n');
}

const PHASES: Array<[keyof TimingEvent['phases'], string]> = [
  ['dns', 'dns'],
  ['connect', 'connect'],
  ['tls', 'tls'],
  ['firstByte', 'first byte'],
  ['download', 'download'],
  ['total', 'total'],
];

function renderTimings(event: TimingEvent): string {
  const parts = PHASES.filter(([key]) => event.phases[key] !== undefined).map(
    ([key, label]) => `${label} ${formatMs(event.phases[key] as number)}`,
  );
  return `timings: ${parts.join(', ')}`;
}

/** Whole milliseconds, except below 10 ms where a tenth still matters. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '? ms';
  const rounded = ms < 10 ? Math.round(ms * 10) / 10 : Math.round(ms);
  return `${rounded} ms`;
}

// C0 and C1 controls (ESC, BEL, CSI, ...) except tab, and the bidi and line
// separator characters that can make text read differently than it is.
const CONTROL =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeControl(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A one-line value: newlines are shown escaped so lines stay lines. */
function clean(text: string): string {
  return text.replace(/\r?\n|\r/g, '\\n').replace(CONTROL, escapeControl);
}

/** A body keeps its line breaks; CRLF becomes LF. */
function cleanBody(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(CONTROL, escapeControl);
}
