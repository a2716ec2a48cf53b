// The one output module: every human line, warning and JSON document goes
// through here. Colour only on a TTY and never with NO_COLOR or --no-color;
// --quiet drops informational lines; --json leaves stdout to one document.

import { fstatSync, statSync, writeSync } from 'node:fs';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  color: boolean;
}

export type Paint = (text: string) => string;

export interface Palette {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
}

const plain: Paint = (text) => text;

function ansi(open: number, close: number): Paint {
  return (text) => `\u001b[${open}m${text}\u001b[${close}m`;
}

export function palette(color: boolean): Palette {
  if (!color) {
    return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  }
  return {
    bold: ansi(1, 22),
    dim: ansi(2, 22),
    red: ansi(31, 39),
    green: ansi(32, 39),
    yellow: ansi(33, 39),
    cyan: ansi(36, 39),
  };
}

export class Output {
  private stdoutPaint?: Palette;
  private stderrPaint?: Palette;

  constructor(readonly options: OutputOptions) {}

  get paint(): Palette {
    this.stdoutPaint ??= palette(this.options.color && isTerminal(1));
    return this.stdoutPaint;
  }

  get errPaint(): Palette {
    this.stderrPaint ??= palette(this.options.color && isTerminal(2));
    return this.stderrPaint;
  }

  get json(): boolean {
    return this.options.json;
  }

  get stderrIsTTY(): boolean {
    return isTerminal(2);
  }

  /** Data the user asked for (a table, a connection): stdout, not in JSON mode. */
  data(text: string): void {
    if (!this.options.json) write(1, text.endsWith('\n') ? text : text + '\n');
  }

  /** A confirmation ("created 'x'"): stdout, dropped by --quiet and --json. */
  info(text: string): void {
    if (!this.options.json && !this.options.quiet) write(1, text + '\n');
  }

  /** A warning: stderr, always (even with --json, stdout stays clean). */
  warn(text: string): void {
    write(2, `${this.errPaint.yellow('warning:')} ${text}\n`);
  }

  /** Progress and traces: stderr, dropped by --quiet. */
  progress(text: string): void {
    if (!this.options.quiet) write(2, text.endsWith('\n') ? text : text + '\n');
  }

  /** The one JSON document of a --json run. */
  document(value: unknown): void {
    write(1, JSON.stringify(value, null, 2) + '\n');
  }

  error(message: string, hint?: string): void {
    const p = this.errPaint;
    write(2, `${p.red('error:')} ${message}\n`);
    if (hint) write(2, `${p.dim('hint:')} ${hint}\n`);
  }
}

/**
 * Writes straight to the file descriptor. Touching process.stdout builds a
 * stream (and loads net for a pipe), several milliseconds that `conn list`
 * pays on every CI step; a synchronous write costs nothing extra. On Linux
 * the streams write synchronously too, so the two never reorder output. A
 * non-blocking descriptor that is full (EAGAIN) hands the rest to the stream.
 */
export function write(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text);
  let offset = 0;
  while (!streamsInUse && offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      streamsInUse = true;
    }
  }
  if (offset < bytes.length)
    (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(offset));
}

let streamsInUse = false;

const terminals = new Map<number, boolean>();

/**
 * Whether a descriptor is a terminal, without building the stream that
 * process.stdout.isTTY would: a character device that is not /dev/null.
 */
export function isTerminal(fd: number): boolean {
  let known = terminals.get(fd);
  if (known === undefined) {
    try {
      const stat = fstatSync(fd);
      known = stat.isCharacterDevice() && stat.rdev !== statSync('/dev/null').rdev;
    } catch {
      known = false;
    }
    terminals.set(fd, known);
  }
  return known;
}

/** Columns padded to the widest cell; the last column is not padded. */
export function renderTable(header: string[], rows: string[][], paint?: Palette): string {
  const widths = header.map((title, column) =>
    Math.max(visibleLength(title), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1
          ? cell
          : cell + ' '.repeat(widths[column] - visibleLength(cell)),
      )
      .join('  ')
      .trimEnd();
  const head = line(header.map((title) => title.toUpperCase()));
  return [paint ? paint.dim(head) : head, ...rows.map(line)].join('\n');
}

function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** "3 minutes ago" style times for tables. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 60) return 'just now';
  const units: Array<[number, string]> = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size) {
      const count = Math.floor(seconds / size);
      return `${count} ${unit}${count === 1 ? '' : 's'} ago`;
    }
  }
  return 'just now';
}
