// A small declarative command-line parser on top of node:util's parseArgs.
// conn starts on every CI step and in every script; commander costs about
// 30 ms before the first line runs (it loads child_process and parses 100 KB
// of JavaScript), so the commands are declared as data here instead: options,
// arguments, examples, help and "did you mean" suggestions.

import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { suggestion } from './suggest.js';

export interface OptionSpec {
  /** `--name <value>`, `-y, --yes`, `--no-test`, `--set <key=value>`. */
  flag: string;
  description: string;
  multiple?: boolean;
  default?: unknown;
  choices?: string[];
  /** Turns the text into the value; throws UsageError when it is wrong. */
  parse?: (text: string, flag: string) => unknown;
}

export interface CommandSpec {
  name: string;
  aliases?: string[];
  summary: string;
  /** `<name>`, `[connector]`, `<name...>`, `[names...]`. */
  args?: string[];
  options?: OptionSpec[];
  examples?: string[];
  subcommands?: CommandSpec[];
  run?: (args: unknown[], options: Record<string, unknown>) => Promise<number | void>;
}

export interface ProgramSpec {
  name: string;
  summary: string;
  version: () => string;
  options: OptionSpec[];
  commands: CommandSpec[];
  epilogue: string[];
}

export type Parsed =
  | { kind: 'help'; text: string }
  | { kind: 'version'; text: string }
  | { kind: 'run'; command: CommandSpec; args: unknown[]; options: Record<string, unknown> };

interface Flag {
  long: string;
  short?: string;
  value?: string;
  negated: boolean;
  key: string;
}

export function parseFlag(flag: string): Flag {
  const match = /^(?:-(\w), )?--([\w-]+)(?: ([<[].*[>\]]))?$/.exec(flag);
  if (!match) throw new Error(`bad option declaration '${flag}'`);
  const [, short, long, value] = match;
  const negated = long.startsWith('no-');
  const bare = negated ? long.slice(3) : long;
  return { long, short, value, negated, key: camel(bare) };
}

function camel(text: string): string {
  return text.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());
}

export function parse(program: ProgramSpec, argv: string[]): Parsed {
  // `conn help create` reads as `conn create --help`.
  if (argv[0] === 'help') return parse(program, [...argv.slice(1), '--help']);
  const globals = program.options.map((o) => ({ spec: o, flag: parseFlag(o.flag) }));
  const { path, rest } = findCommand(program, argv);
  const command = path[path.length - 1];
  if (rest.includes('--help') || rest.includes('-h') || !command?.run) {
    if (!command && rest.some((t) => !t.startsWith('-')))
      throw unknownCommand(
        program,
        rest.find((t) => !t.startsWith('-'))!,
      );
    if (command && !command.run && !rest.includes('--help') && !rest.includes('-h')) {
      const name = rest.find((t) => !t.startsWith('-'));
      if (name) throw unknownCommand(program, name, command);
    }
    if (!command && (rest.includes('--version') || rest.includes('-V'))) {
      return { kind: 'version', text: program.version() };
    }
    if (!command) {
      // `conn --jsn`: an unknown option is an error even without a command.
      const known = (t: string) => ['--help', '-h'].includes(t);
      readOptions(globals, rest.filter((t) => !known(t)));
    }
    return { kind: 'help', text: command ? commandHelp(program, path) : programHelp(program) };
  }
  const local = (command.options ?? []).map((o) => ({ spec: o, flag: parseFlag(o.flag) }));
  const all = [...globals, ...local];
  const values = readOptions(all, rest);
  const args = readArguments(command, values.positionals, path);
  return { kind: 'run', command, args, options: values.options };
}

