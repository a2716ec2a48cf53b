// An end-to-end session: runs the built CLI in one CONN_HOME with the file
// secret store, and fails a test at the first command whose stdout or stderr
// shows a canary secret in any form it could travel in (plain, base64,
// percent-encoded), naming the command. Files are checked the same way.

import { existsSync, readFileSync } from 'node:fs';
import { expectNoCanary, filesUnder, runConn, type CliResult } from './cli.js';

export interface Session {
  home: string;
  env: Record<string, string>;
  /** Runs `conn <args>`; throws when a canary shows in its output. */
  conn(args: string[], options?: { input?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** Throws when a canary shows in any file under CONN_HOME or in `extra`. */
  expectCleanFiles(extra?: string[]): void;
}

/** The forms a secret takes on the wire and in files, besides itself. */
export function canaryForms(secrets: string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(Buffer.from(secret).toString('base64').replace(/=+$/, ''));
    forms.add(Buffer.from(secret).toString('base64url'));
  }
  return [...forms];
}

export function startSession(
  home: string,
  canaries: string[],
  env: Record<string, string> = {},
): Session {
  const forms = canaryForms(canaries);
  const sessionEnv = {
    CONN_SECRET_STORE: 'file',
    CONN_PASSPHRASE: 'e2e pass phrase',
    NO_COLOR: '1',
    ...env,
  };
  const check = (places: Record<string, string | Buffer>) => {
    for (const form of forms) {
      try {
        expectNoCanary(form, places);
      } catch (error) {
        throw new Error(`${(error as Error).message}, as '${form}':\n` +
          leakContext(form, places));
      }
    }
  };
  return {
    home,
    env: sessionEnv,
    async conn(args, options = {}) {
      const result = await runConn(args, {
        home,
        env: { ...sessionEnv, ...options.env },
        input: options.input,
        timeoutMs: 20000,
      });
      const label = `conn ${args.join(' ')}`;
      check({ [`${label} stdout`]: result.stdout, [`${label} stderr`]: result.stderr });
      return result;
    },
    expectCleanFiles(extra = []) {
      const places: Record<string, Buffer> = {};
      for (const file of filesUnder(home)) places[file.path] = file.content;
      for (const path of extra) {
        if (!existsSync(path)) throw new Error(`${path} was not written`);
        places[path] = readFileSync(path);
      }
      check(places);
    },
  };
}

/** The text around the first place a canary shows, to say what leaked it. */
function leakContext(form: string, places: Record<string, string | Buffer>): string {
  for (const text of Object.values(places)) {
    const content = Buffer.isBuffer(text) ? text.toString('latin1') : text;
    const at = content.indexOf(form);
    if (at >= 0) return content.slice(Math.max(0, at - 200), at + form.length + 100);
  }
  return '';
}

/** Parses stdout as the one JSON document `--json` promises. */
export function jsonOf<T = unknown>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.code}):\n` +
      `${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** Fails with the command's output when it exited otherwise. */
export function expectExit(result: CliResult, code: number): void {
  if (result.code !== code) {
    throw new Error(`expected exit ${code}, got ${result.code}\nstdout:\n` +
      `${result.stdout}\nstderr:\n${result.stderr}`);
  }
}
