// The connector model. A connector definition is data (a JSON file in
// connectors/ or a plug-in folder) of this shape, checked by validate.ts when
// it is loaded. Prompts, flags and validation are generated from its fields.

export type Category = 'database' | 'universal' | 'edi' | 'application';

export const CATEGORIES: readonly Category[] = [
  'database',
  'universal',
  'edi',
  'application',
];

export const CATEGORY_TITLES: Record<Category, string> = {
  database: 'Databases',
  universal: 'Universal',
  edi: 'EDI trading partners',
  application: 'Applications',
};

export type FieldType =
  | 'string'
  | 'number'
  | 'boolean'
  | 'enum'
  | 'url'
  | 'file'
  | 'json';

export type FieldValue = string | number | boolean | unknown[] | object;

/**
 * When a field applies: every key names another field, and the field applies
 * when that field's value is the given one (or one of the given list).
 * Example: `{ "auth": ["basic", "digest"] }`.
 */
export type FieldCondition = Record<string, string | number | boolean | Array<string | number | boolean>>;

export interface ConnectorField {
  key: string;
  label: string;
  type: FieldType;
  /** Secret values live in the secret store, never in the connections file. */
  secret?: boolean;
  required?: boolean;
  default?: FieldValue;
  /** A regular expression (source text) a string value must match. */
  pattern?: string;
  /** Choices for `enum` fields. */
  choices?: string[];
  /** Bounds for `number` fields. */
  min?: number;
  max?: number;
  example?: string;
  help?: string;
  when?: FieldCondition;
  /** Asked only when the user wants more (not prompted by default). */
  advanced?: boolean;
}

export interface ConnectorDefinition {
  id: string;
  name: string;
  category: Category;
  description: string;
  docs?: string;
  /** The adapter module that tests connections of this connector. */
  adapter: string;
  /** Adapter settings fixed by the connector (presets, test requests). */
  settings?: Record<string, unknown>;
  fields: ConnectorField[];
  /** Where the definition came from: `builtin` or a plug-in path. */
  source?: string;
}

export type Settings = Record<string, FieldValue>;
export type Secrets = Record<string, string>;
