// The two kinds of error conn knows: a CliError is a user's problem (bad
// input, a failed test, a broken environment) and carries its exit code and
// a hint; anything else is a bug and gets a stack trace from main.ts.

export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  environment: 3,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    readonly hint?: string,
    /** A stable machine-readable name for `--json` errors. */
    readonly code = 'failed',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad usage or bad input: exit 2. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string, code = 'usage') {
    super(message, ExitCode.usage, hint, code);
  }
}

/** The environment is broken (config, secret store, permissions): exit 3. */
export class EnvironmentError extends CliError {
  constructor(message: string, hint?: string, code = 'environment') {
    super(message, ExitCode.environment, hint, code);
  }
}

/** The operation failed (a test failed, a server said no): exit 1. */
export class OperationError extends CliError {
  constructor(message: string, hint?: string, code = 'failed') {
    super(message, ExitCode.failed, hint, code);
  }
}

/** Ctrl-C, in a prompt or during work: exit 130, quietly. */
export class InterruptedError extends CliError {
  constructor() {
    super('interrupted', ExitCode.interrupted, undefined, 'interrupted');
  }
}
