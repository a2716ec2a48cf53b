// Declares the commands and their options, imports each command's module only
// when it runs, and is the one place that turns an error into an exit code.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';
import { Command, CommanderError, Option } from 'commander';
import { AppContext, type GlobalOptions } from './context.js';
import { CliError, ExitCode } from './errors.js';

type Action = (ctx: AppContext, ...args: any[]) => Promise<number | void>;

let lastCommanderMessage = '';

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  process.on('SIGINT', () => exit(ExitCode.interrupted));
  let code: number;
  try {
    await program.parseAsync(argv);
    code = process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    code = report(error, argv.includes('--json'));
  }
  exit(code);
}

function exit(code: number): void {
  process.exitCode = code;
  // A hung keychain call must not keep the process alive after the answer.
  setTimeout(() => process.exit(code), 200).unref();
}

function buildProgram(): Command {
  const program = new Command('conn')
    .description('Create, store, test and troubleshoot the connections integration work depends on')
    .version(version(), '-V, --version')
    .option('--json', 'print one JSON document on stdout', false)
    .option('--no-input', 'never prompt; fail naming the missing values')
    .option('--no-color', 'no colours (NO_COLOR does the same)')
    .option('-q, --quiet', 'print only what was asked for', false)
    .option('--config <file>', 'use this project config file instead of searching')
    .addOption(new Option('--secret-store <store>', 'where secrets go').choices(['auto', 'keychain', 'file']))
    .showSuggestionAfterError(true)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      outputError: (text) => {
        lastCommanderMessage = text.replace(/^error: /, '').trim();
      },
    });
  declareCommands(program);
  program.addHelpText('after', [
    '',
    'Examples:',
    '  $ conn create                  # pick a connector and answer the prompts',
    '  $ conn list',
    '  $ conn test --all --verbose    # in CI: prove every connection authenticates',
    '  $ conn log api                 # the trace of the last test of api',
    '',
    'Exit codes: 0 ok, 1 a test or operation failed, 2 bad usage or input,',
    '3 broken environment (config, secret store, permissions), 130 interrupted.',
  ].join('\n'));
  return program;
}