function findCommand(
  program: ProgramSpec,
  argv: string[],
): { path: CommandSpec[]; rest: string[] } {
  const path: CommandSpec[] = [];
  const rest = [...argv];
  let choices = program.commands;
  for (let index = 0; index < rest.length; index++) {
    const token = rest[index];
    if (token === '--') break;
    if (token.startsWith('-')) {
      if (takesValue(program, path, token) && !token.includes('=')) index++;
      continue;
    }
    const found = choices.find((c) => c.name === token || c.aliases?.includes(token));
    if (!found) {
      if (path.length === 0 || path[path.length - 1].subcommands)
        throw unknownCommand(program, token, path[path.length - 1]);
      break;
    }
    path.push(found);
    rest.splice(index, 1);
    index--;
    if (!found.subcommands) break;
    choices = found.subcommands;
  }
  return { path, rest };
}

/** Whether an option before the command name takes the next token as its value. */
function takesValue(program: ProgramSpec, path: CommandSpec[], token: string): boolean {
  const specs = [...program.options, ...(path[path.length - 1]?.options ?? [])];
  return specs.some((o) => {
    const flag = parseFlag(o.flag);
    return flag.value !== undefined && (token === `--${flag.long}` || token === `-${flag.short}`);
  });
}

function unknownCommand(program: ProgramSpec, name: string, parent?: CommandSpec): UsageError {
  const names = (parent?.subcommands ?? program.commands).flatMap((c) => [
    c.name,
    ...(c.aliases ?? []),
  ]);
  const where = parent ? `conn ${parent.name}` : 'conn';
  return new UsageError(
    `unknown command '${name}'`,
    `${suggestion(name, names)}\`${where} --help\` lists the commands`,
    'unknown-command',
  );
}

interface Declared {
  spec: OptionSpec;
  flag: Flag;
}

function readOptions(declared: Declared[], tokens: string[]) {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> =
    {};
  for (const { spec, flag } of declared) {
    config[flag.long] = { type: flag.value ? 'string' : 'boolean' };
    if (flag.short) config[flag.long].short = flag.short;
    if (spec.multiple) config[flag.long].multiple = true;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: tokens, options: config, allowPositionals: true, strict: true });
  } catch (error) {
    throw optionError(error as Error & { code?: string }, declared);
  }
  const options: Record<string, unknown> = {};
  for (const { spec, flag } of declared) {
    const raw = parsed.values[flag.long];
    options[flag.key] = raw === undefined ? defaultOf(spec, flag) : valueOf(spec, flag, raw);
  }
  return { options, positionals: parsed.positionals };
}

function defaultOf(spec: OptionSpec, flag: Flag): unknown {
  if (spec.default !== undefined) return spec.default;
  if (flag.negated) return true;
  if (spec.multiple) return [];
  return flag.value ? undefined : false;
}

function valueOf(spec: OptionSpec, flag: Flag, raw: unknown): unknown {
  if (flag.negated) return false;
  const convert = (text: unknown) => {
    if (typeof text !== 'string') return text;
    if (spec.choices && !spec.choices.includes(text)) {
      throw new UsageError(
        `option '--${flag.long}' does not take '${text}'`,
        `use one of ${spec.choices.join(', ')}`,
        'bad-option-value',
      );
    }
    return spec.parse ? spec.parse(text, `--${flag.long}`) : text;
  };
  return Array.isArray(raw) ? raw.map(convert) : convert(raw);
}

function optionError(error: Error & { code?: string }, declared: Declared[]): UsageError {
  const message = error.message.split('\n')[0];
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) {
    const names = [...declared.map(({ flag }) => `--${flag.long}`), '--help', '--version'];
    return new UsageError(
      `unknown option '${unknown[1]}'`,
      `${suggestion(unknown[1], names)}\`--help\` lists the options`,
      'unknown-option',
    );
  }
  const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message);
  if (missing) {
    const flag = declared.find((d) => `--${d.flag.long}` === missing[1]);
    return new UsageError(
      `option '${missing[1]} ${flag?.flag.value ?? '<value>'}' needs a value`,
      'see `--help`',
      'missing-option-value',
    );
  }
  // parseArgs puts its advice on the lines after the first.
  const advice = error.message.split('\n').slice(1).join(' ').trim();
  return new UsageError(message.replace(/^Option/, 'option'), advice || 'see `--help`', 'bad-option');
}

