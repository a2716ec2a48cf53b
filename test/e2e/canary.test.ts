// The first promise: a canary secret taken through create, list, show, edit,
// rename and rm, human and --json, never shows in stdout, stderr or any file
// under CONN_HOME (the secrets file is encrypted, so it cannot either).

import { expectNoCanary, filesUnder, removeDir, runConn, tempDir, type CliResult } from '../helpers/cli.js';

const CANARY = 'CANARY-5ecr3t-Zq9';
const CANARY2 = 'CANARY-second-Vx7';
let home: string;
const env = { CONN_SECRET_STORE: 'file', CONN_PASSPHRASE: 'pass phrase', CANARY_VAR: CANARY2 };

beforeAll(() => {
  home = tempDir();
});
afterAll(() => removeDir(home));

test('the canary never appears in output or files', async () => {
  const outputs: Record<string, CliResult> = {};
  const run = async (label: string, args: string[], input?: string) => {
    for (const json of [false, true]) {
      const result = await runConn(json ? [...args, '--json'] : args, { home, env, input });
      outputs[`${label}${json ? ' --json' : ''}`] = result;
    }
  };
  await runConn(['create', 'http', '--name', 'api', '--set', 'baseUrl=https://api.example.com', '--set', 'auth=basic',
    '--set', 'username=ann', '--secret-stdin', 'password'], { home, env, input: CANARY });
  await runConn(['create', 'http', '--name', 'api2', '--set', 'baseUrl=https://api.example.com', '--set', 'auth=bearer',
    '--secret-env', 'token=CANARY_VAR', '--json'], { home, env }).then((r) => (outputs['create --json'] = r));
  await run('list', ['list']);
  await run('show', ['show', 'api']);
  await run('connectors', ['connectors']);
  await runConn(['edit', 'api', '--secret-stdin', 'password'], { home, env, input: CANARY + '\n' }).then((r) => (outputs.edit = r));
  await run('show after edit', ['show', 'api']);
  await runConn(['rename', 'api', 'api-2'], { home, env }).then((r) => (outputs.rename = r));
  await run('doctor', ['doctor']);

  const files = filesUnder(home);
  expect(files.length).toBeGreaterThan(1);
  const places: Record<string, string | Buffer> = {};
  for (const [label, result] of Object.entries(outputs)) {
    places[`${label} stdout`] = result.stdout;
    places[`${label} stderr`] = result.stderr;
  }
  for (const file of files) places[file.path] = file.content;
  for (const canary of [CANARY, CANARY2]) expectNoCanary(canary, places);

  const removed = await runConn(['rm', 'api-2', 'api2', '--yes'], { home, env });
  expect(removed.code).toBe(0);
  expectNoCanary(CANARY, { 'rm stdout': removed.stdout, 'rm stderr': removed.stderr });
  const left = filesUnder(home).map((f) => f.content.toString('latin1')).join('\n');
  expect(left).not.toContain(CANARY);
});