function declareCommands(program: Command): void {
  const collect = (value: string, all: string[]) => [...all, value];

  command(program, 'connectors', 'list the connectors conn can create connections for', [
    'conn connectors',
    'conn connectors --category database',
  ])
    .option('--category <category>', 'only this category (database, universal, edi, application)')
    .action(run(async (ctx, opts) => (await import('./commands/connectors.js')).connectors(ctx, opts)));

  const create = command(program, 'create', 'create a connection', [
    'conn create                      # asks for everything on a terminal',
    'conn create http --name api --set baseUrl=https://api.example.com \\',
    '    --set auth=bearer --secret-env token=API_TOKEN',
    "printf '%s' \"$PGPASSWORD\" | conn create postgres --name db \\",
    '    --set host=db.internal --set user=app --secret-stdin password',
    'echo "$DATABASE_URL" | conn create --name db --url-stdin',
  ]).argument('[connector]', 'connector id (see `conn connectors`)');
  valueOptions(create, collect)
    .option('--name <name>', 'the new connection\'s name')
    .option('--url <url>', 'a database connection string (postgres://, mysql://, redis://, ...)')
    .option('--url-stdin', 'read the connection string from standard input (keeps its password out of `ps`)')
    .option('--no-test', 'do not test the connection on save')
    .action(run(async (ctx, connector, opts) =>
      (await import('./commands/create.js')).create(ctx, { ...opts, connector })));

  command(program, 'list', 'list connections and their status', [
    'conn list',
    'conn list --category database --json',
  ])
    .alias('ls')
    .option('--category <category>', 'only connections of this category')
    .option('--connector <id>', 'only connections of this connector')
    .action(run(async (ctx, opts) => (await import('./commands/list.js')).list(ctx, opts)));

  command(program, 'show', 'show a connection\'s settings (secrets masked)', [
    'conn show api',
    'conn show api --json',
  ])
    .argument('<name>')
    .action(run(async (ctx, name) => (await import('./commands/show.js')).show(ctx, { name })));

  const edit = command(program, 'edit', 'change a connection', [
    'conn edit api                    # asks, current values as defaults',
    'conn edit api --set auth=apikey --secret-env apiKey=API_KEY',
  ]).argument('<name>');
  valueOptions(edit, collect)
    .option('--no-test', 'do not test the connection after the change')
    .action(run(async (ctx, name, opts) => (await import('./commands/edit.js')).edit(ctx, { ...opts, name })));

  command(program, 'rename', 'rename a connection (its secrets and run log move with it)', [
    'conn rename api api-prod',
  ])
    .argument('<old>')
    .argument('<new>')
    .action(run(async (ctx, from, to) => (await import('./commands/rename.js')).rename(ctx, { from, to })));

  command(program, 'rm', 'remove connections and their secrets', [
    'conn rm api',
    'conn rm old-1 old-2 --yes        # --yes is needed without a terminal',
  ])
    .alias('remove')
    .argument('<name...>')
    .option('-y, --yes', 'do not ask for confirmation', false)
    .action(run(async (ctx, names, opts) => (await import('./commands/rm.js')).rm(ctx, { ...opts, names })));

  command(program, 'test', 'test connections: do they still authenticate?', [
    'conn test api',
    'conn test --all --verbose',
    'conn test --all --reporter junit --output conn-junit.xml',
  ])
    .argument('[names...]')
    .option('-a, --all', 'test every connection (user and project)', false)
    .option('-v, --verbose', 'print the request/response trace on stderr', false)
    .option('--concurrency <n>', 'tests at once', positiveInt, 8)
    .option('--timeout <seconds>', 'per test (default: the connection\'s timeout, else 30)', positiveNumber)
    .option('--max-body <bytes>', 'cut bodies in the trace after this many bytes', positiveInt, 4096)
    .addOption(new Option('--reporter <format>', 'also write a report').choices(['junit']))
    .option('--output <file>', 'where the report goes')
    .action(run(async (ctx, names, opts) => (await import('./commands/test.js')).test(ctx, { ...opts, names })));

  command(program, 'auth', 'run a connection\'s OAuth 2.0 authorization and keep its tokens', [
    'conn auth api                    # opens a browser, or shows a device code',
    'conn auth api --print-url        # open the URL yourself (or elsewhere)',
    'conn auth api --timeout 120 --verbose',
  ])
    .argument('<name>')
    .option('--print-url', 'show the authorization URL and open no browser', false)
    .option('--timeout <seconds>', 'how long to wait for the browser or device approval (default 300)', positiveNumber)
    .option('-v, --verbose', 'print the token exchange (redacted) on stderr', false)
    .action(run(async (ctx, name, opts) => (await import('./commands/auth.js')).auth(ctx, { ...opts, name })));

  const clients = command(program, 'clients', 'keep shared OAuth clients that connections refer to (clientRef)', [
    'printf %s "$SECRET" | conn clients create acme --set clientId=abc123 \\',
    '    --set issuer=https://login.example.com --secret-stdin clientSecret',
    'conn create http --name api --set auth=oauth2 --set clientRef=acme ...',
    'conn clients list',
  ]);
  const body = async () => (await import('./commands/clients.js')).clients;
  // Alone, like `git remote`, it lists; an unknown subcommand gets a hint.
  clients.argument('[command]', 'create, list, show or rm')
    .action(run(async (ctx, sub) => (await body())(ctx, { action: sub ?? 'list' })));

  command(clients, 'create', 'create a shared OAuth client', [
    'printf %s "$SECRET" | conn clients create acme --set clientId=abc123 \\',
    '    --set tokenUrl=https://login.example.com/oauth/token --secret-stdin clientSecret',
    'conn clients create acme --set clientId=abc123 --secret-env clientSecret=ACME_SECRET',
  ])
    .argument('[name]', 'the client\'s name (or --name)')
    .option('--name <name>', 'the client\'s name')
    .option('--set <key=value>', 'a setting: clientId, issuer, tokenUrl, scopes, ... (repeatable)', collect, [])
    .option('--secret-stdin <key>', 'read the client secret (clientSecret) from standard input')
    .option('--secret-env <key=VAR>', 'read the client secret from an environment variable', collect, [])
    .action(run(async (ctx, name, opts) =>
      (await body())(ctx, { ...opts, action: 'create', name: name ?? opts.name })));

  command(clients, 'list', 'list the shared OAuth clients and who uses them', ['conn clients list --json'])
    .alias('ls')
    .action(run(async (ctx) => (await body())(ctx, { action: 'list' })));

  command(clients, 'show', 'show a shared OAuth client (its secret masked)', ['conn clients show acme'])
    .argument('<name>')
    .action(run(async (ctx, name) => (await body())(ctx, { action: 'show', name })));

  command(clients, 'rm', 'remove a shared OAuth client no connection uses', ['conn clients rm acme'])
    .alias('remove')
    .argument('<name>')
    .action(run(async (ctx, name) => (await body())(ctx, { action: 'rm', name })));

  command(program, 'log', 'show the trace and result of the last tests', [
    'conn log api',
    'conn log api --runs 5 --json',
  ])
    .argument('<name>')
    .option('--runs <n>', 'how many of the last runs', positiveInt, 1)
    .action(run(async (ctx, name, opts) => (await import('./commands/log.js')).log(ctx, { ...opts, name })));

  command(program, 'doctor', 'check the secret store, paths and permissions', ['conn doctor'])
    .action(run(async (ctx) => (await import('./commands/doctor.js')).doctor(ctx)));
}