function readArguments(
  command: CommandSpec,
  positionals: string[],
  path: CommandSpec[],
): unknown[] {
  const specs = command.args ?? [];
  const values: unknown[] = [];
  let index = 0;
  const usage = `conn ${path.map((c) => c.name).join(' ')} ${specs.join(' ')}`.trim();
  for (const spec of specs) {
    const required = spec.startsWith('<');
    const variadic = spec.includes('...');
    if (variadic) {
      const taken = positionals.slice(index);
      index = positionals.length;
      if (required && taken.length === 0) throw missingArgument(spec, usage);
      values.push(taken);
    } else {
      const taken = positionals[index++];
      if (required && taken === undefined) throw missingArgument(spec, usage);
      values.push(taken);
    }
  }
  if (index < positionals.length) {
    throw new UsageError(
      `too many arguments: '${positionals.slice(index).join(' ')}'`,
      `usage: ${usage}`,
      'too-many-arguments',
    );
  }
  return values;
}

function missingArgument(spec: string, usage: string): UsageError {
  return new UsageError(`missing argument ${spec}`, `usage: ${usage}`, 'missing-argument');
}

function programHelp(program: ProgramSpec): string {
  const commands = program.commands.map((c) => {
    const names = [c.name, ...(c.aliases ?? [])].join('|');
    return [`${names} ${(c.args ?? []).join(' ')}`.trim(), c.summary] as [string, string];
  });
  return [
    `Usage: ${program.name} [options] <command>`,
    '',
    program.summary,
    '',
    'Commands:',
    ...columns(commands),
    '',
    'Options:',
    ...columns([
      ...program.options.map(optionRow),
      ['-V, --version', 'print the version'],
      ['-h, --help', 'show help (also: conn help <command>)'],
    ]),
    '',
    ...program.epilogue,
  ].join('\n');
}

function commandHelp(program: ProgramSpec, path: CommandSpec[]): string {
  const command = path[path.length - 1];
  const name = `${program.name} ${path.map((c) => c.name).join(' ')}`;
  const lines = [
    `Usage: ${name} ${command.subcommands ? '<command>' : '[options]'} ${(command.args ?? []).join(' ')}`.trimEnd(),
    '',
    command.summary,
  ];
  if (command.aliases?.length) lines.push('', `Aliases: ${command.aliases.join(', ')}`);
  if (command.subcommands) {
    lines.push(
      '',
      'Commands:',
      ...columns(
        command.subcommands.map((c) => [`${c.name} ${(c.args ?? []).join(' ')}`.trim(), c.summary]),
      ),
    );
  }
  if (command.options?.length)
    lines.push('', 'Options:', ...columns(command.options.map(optionRow)));
  lines.push('', 'Global options:', ...columns(program.options.map(optionRow)));
  if (command.examples?.length) {
    // A line that starts with spaces continues the example above it.
    lines.push(
      '',
      'Examples:',
      ...command.examples.map((e) => (e.startsWith(' ') ? `  ${e}` : `  $ ${e}`)),
    );
  }
  return lines.join('\n');
}

function optionRow(option: OptionSpec): [string, string] {
  const extras: string[] = [];
  if (option.choices) extras.push(`one of: ${option.choices.join(', ')}`);
  if (option.default !== undefined && typeof option.default !== 'boolean')
    extras.push(`default: ${option.default}`);
  if (option.multiple) extras.push('repeatable');
  const suffix = extras.length ? ` (${extras.join('; ')})` : '';
  return [
    option.flag.startsWith('-') && !option.flag.startsWith('--')
      ? option.flag
      : `    ${option.flag}`,
    option.description + suffix,
  ];
}

function columns(rows: Array<[string, string]>): string[] {
  const width = Math.min(32, Math.max(...rows.map(([left]) => left.length)));
  return rows.map(([left, right]) => {
    const pad =
      left.length > width ? `\n  ${' '.repeat(width + 2)}` : ' '.repeat(width - left.length + 2);
    return `  ${left}${pad}${right}`;
  });
}
