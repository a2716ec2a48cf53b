// The foundation commands end to end: the built binary in a temporary
// CONN_HOME, checking stdout, stderr, exit codes and the files written.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, runConn, tempDir } from '../helpers/cli.js';

let home: string;
const env = { CONN_SECRET_STORE: 'file', CONN_PASSPHRASE: 'correct horse battery' };
const conn = (args: string[], input?: string) => runConn(args, { home, env, input });

beforeEach(() => {
  home = tempDir();
});
afterEach(() => removeDir(home));

test('--help lists the commands with examples, --version prints the version', async () => {
  const help = await conn(['--help']);
  expect(help.code).toBe(0);
  for (const name of ['create', 'list', 'show', 'edit', 'rename', 'rm', 'test', 'log', 'connectors', 'doctor']) {
    expect(help.stdout).toContain(name);
  }
  const createHelp = await conn(['create', '--help']);
  expect(createHelp.stdout).toContain('Examples:');
  expect(createHelp.stdout).toContain('--secret-stdin');
  const version = await conn(['--version']);
  expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
});

test('an unknown command or option suggests the nearest one, exit 2', async () => {
  const command = await conn(['lsit']);
  expect(command.code).toBe(2);
  expect(command.stderr).toContain('list');
  const option = await conn(['list', '--jsn']);
  expect(option.code).toBe(2);
  expect(option.stderr).toContain('--json');
  const json = await conn(['lsit', '--json']);
  expect(JSON.parse(json.stdout).error.exitCode).toBe(2);
});

test('an empty list says how to create the first connection', async () => {
  const result = await conn(['list']);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('conn create');
  expect(JSON.parse((await conn(['list', '--json'])).stdout)).toEqual([]);
});

test('create, list, show, edit, rename and rm a connection', async () => {
  const created = await conn(['create', 'http', '--name', 'api', '--set', 'baseUrl=https://api.example.com',
    '--set', 'auth=bearer', '--secret-stdin', 'token'], 'tok-123\n');
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  expect(created.stdout).toContain("Created connection 'api'");

  const list = JSON.parse((await conn(['list', '--json'])).stdout);
  expect(list).toEqual([expect.objectContaining({ name: 'api', connector: 'http', category: 'universal', status: 'untested', source: 'user' })]);
  const table = await conn(['list']);
  expect(table.stdout).toMatch(/NAME\s+CONNECTOR\s+CATEGORY\s+STATUS\s+LAST TESTED\s+SOURCE/);
  expect(table.stdout).toMatch(/api\s+http\s+universal\s+untested/);

  const shown = JSON.parse((await conn(['show', 'api', '--json'])).stdout);
  expect(shown.settings).toMatchObject({ baseUrl: 'https://api.example.com', auth: 'bearer' });
  expect(shown.secrets).toEqual({ token: 'stored' });

  const edited = await conn(['edit', 'api', '--set', 'auth=basic', '--set', 'username=ann', '--secret-env', 'password=PW'].concat([]), undefined);
  expect(edited.code).toBe(2);
  expect(edited.stderr).toContain('PW');
  const edited2 = await runConn(['edit', 'api', '--set', 'auth=basic', '--set', 'username=ann', '--secret-env', 'password=PW'],
    { home, env: { ...env, PW: 'pw-456' } });
  expect(edited2.code).toBe(0);
  const afterEdit = JSON.parse((await conn(['show', 'api', '--json'])).stdout);
  expect(afterEdit.settings).toMatchObject({ baseUrl: 'https://api.example.com', auth: 'basic', username: 'ann' });
  expect(afterEdit.secrets).toEqual({ password: 'stored' });

  expect((await conn(['rename', 'api', 'api-prod'])).code).toBe(0);
  expect(JSON.parse((await conn(['list', '--json'])).stdout).map((c: { name: string }) => c.name)).toEqual(['api-prod']);

  const refused = await conn(['rm', 'api-prod']);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('--yes');
  expect((await conn(['rm', 'api-prod', '--yes'])).code).toBe(0);
  expect(JSON.parse((await conn(['list', '--json'])).stdout)).toEqual([]);
});