function valueOptions(cmd: Command, collect: (v: string, all: string[]) => string[]): Command {
  return cmd
    .option('--set <key=value>', 'a plain field value (repeatable)', collect, [])
    .option('--secret-stdin <key>', 'read a secret field from standard input (repeatable: one line each)', collect, [])
    .option('--secret-env <key=VAR>', 'read a secret field from an environment variable (repeatable)', collect, []);
}

function command(parent: Command, name: string, description: string, examples: string[]): Command {
  return parent
    .command(name)
    .description(description)
    .addHelpText('after', `\nExamples:\n${examples.map((line) => `  $ ${line}`).join('\n')}\n`);
}

/** Wraps a command body: builds the context from the global options. */
function run(action: Action) {
  return async (...args: any[]) => {
    const command = args[args.length - 1] as Command;
    const options = command.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
    const ctx = new AppContext(options);
    const positional = args.slice(0, -2);
    const code = await action(ctx, ...positional, command.opts());
    if (typeof code === 'number') process.exitCode = code;
  };
}

function report(error: unknown, json: boolean): number {
  if (error instanceof CommanderError) return reportCommander(error, json);
  if (isPromptExit(error)) return ExitCode.interrupted;
  if (error instanceof CliError) {
    render(json, error.code, error.message, error.hint, error.exitCode);
    return error.exitCode;
  }
  process.stderr.write(`conn: unexpected error (a bug; please report it)\n${(error as Error)?.stack ?? error}\n`);
  return ExitCode.failed;
}

function reportCommander(error: CommanderError, json: boolean): number {
  if (error.exitCode === 0) return 0; // --help, --version
  const message = lastCommanderMessage || error.message;
  const [first, ...rest] = message.split('\n');
  const suggestion = rest.join(' ').trim().replace(/^\((.*)\)$/, '$1');
  const hint = suggestion ? suggestion.replace(/^Did/, 'did') : 'see `conn --help`';
  render(json, error.code.replace('commander.', ''), first, hint, ExitCode.usage);
  return ExitCode.usage;
}

function render(json: boolean, code: string, message: string, hint: string | undefined, exitCode: number): void {
  if (json) {
    process.stdout.write(JSON.stringify({ error: { code, message, hint, exitCode } }, null, 2) + '\n');
    return;
  }
  const color = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR && !process.argv.includes('--no-color');
  const red = (s: string) => (color ? `\u001b[31m${s}\u001b[39m` : s);
  process.stderr.write(`${red('error:')} ${message}\n`);
  if (hint) process.stderr.write(`hint: ${hint}\n`);
}

function isPromptExit(error: unknown): boolean {
  return (error as Error)?.name === 'ExitPromptError' || (error as Error)?.name === 'AbortPromptError';
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CommanderError(2, 'conn.badNumber', `'${value}' is not a positive whole number`);
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CommanderError(2, 'conn.badNumber', `'${value}' is not a positive number`);
  return n;
}

function version(): string {
  const file = join(packageRoot(), 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
