// Every built-in connector is data that must pass the schema, and the
// validator must catch the mistakes a plug-in author makes.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_DIR, loadCatalog } from '../../src/connectors/catalog.js';
import { connectorProblems } from '../../src/connectors/validate.js';
import { hasAdapter } from '../../src/adapters/index.js';

const files = ['', 'apps']
  .flatMap((sub) => {
    try {
      return readdirSync(join(BUILTIN_DIR, sub)).filter((f) => f.endsWith('.json')).map((f) => join(BUILTIN_DIR, sub, f));
    } catch {
      return [];
    }
  });

test.each(files)('%s passes the schema and has an adapter', (file) => {
  const definition = JSON.parse(readFileSync(file, 'utf8'));
  expect(connectorProblems(definition)).toEqual([]);
  expect(hasAdapter(definition.adapter)).toBe(true);
  for (const field of definition.fields) {
    if (field.default !== undefined && field.type === 'enum') expect(field.choices).toContain(field.default);
    if (field.secret) expect(field.default).toBeUndefined();
  }
});

test('the catalog loads every built-in, http and postgres among them', () => {
  const catalog = loadCatalog();
  expect(catalog.all.length).toBe(files.length);
  expect(catalog.get('http')?.category).toBe('universal');
  expect(catalog.get('postgres')?.category).toBe('database');
});

test('the validator names each problem', () => {
  const problems = connectorProblems({
    id: 'Bad Id',
    name: '',
    category: 'nosql',
    description: 'x',
    adapter: 'http',
    fields: [
      { key: 'a', label: 'A', type: 'text' },
      { key: 'a', label: 'A again', type: 'string' },
      { key: 'b', label: 'B', type: 'enum' },
      { key: 'c', label: 'C', type: 'string', pattern: '(' },
      { key: 'd', label: 'D', type: 'string', when: { missing: 'x' } },
    ],
  });
  expect(problems).toEqual(expect.arrayContaining([
    expect.stringContaining('id:'),
    expect.stringContaining('name:'),
    expect.stringContaining('category:'),
    expect.stringContaining('fields[0].type'),
    expect.stringContaining("'a' appears twice"),
    expect.stringContaining('fields[2].choices'),
    expect.stringContaining('fields[3].pattern'),
    expect.stringContaining("unknown field 'missing'"),
  ]));
});

test('a plug-in folder adds connectors; a broken one is exit 3 naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conn-plugins-'));
  try {
    const http = JSON.parse(readFileSync(join(BUILTIN_DIR, 'http.json'), 'utf8'));
    writeFileSync(join(dir, 'acme.json'), JSON.stringify({ ...http, id: 'acme', name: 'Acme API', category: 'application' }));
    expect(loadCatalog([dir]).get('acme')?.source).toBe(dir);
    writeFileSync(join(dir, 'github.json'), JSON.stringify({ ...http, id: 'github', name: 'Not GitHub' }));
    expect(() => loadCatalog([dir])).toThrow(expect.objectContaining({ exitCode: 3, message: expect.stringContaining("built-in id 'github'") }));
    rmSync(join(dir, 'github.json'));
    writeFileSync(join(dir, 'broken.json'), JSON.stringify({ id: 'broken' }));
    expect(() => loadCatalog([dir])).toThrow(expect.objectContaining({ exitCode: 3, message: expect.stringContaining('broken.json') }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
