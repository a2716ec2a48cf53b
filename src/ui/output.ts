// The one output module: every human line, warning and JSON document goes
// through here. Colour only on a TTY and never with NO_COLOR or --no-color;
// --quiet drops informational lines; --json leaves stdout to one document.

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
  readonly paint: Palette;
  readonly errPaint: Palette;

  constructor(readonly options: OutputOptions) {
    this.paint = palette(options.color && Boolean(process.stdout.isTTY));
    this.errPaint = palette(options.color && Boolean(process.stderr.isTTY));
  }

  get json(): boolean {
    return this.options.json;
  }

  get stderrIsTTY(): boolean {
    return Boolean(process.stderr.isTTY);
  }

  /** Data the user asked for (a table, a connection): stdout, not in JSON mode. */
  data(text: string): void {
    if (!this.options.json) process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** A confirmation ("created 'x'"): stdout, dropped by --quiet and --json. */
  info(text: string): void {
    if (!this.options.json && !this.options.quiet) process.stdout.write(text + '\n');
  }

  /** A warning: stderr, always (even with --json, stdout stays clean). */
  warn(text: string): void {
    process.stderr.write(`${this.errPaint.yellow('warning:')} ${text}\n`);
  }

  /** Progress and traces: stderr, dropped by --quiet. */
  progress(text: string): void {
    if (!this.options.quiet) process.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** The one JSON document of a --json run. */
  document(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  error(message: string, hint?: string): void {
    const p = this.errPaint;
    process.stderr.write(`${p.red('error:')} ${message}\n`);
    if (hint) process.stderr.write(`${p.dim('hint:')} ${hint}\n`);
  }
}

/** Columns padded to the widest cell; the last column is not padded. */
export function renderTable(header: string[], rows: string[][], paint?: Palette): string {
  const widths = header.map((title, column) =>
    Math.max(visibleLength(title), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column] - visibleLength(cell)),
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
  const units: Array<[number, string]> = [[86400, 'day'], [3600, 'hour'], [60, 'minute']];
  for (const [size, unit] of units) {
    if (seconds >= size) {
      const count = Math.floor(seconds / size);
      return `${count} ${unit}${count === 1 ? '' : 's'} ago`;
    }
  }
  return 'just now';
}
