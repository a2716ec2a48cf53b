// The database connector definitions: valid against the schema, the same
// core field keys everywhere, and a password that is always secret.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { connectorProblems } from '../../src/connectors/validate.js';
import { parseConnectionString } from '../../src/connectors/connection-string.js';
import type { ConnectorDefinition } from '../../src/connectors/types.js';

const SQL = ['postgres', 'redshift', 'cockroachdb', 'timescaledb', 'supabase',
  'neon', 'mysql', 'mariadb', 'aurora-mysql', 'planetscale'];

function load(id: string): ConnectorDefinition {
  const path = join(process.cwd(), 'connectors', `${id}.json`);
  return JSON.parse(readFileSync(path, 'utf8')) as ConnectorDefinition;
}

test.each([...SQL, 'redis'])('%s is a valid database connector', (id) => {
  const connector = load(id);
  expect(connectorProblems(connector)).toEqual([]);
  expect(connector.category).toBe('database');
  const keys = connector.fields.map((field) => field.key);
  expect(keys).toEqual(expect.arrayContaining(['host', 'port', 'password',
    'sslMode', 'sslCa', 'sslCert', 'sslKey', 'connectTimeout', 'testQuery']));
  const secret = connector.fields.filter((field) => field.secret).map((f) => f.key);
  expect(secret.sort()).toEqual(['password', 'sslKeyPassphrase']);
});

test.each(SQL)('%s has database and user fields', (id) => {
  const keys = load(id).fields.map((field) => field.key);
  expect(keys).toEqual(expect.arrayContaining(['database', 'user']));
});

test('every field a connection string yields exists on its connector', () => {
  const parsed = parseConnectionString('postgres://u:p@h:1/d?sslmode=require' +
    '&sslrootcert=a&sslcert=b&sslkey=c&connect_timeout=3');
  const keys = load(parsed.connector).fields.map((field) => field.key);
  for (const key of Object.keys(parsed.settings)) expect(keys).toContain(key);
});