test('connectors are grouped: recently used first, then the categories', async () => {
  await conn(['create', 'postgres', '--name', 'db', '--set', 'user=app', '--no-test']);
  const groups = JSON.parse((await conn(['connectors', '--json'])).stdout);
  expect(groups.map((g: { title: string }) => g.title).slice(0, 3)).toEqual(['Recently used', 'Databases', 'Universal']);
  expect(groups[0].connectors.map((c: { id: string }) => c.id)).toEqual(['postgres']);
  const databases = JSON.parse((await conn(['connectors', '--category', 'database', '--json'])).stdout);
  expect(databases.every((g: { connectors: Array<{ category: string }> }) =>
    g.connectors.every((c) => c.category === 'database'))).toBe(true);
  const human = await conn(['connectors']);
  expect(human.stdout).toContain('Databases');
  expect(human.stdout).toContain('Universal');
});

test('files are 0600 in 0700 folders, with a schema version', async () => {
  await conn(['create', 'postgres', '--name', 'db', '--set', 'user=app', '--secret-stdin', 'password', '--no-test'], 's3cret');
  const file = join(home, 'connections.json');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(statSync(join(home, 'secrets.json')).mode & 0o777).toBe(0o600);
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  expect(doc.version).toBe(1);
  expect(doc.connections.db.settings).toMatchObject({ host: 'localhost', port: 5432, database: 'postgres', user: 'app', sslMode: 'require' });
});

test('a corrupt connections file is exit 3, names the position, and is left untouched', async () => {
  const { writeFileSync } = await import('node:fs');
  const file = join(home, 'connections.json');
  const corrupt = '{"version": 1,\n  "connections": {,}\n}';
  writeFileSync(file, corrupt, { mode: 0o600 });
  const result = await conn(['create', 'postgres', '--name', 'db', '--set', 'user=app']);
  expect(result.code).toBe(3);
  expect(result.stderr).toContain(file);
  expect(result.stderr).toMatch(/line 2 column \d+/);
  expect(readFileSync(file, 'utf8')).toBe(corrupt);
  expect((await conn(['list'])).code).toBe(3);
});

test('without a terminal a missing value is exit 2 naming every field and its flag', async () => {
  const result = await conn(['create', 'http', '--set', 'auth=basic']);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('--name');
  expect(result.stderr).toContain('baseUrl');
  expect(result.stderr).toContain('--set baseUrl=');
  expect(result.stderr).toContain('username');
  expect(result.stderr).toContain('--secret-stdin password');
  expect(result.stderr.trim().split('\n')).toHaveLength(2);
});

test('a secret store that cannot be used stops rm and doctor with exit 3, changing nothing', async () => {
  await conn(['create', 'postgres', '--name', 'db', '--set', 'user=app', '--secret-stdin', 'password', '--no-test'], 'pw');
  const wrong = { ...env, CONN_PASSPHRASE: 'not the passphrase' };
  const removed = await runConn(['rm', 'db', '--yes'], { home, env: wrong });
  expect(removed.code).toBe(3);
  expect(JSON.parse((await conn(['list', '--json'])).stdout)).toHaveLength(1);
  const doctor = await runConn(['doctor', '--json'], { home, env: wrong });
  expect(doctor.code).toBe(3);
  expect(JSON.parse(doctor.stdout).healthy).toBe(false);
});

test('names that are also JavaScript object keys are ordinary names', async () => {
  for (const name of ['constructor', 'toString', '__proto__']) {
    const made = await conn(['create', 'http', '--name', name, '--set', 'baseUrl=https://x.example.com']);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
  }
  expect(JSON.parse((await conn(['list', '--json'])).stdout)).toHaveLength(3);
});

test('an unknown option without a command is exit 2; a report that cannot be written fails before testing', async () => {
  const bogus = await conn(['--jsn']);
  expect(bogus.code).toBe(2);
  expect(bogus.stderr).toContain('--json');
  const report = await conn(['test', '--all', '--reporter', 'junit', '--output', '/nonexistent/dir/x.xml']);
  expect(report.code).toBe(3);
  expect(report.stderr).toMatch(/^error: cannot write the report/);
});
