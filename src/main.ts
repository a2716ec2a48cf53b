// Declares the commands and their options, imports each command's module only
// when it runs, and is the one place that turns an error into an exit code.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type CommandSpec, type OptionSpec, type ProgramSpec } from './cli.js';
import type { AppContext, GlobalOptions } from './context.js';
import { CliError, ExitCode, UsageError } from './errors.js';
import { packageRoot } from './package-root.js';
import { isTerminal, write } from './ui/output.js';

export async function main(argv: string[]): Promise<void> {
  process.on('SIGINT', () => exit(ExitCode.interrupted));
  let code: number;
  try {
    code = await run(argv.slice(2));
  } catch (error) {
    code = report(error, argv.includes('--json'));
  }
  exit(code);
}

async function run(argv: string[]): Promise<number> {
  const parsed = parse(program, argv);
  if (parsed.kind !== 'run') {
    write(1, parsed.text + '\n');
    return ExitCode.ok;
  }
  // The context (store, catalog, output) loads only for a command that runs:
  // --help and --version stay as cheap as Node itself.
  const { AppContext } = await import('./context.js');
  const ctx = new AppContext(parsed.options as unknown as GlobalOptions);
  const code = await parsed.command.run!(parsed.args, { ...parsed.options, ctx });
  return typeof code === 'number' ? code : ExitCode.ok;
}

function exit(code: number): void {
  process.exitCode = code;
  // A hung keychain call must not keep the process alive after the answer.
  setTimeout(() => process.exit(code), 200).unref();
}

type Options = Record<string, unknown> & { ctx: AppContext };
type Body = (args: any[], options: Options) => Promise<number | void>;

/** A command whose body lives in its own module, imported when it runs. */
function lazy(body: Body): CommandSpec['run'] {
  return (args, options) => body(args, options as Options);
}

const positiveInt = (text: string, flag: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(
      `${flag} takes a positive whole number, not '${text}'`,
      `example: ${flag} 8`,
      'bad-option-value',
    );
  }
  return n;
};

const positiveNumber = (text: string, flag: string): number => {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(
      `${flag} takes a positive number, not '${text}'`,
      `example: ${flag} 10`,
      'bad-option-value',
    );
  }
  return n;
};

const valueOptions: OptionSpec[] = [
  { flag: '--set <key=value>', description: 'a plain field value', multiple: true },
  {
    flag: '--secret-stdin <key>',
    description: 'read a secret field from standard input (several: one line each)',
    multiple: true,
  },
  {
    flag: '--secret-env <key=VAR>',
    description: 'read a secret field from an environment variable',
    multiple: true,
  },
];

const clientCommands: CommandSpec[] = [
  {
    name: 'create',
    summary: 'create a shared OAuth client',
    args: ['[name]'],
    options: [
      { flag: '--name <name>', description: "the client's name" },
      {
        flag: '--set <key=value>',
        description: 'a setting: clientId, issuer, tokenUrl, scopes, ...',
        multiple: true,
      },
      {
        flag: '--secret-stdin <key>',
        description: 'read the client secret (clientSecret) from standard input',
      },
      {
        flag: '--secret-env <key=VAR>',
        description: 'read the client secret from an environment variable',
        multiple: true,
      },
    ],
    examples: [
      'printf %s "$SECRET" | conn clients create acme --set clientId=abc123 \\',
      '    --set tokenUrl=https://login.example.com/oauth/token --secret-stdin clientSecret',
      'conn clients create acme --set clientId=abc123 --secret-env clientSecret=ACME_SECRET',
    ],
    run: lazy(async ([name], o) =>
      (await import('./commands/clients.js')).clients(o.ctx, {
        action: 'create',
        name: (name as string | undefined) ?? (o.name as string | undefined),
        set: o.set as string[],
        secretStdin: o.secretStdin as string | undefined,
        secretEnv: o.secretEnv as string[],
      }),
    ),
  },
  {
    name: 'list',
    aliases: ['ls'],
    summary: 'list the shared OAuth clients and who uses them',
    examples: ['conn clients list --json'],
    run: lazy(async (_, o) =>
      (await import('./commands/clients.js')).clients(o.ctx, { action: 'list' }),
    ),
  },
  {
    name: 'show',
    summary: 'show a shared OAuth client (its secret masked)',
    args: ['<name>'],
    examples: ['conn clients show acme'],
    run: lazy(async ([name], o) =>
      (await import('./commands/clients.js')).clients(o.ctx, {
        action: 'show',
        name: name as string,
      }),
    ),
  },
  {
    name: 'rm',
    aliases: ['remove'],
    summary: 'remove a shared OAuth client no connection uses',
    args: ['<name>'],
    examples: ['conn clients rm acme'],
    run: lazy(async ([name], o) =>
      (await import('./commands/clients.js')).clients(o.ctx, {
        action: 'rm',
        name: name as string,
      }),
    ),
  },
];

