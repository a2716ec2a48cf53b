// Prompts generated from connector fields. @inquirer/prompts is imported
// only here and only when a prompt is shown, so scripted runs never load it.

import type { ConnectorField, FieldValue } from '../connectors/types.js';
import { parseFieldValue } from '../connectors/fields.js';
import type { ConnectorGroup } from '../commands/connectors.js';

type Inquirer = typeof import('@inquirer/prompts');

let inquirer: Promise<Inquirer> | undefined;

function load(): Promise<Inquirer> {
  inquirer ??= import('@inquirer/prompts');
  return inquirer;
}

/**
 * The grouped catalog as a list that typing filters. With a search term the
 * groups give way to one list, best matches first: the id itself, then
 * names that start with the term, then any mention.
 */
export async function pickConnector(groups: ConnectorGroup[]): Promise<string> {
  const { search, Separator } = await load();
  type Choice = { name: string; value: string; description: string };
  const choice = (c: ConnectorGroup['connectors'][number]): Choice => ({
    name: `${c.name} (${c.id})`,
    value: c.id,
    description: c.description,
  });
  return search<string>({
    message: 'Connector (type to filter)',
    pageSize: 15,
    source: (term) => {
      const needle = (term ?? '').trim().toLowerCase();
      if (!needle) {
        return groups.flatMap((group) => [
          new Separator(`── ${group.title}`),
          ...group.connectors.map(choice),
        ]);
      }
      const seen = new Set<string>();
      const ranked: Array<{ rank: number; choice: Choice }> = [];
      for (const c of groups.flatMap((group) => group.connectors)) {
        if (seen.has(c.id)) continue;
        seen.add(c.id);
        const rank = matchRank(needle, c.id, c.name, c.description);
        if (rank !== undefined) ranked.push({ rank, choice: choice(c) });
      }
      return ranked.sort((a, b) => a.rank - b.rank).map((r) => r.choice);
    },
  });
}

function matchRank(
  needle: string,
  id: string,
  name: string,
  description: string,
): number | undefined {
  const lowerName = name.toLowerCase();
  if (id === needle) return 0;
  if (id.startsWith(needle) || lowerName.startsWith(needle)) return 1;
  if (id.includes(needle) || lowerName.includes(needle)) return 2;
  if (description.toLowerCase().includes(needle)) return 3;
  return undefined;
}

export async function askName(validate: (name: string) => string | undefined): Promise<string> {
  const { input } = await load();
  return input({
    message: 'Connection name',
    validate: (value) => validate(value.trim()) ?? true,
  }).then((value) => value.trim());
}

/**
 * Asks for one field. `current` is the default shown (an edit's current
 * value). For a secret, `hasCurrent` says an empty answer keeps the stored one.
 * Returns undefined when the user leaves an optional field empty.
 */
export async function askField(
  field: ConnectorField,
  current: FieldValue | undefined,
  hasCurrent = false,
): Promise<FieldValue | undefined> {
  const prompts = await load();
  const label = field.help ? `${field.label} ${dimText(`(${field.help})`)}` : field.label;
  if (field.type === 'enum' && field.choices) {
    return prompts.select({
      message: label,
      choices: field.choices.map((choice) => ({ name: choice, value: choice })),
      default: String(current ?? field.default ?? field.choices[0]),
    });
  }
  if (field.type === 'boolean') {
    return prompts.confirm({ message: label, default: Boolean(current ?? field.default ?? false) });
  }
  if (field.secret) return askSecret(prompts, field, label, hasCurrent);
  const fallback = current ?? field.default;
  const text = await prompts.input({
    message: label,
    default: fallback === undefined ? undefined : displayValue(fallback),
    validate: (value) => check(field, value),
  });
  return text.trim() === '' ? undefined : valueOf(field, text);
}

async function askSecret(
  prompts: Inquirer,
  field: ConnectorField,
  label: string,
  hasCurrent: boolean,
): Promise<string | undefined> {
  const keep = hasCurrent ? ' (empty keeps the stored value)' : '';
  const value = await prompts.password({
    message: `${label}${keep}`,
    mask: '•',
    validate: (text) => (text === '' && hasCurrent ? true : check(field, text)),
  });
  return value === '' ? undefined : value;
}

/** A connection string, masked: it usually holds the password. */
export async function askConnectionString(
  validate: (text: string) => Promise<string | undefined>,
): Promise<string | undefined> {
  const { password } = await load();
  const text = await password({
    message: 'Connection string (empty to enter the fields one by one)',
    mask: '•',
    validate: async (value) => (await validate(value)) ?? true,
  });
  return text.trim() === '' ? undefined : text.trim();
}

export async function confirm(message: string): Promise<boolean> {
  const { confirm } = await load();
  return confirm({ message, default: false });
}

function check(field: ConnectorField, text: string): string | true {
  if (text.trim() === '') return field.required ? `${field.label} is required` : true;
  const result = parseFieldValue(field, text);
  return 'error' in result ? result.error : true;
}

function valueOf(field: ConnectorField, text: string): FieldValue {
  const result = parseFieldValue(field, text);
  if ('error' in result) throw new Error(result.error);
  return result.value;
}

function displayValue(value: FieldValue): string {
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function dimText(text: string): string {
  return process.stdout.isTTY && !process.env.NO_COLOR ? `\u001b[2m${text}\u001b[22m` : text;
}
