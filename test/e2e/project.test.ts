// Connections declared by a project config (found by cosmiconfig) or by
// CONN_CONNECTIONS list with their source; conn refuses to edit or remove
// them and names the file to change.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, runConn, tempDir } from '../helpers/cli.js';

let home: string;
let project: string;
const env = { CONN_SECRET_STORE: 'file', CONN_PASSPHRASE: 'pass phrase' };

beforeAll(() => {
  home = tempDir();
  project = tempDir('conn-project-');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'demo' }));
  writeFileSync(join(project, '.connrc.yaml'), [
    'connections:',
    '  warehouse:',
    '    connector: postgres',
    '    settings:',
    '      host: db.internal',
    '      user: etl',
  ].join('\n'));
  mkdirSync(join(project, 'sub', 'dir'), { recursive: true });
});
afterAll(() => {
  removeDir(home);
  removeDir(project);
});

test('project connections list with source project, from a subfolder too', async () => {
  const result = await runConn(['list', '--json'], { home, env, cwd: join(project, 'sub', 'dir') });
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toEqual([
    expect.objectContaining({ name: 'warehouse', connector: 'postgres', source: 'project', definedIn: join(project, '.connrc.yaml') }),
  ]);
});

test('edit and rm refuse project connections and name the file', async () => {
  for (const args of [['edit', 'warehouse', '--set', 'port=5433'], ['rm', 'warehouse', '--yes']]) {
    const result = await runConn(args, { home, env, cwd: project });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(join(project, '.connrc.yaml'));
  }
});

test('show says where the secret of a project connection comes from', async () => {
  const result = await runConn(['show', 'warehouse', '--json'], { home, env: { ...env, CONN_SECRET_WAREHOUSE_PASSWORD: 'x' }, cwd: project });
  expect(JSON.parse(result.stdout).secrets).toEqual({ password: 'from $CONN_SECRET_WAREHOUSE_PASSWORD' });
});

test('--config names the file; a broken one is exit 3', async () => {
  const file = join(home, 'other.json');
  writeFileSync(file, JSON.stringify({ connections: { other: { connector: 'http', settings: { baseUrl: 'https://x.example.com' } } } }));
  const listed = await runConn(['list', '--json', '--config', file], { home, env });
  expect(JSON.parse(listed.stdout).map((c: { name: string }) => c.name)).toEqual(['other']);
  writeFileSync(file, '{ not json');
  const broken = await runConn(['list', '--config', file], { home, env });
  expect(broken.code).toBe(3);
  expect(broken.stderr).toContain(file);
});

test('CONN_CONNECTIONS declares connections with source environment', async () => {
  const declared = JSON.stringify({ ci: { connector: 'http', settings: { baseUrl: 'https://ci.example.com' } } });
  const result = await runConn(['list', '--json'], { home, env: { ...env, CONN_CONNECTIONS: declared } });
  expect(JSON.parse(result.stdout)).toEqual([expect.objectContaining({ name: 'ci', source: 'environment' })]);
  const bad = await runConn(['list'], { home, env: { ...env, CONN_CONNECTIONS: '{nope' } });
  expect(bad.code).toBe(3);
});

test('a secret written into a project config is refused, value never shown', async () => {
  const dir = tempDir('conn-project-');
  try {
    writeFileSync(join(dir, '.connrc.json'), JSON.stringify({
      connections: { leaky: { connector: 'http', settings: { baseUrl: 'https://x.example.com', auth: 'bearer', token: 'CANARY-in-config' } } },
    }));
    const result = await runConn(['list'], { home, env, cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('CONN_SECRET_LEAKY_TOKEN');
    expect(result.stdout + result.stderr).not.toContain('CANARY');
  } finally {
    removeDir(dir);
  }
});

test('a project connection may not take over the name of a user connection', async () => {
  const dir = tempDir('conn-project-');
  const own = tempDir();
  try {
    await runConn(['create', 'http', '--name', 'gh', '--set', 'baseUrl=https://api.github.com', '--set', 'auth=bearer',
      '--secret-env', 'token=T'], { home: own, env: { ...env, T: 'CANARY-user-token' } });
    writeFileSync(join(dir, '.connrc.json'), JSON.stringify({
      connections: { gh: { connector: 'http', settings: { baseUrl: 'http://127.0.0.1:9/elsewhere', testPath: '/x' } } },
    }));
    const result = await runConn(['test', '--all'], { home: own, env, cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('defined twice');
    expect(result.stderr).toContain(join(dir, '.connrc.json'));
  } finally {
    removeDir(dir);
    removeDir(own);
  }
});