const commands: CommandSpec[] = [
  {
    name: 'connectors',
    summary: 'list the connectors conn can create connections for',
    options: [
      {
        flag: '--category <category>',
        description: 'only this category (database, universal, edi, application)',
      },
    ],
    examples: ['conn connectors', 'conn connectors --category database'],
    run: lazy(async (_, o) =>
      (await import('./commands/connectors.js')).connectors(o.ctx, o as never),
    ),
  },
  {
    name: 'create',
    summary: 'create a connection',
    args: ['[connector]'],
    options: [
      ...valueOptions,
      { flag: '--name <name>', description: "the new connection's name" },
      {
        flag: '--url <url>',
        description: 'a database connection string (postgres://, mysql://, redis://, ...)',
      },
      {
        flag: '--url-stdin',
        description:
          'read the connection string from standard input (keeps its password out of `ps`)',
      },
      { flag: '--no-test', description: 'do not test the connection on save' },
    ],
    examples: [
      'conn create                      # asks for everything on a terminal',
      'conn create http --name api --set baseUrl=https://api.example.com \\',
      '    --set auth=bearer --set testPath=/me --secret-env token=API_TOKEN',
      'printf \'%s\' "$PGPASSWORD" | conn create postgres --name db \\',
      '    --set host=db.internal --set user=app --secret-stdin password',
      'echo "$DATABASE_URL" | conn create --name db --url-stdin',
    ],
    run: lazy(async ([connector], o) =>
      (await import('./commands/create.js')).create(o.ctx, { ...o, connector } as never),
    ),
  },
  {
    name: 'list',
    aliases: ['ls'],
    summary: 'list connections and their status',
    options: [
      { flag: '--category <category>', description: 'only connections of this category' },
      { flag: '--connector <id>', description: 'only connections of this connector' },
    ],
    examples: ['conn list', 'conn list --category database --json'],
    run: lazy(async (_, o) => (await import('./commands/list.js')).list(o.ctx, o as never)),
  },
  {
    name: 'show',
    summary: "show a connection's settings (secrets masked)",
    args: ['<name>'],
    examples: ['conn show api', 'conn show api --json'],
    run: lazy(async ([name], o) => (await import('./commands/show.js')).show(o.ctx, { name })),
  },
  {
    name: 'edit',
    summary: 'change a connection',
    args: ['<name>'],
    options: [
      ...valueOptions,
      { flag: '--no-test', description: 'do not test the connection after the change' },
    ],
    examples: [
      'conn edit api                    # asks, current values as defaults',
      'conn edit api --set auth=apikey --secret-env apiKey=API_KEY',
    ],
    run: lazy(async ([name], o) =>
      (await import('./commands/edit.js')).edit(o.ctx, { ...o, name } as never),
    ),
  },
  {
    name: 'rename',
    summary: 'rename a connection (its secrets and run log move with it)',
    args: ['<old>', '<new>'],
    examples: ['conn rename api api-prod'],
    run: lazy(async ([from, to], o) =>
      (await import('./commands/rename.js')).rename(o.ctx, { from, to }),
    ),
  },
  {
    name: 'rm',
    aliases: ['remove'],
    summary: 'remove connections and their secrets',
    args: ['<name...>'],
    options: [{ flag: '-y, --yes', description: 'do not ask for confirmation' }],
    examples: [
      'conn rm api',
      'conn rm old-1 old-2 --yes        # --yes is needed without a terminal',
    ],
    run: lazy(async ([names], o) =>
      (await import('./commands/rm.js')).rm(o.ctx, { names, yes: o.yes as boolean }),
    ),
  },
  {
    name: 'test',
    summary: 'test connections: do they still authenticate?',
    args: ['[names...]'],
    options: [
      { flag: '-a, --all', description: 'test every connection (user and project)' },
      { flag: '-v, --verbose', description: 'print the request/response trace on stderr' },
      { flag: '--concurrency <n>', description: 'tests at once', default: 8, parse: positiveInt },
      {
        flag: '--timeout <seconds>',
        description: "per test (default: the connection's timeout, else 30)",
        parse: positiveNumber,
      },
      {
        flag: '--max-body <bytes>',
        description: 'cut bodies in the trace after this many bytes',
        default: 4096,
        parse: positiveInt,
      },
      { flag: '--reporter <format>', description: 'also write a report', choices: ['junit'] },
      { flag: '--output <file>', description: 'where the report goes' },
    ],
    examples: [
      'conn test api',
      'conn test --all --verbose',
      'conn test --all --reporter junit --output conn-junit.xml',
    ],
    run: lazy(async ([names], o) =>
      (await import('./commands/test.js')).test(o.ctx, { ...o, names } as never),
    ),
  },
  {
    name: 'log',
    summary: 'show the trace and result of the last tests',
    args: ['<name>'],
    options: [
      {
        flag: '--runs <n>',
        description: 'how many of the last runs',
        default: 1,
        parse: positiveInt,
      },
    ],
    examples: ['conn log api', 'conn log api --runs 5 --json'],
    run: lazy(async ([name], o) =>
      (await import('./commands/log.js')).log(o.ctx, { name, runs: o.runs as number }),
    ),
  },
  {
    name: 'auth',
    summary: "run a connection's OAuth 2.0 authorization and keep its tokens",
    args: ['<name>'],
    options: [
      { flag: '--print-url', description: 'show the authorization URL and open no browser' },
      {
        flag: '--timeout <seconds>',
        description: 'how long to wait for the browser or device approval (default 300)',
        parse: positiveNumber,
      },
      { flag: '-v, --verbose', description: 'print the token exchange (redacted) on stderr' },
    ],
    examples: [
      'conn auth api                    # opens a browser, or shows a device code',
      'conn auth api --print-url        # open the URL yourself (or elsewhere)',
      'conn auth api --timeout 120 --verbose',
    ],
    run: lazy(async ([name], o) =>
      (await import('./commands/auth.js')).auth(o.ctx, {
        name: name as string,
        printUrl: o.printUrl as boolean,
        timeout: o.timeout as number | undefined,
        verbose: o.verbose as boolean,
      }),
    ),
  },
  {
    name: 'clients',
    summary: 'keep shared OAuth clients that connections refer to (clientRef)',
    subcommands: clientCommands,
    // Alone, like `git remote`, it lists.
    run: lazy(async (_, o) =>
      (await import('./commands/clients.js')).clients(o.ctx, { action: 'list' }),
    ),
    examples: [
      'printf %s "$SECRET" | conn clients create acme --set clientId=abc123 \\',
      '    --set issuer=https://login.example.com --secret-stdin clientSecret',
      'conn create http --name api --set auth=oauth2 --set clientRef=acme ...',
      'conn clients list',
    ],
  },
  {
    name: 'doctor',
    summary: 'check the secret store, paths and permissions',
    examples: ['conn doctor', 'conn doctor --json'],
    run: lazy(async (_, o) => (await import('./commands/doctor.js')).doctor(o.ctx)),
  },
];

