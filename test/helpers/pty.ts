// Drives the built CLI through a real pseudo-terminal, as a person at a
// keyboard would: `script` (util-linux) gives the process a TTY, and each
// step waits for a prompt's text before typing its answer. Waits are bounded.

import { spawn } from 'node:child_process';
import { BIN, baseEnv } from './cli.js';

export interface Step {
  /** Text that must appear (after the previous step's) before typing. */
  waitFor: string;
  /** Keys to type; `\r` is Enter, `\u0015` clears the line. */
  type: string;
}

export interface PtyResult {
  code: number | null;
  /** Everything the terminal showed, escape sequences removed. */
  screen: string;
}

const ENTER_DELAY_MS = 60;

export function runInTerminal(args: string[], steps: Step[], options: { home: string; env?: Record<string, string> }): Promise<PtyResult> {
  const command = [process.execPath, BIN, ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...baseEnv(options.home), TERM: 'xterm', COLUMNS: '120', LINES: '40', ...options.env },
  });
  let raw = '';
  let seen = 0;
  let index = 0;
  child.stdout.on('data', (chunk) => {
    raw += chunk;
    advance();
  });
  function advance(): void {
    const screen = plain(raw);
    while (index < steps.length) {
      const at = screen.indexOf(steps[index].waitFor, seen);
      if (at < 0) return;
      seen = at + steps[index].waitFor.length;
      const keys = steps[index++].type;
      setTimeout(() => child.stdin.write(keys), ENTER_DELAY_MS * index);
    }
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 30000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen: plain(raw) });
    });
  });
}

function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}