const program: ProgramSpec = {
  name: 'conn',
  summary: 'Create, store, test and troubleshoot the connections integration work depends on.',
  version,
  options: [
    { flag: '--json', description: 'print one JSON document on stdout' },
    { flag: '--no-input', description: 'never prompt; fail naming the missing values' },
    { flag: '--no-color', description: 'no colours (NO_COLOR does the same)' },
    { flag: '-q, --quiet', description: 'print only what was asked for' },
    { flag: '--config <file>', description: 'use this project config file instead of searching' },
    {
      flag: '--secret-store <store>',
      description: 'where secrets go',
      choices: ['auto', 'keychain', 'file'],
    },
  ],
  commands,
  epilogue: [
    'Examples:',
    '  $ conn create                  # pick a connector and answer the prompts',
    '  $ conn list',
    '  $ conn test --all --verbose    # in CI: prove every connection authenticates',
    '  $ conn log api                 # the trace of the last test of api',
    '',
    'Exit codes: 0 ok, 1 a test or operation failed, 2 bad usage or input,',
    '3 broken environment (config, secret store, permissions), 130 interrupted.',
  ],
};

function report(error: unknown, json: boolean): number {
  if (isPromptExit(error)) return ExitCode.interrupted;
  if (error instanceof CliError) {
    render(json, error.code, error.message, error.hint, error.exitCode);
    return error.exitCode;
  }
  // A bug: the stack goes to stderr; --json still gets its one document.
  write(2, `conn: unexpected error (a bug; please report it)\n${(error as Error)?.stack ?? error}\n`);
  if (json) render(true, 'bug', 'unexpected error (a bug); the stack trace is on stderr', undefined, ExitCode.failed);
  return ExitCode.failed;
}

function render(
  json: boolean,
  code: string,
  message: string,
  hint: string | undefined,
  exitCode: number,
): void {
  if (json) {
    write(1, JSON.stringify({ error: { code, message, hint, exitCode } }, null, 2) + '\n');
    return;
  }
  const color = isTerminal(2) && !process.env.NO_COLOR && !process.argv.includes('--no-color');
  const red = (s: string) => (color ? `\u001b[31m${s}\u001b[39m` : s);
  write(2, `${red('error:')} ${message}\n`);
  if (hint) write(2, `hint: ${hint}\n`);
}

function isPromptExit(error: unknown): boolean {
  return (
    (error as Error)?.name === 'ExitPromptError' || (error as Error)?.name === 'AbortPromptError'
  );
}

function version(): string {
  const file = join(packageRoot(), 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
