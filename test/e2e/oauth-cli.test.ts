// OAuth 2.0 end to end: the built binary against a real authorization server
// (oidc-provider on 127.0.0.1) and its protected resource, which accepts only
// tokens the provider issued. A shared client holds the canary client
// secret; connections refer to it. `conn auth --print-url` runs the
// authorization code grant while the test plays the browser. The canary,
// the authorization code and every token the provider issued must never
// show in any output or in any file under CONN_HOME.

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';

import { BIN, baseEnv, removeDir, tempDir, type CliResult } from '../helpers/cli.js';
import {
  canaryForms,
  expectExit,
  jsonOf,
  startSession,
  type Session,
} from '../helpers/e2e-session.js';
import { Browser, startOidcServer, TEST_CLIENTS } from '../helpers/oidc-server.js';
import type { OidcServer } from '../helpers/oidc-server.js';
import { FileSecretStore } from '../../src/store/secrets/file.js';
import { resolvePaths } from '../../src/store/paths.js';

const CANARY = TEST_CLIENTS.app.secret;

interface TraceEvent {
  type: string;
  method?: string;
  url?: string;
  status?: number;
  body?: string;
  headers?: Array<[string, string]>;
}

interface TestResult {
  name: string;
  ok: boolean;
  summary: string;
  failure?: { class: string; hint: string };
  trace: TraceEvent[];
}

let server: OidcServer;
let home: string;
let session: Session;
/** Every command's output, checked again for values learned later. */
const outputs: Array<{ label: string; result: CliResult }> = [];
/** Tokens and codes the provider issued during the tests. */
const issued = new Set<string>();

beforeAll(async () => {
  // oidc-provider notes each default page it renders.
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  server = await startOidcServer();
  home = tempDir('conn-e2e-oauth-');
  session = startSession(home, [CANARY]);
});

afterAll(async () => {
  await server?.close();
  if (home) removeDir(home);
});

async function conn(args: string[], input?: string): Promise<CliResult> {
  const result = await session.conn(args, { input });
  outputs.push({ label: `conn ${args.join(' ')}`, result });
  return result;
}

/** The values the file secret store holds for a connection, read fresh. */
async function storedSecret(name: string, field: string) {
  const store = new FileSecretStore({
    file: resolvePaths({ CONN_HOME: home }).secretsFile,
    passphrase: session.env.CONN_PASSPHRASE,
    warn: () => undefined,
  });
  return store.get(name, field);
}

async function learnStoredTokens(name: string): Promise<void> {
  for (const field of ['oauthAccessToken', 'oauthRefreshToken']) {
    const value = await storedSecret(name, field);
    if (value) issued.add(value);
  }
}

function tokenRequests(trace: TraceEvent[]): TraceEvent[] {
  return trace.filter((e) => e.type === 'request' && e.url?.endsWith('/token'));
}

describe('a shared client and a client credentials connection', () => {
  test('conn clients create keeps the secret out of clients.json', async () => {
    const created = await conn([
      'clients', 'create', 'acme',
      '--set', `clientId=${TEST_CLIENTS.app.id}`,
      '--set', 'scopes=api:read',
      '--secret-stdin', 'clientSecret',
    ], `${CANARY}\n`);

    expectExit(created, 0);
    expect(created.stdout).toContain("Created shared client 'acme'");
    const shown = await conn(['clients', 'show', 'acme', '--json']);
    expect(jsonOf(shown)).toMatchObject({
      name: 'acme',
      settings: { clientId: TEST_CLIENTS.app.id },
      secrets: { clientSecret: 'stored' },
    });
  });

  test('a connection refers to it; --verbose shows the token exchange redacted', async () => {
    const created = await conn([
      'create', 'http', '--name', 'api',
      '--set', `baseUrl=${server.issuer}`,
      '--set', 'auth=oauth2',
      '--set', 'clientRef=acme',
      '--set', `tokenUrl=${server.issuer}/token`,
      '--set', 'testPath=/api/me',
      '--no-test',
    ]);
    expectExit(created, 0);

    const tested = await conn(['test', 'api', '--verbose']);

    expectExit(tested, 0);
    expect(tested.stdout).toMatch(/✓ api\s+200/);
    expect(tested.stderr).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/token/);
    expect(tested.stderr).toMatch(/authorization: Basic \[REDACTED\]/i);
    expect(tested.stderr).toMatch(/"access_token": ?"\[REDACTED\]"/);
    expect(server.apiCalls.at(-1)).toMatchObject({ status: 200 });
    for (const call of server.apiCalls) if (call.token) issued.add(call.token);
    await learnStoredTokens('api');
    expect(issued.size).toBeGreaterThan(0);
  });

  test('--json reuses the stored token; conn log keeps the token request', async () => {
    const tested = await conn(['test', 'api', '--json']);

    expectExit(tested, 0);
    const [result] = jsonOf<TestResult[]>(tested);
    expect(result).toMatchObject({ name: 'api', ok: true });
    expect(tokenRequests(result.trace)).toHaveLength(0);

    const logged = await conn(['log', 'api', '--runs', '2', '--json']);
    expectExit(logged, 0);
    const runs = jsonOf<Array<{ trace: TraceEvent[] }>>(logged);
    const requests = runs.flatMap((run) => tokenRequests(run.trace));
    expect(requests).toHaveLength(1);
    expect(requests[0].body).toContain('grant_type=client_credentials');
    expectExit(await conn(['log', 'api']), 0);
  });

  test('conn auth on an unattended grant fetches a token; --json is one document', async () => {
    const authorized = await conn(['auth', 'api', '--json']);

    expectExit(authorized, 0);
    const document = jsonOf<{ authorized: object; trace: TraceEvent[] }>(authorized);
    expect(document.authorized).toMatchObject({
      connection: 'api',
      grant: 'client_credentials',
      savedFields: expect.arrayContaining(['oauthAccessToken']),
    });
    expect(tokenRequests(document.trace)).toHaveLength(1);
    await learnStoredTokens('api');
  });
});

/** Runs `conn auth` and plays the browser once the URL is on stderr. */
function authorizeInBrowser(name: string, browser: Browser): Promise<CliResult> {
  const env = { ...baseEnv(home), ...session.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'auth', name, '--print-url', '--timeout', '20'], {
      cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let opened = false;
    const failures: unknown[] = [];
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const url = /^\s+(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)$/m.exec(stderr)?.[1];
      if (url && !opened) {
        opened = true;
        browser.open(url).catch((error) => failures.push(error));
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (failures.length) reject(failures[0]);
      else resolve({ code, stdout, stderr });
    });
  });
}

describe('authorization code with PKCE through conn auth --print-url', () => {
  test('the browser comes back to the loopback listener; the tokens are stored', async () => {
    expectExit(await conn([
      'create', 'http', '--name', 'web',
      '--set', `baseUrl=${server.issuer}`,
      '--set', 'auth=oauth2',
      '--set', 'clientRef=acme',
      '--set', 'oauthGrant=authorization_code',
      '--set', `issuer=${server.issuer}`,
      '--set', 'scopes=openid offline_access api:read',
      '--set', 'testPath=/api/me',
      '--no-test',
    ]), 0);
    const browser = new Browser();

    const authorized = await authorizeInBrowser('web', browser);
    outputs.push({ label: 'conn auth web --print-url', result: authorized });

    expectExit(authorized, 0);
    expect(authorized.stderr).toContain("Open this URL in a browser to authorize 'web'");
    expect(authorized.stdout).toMatch(/Authorized 'web' \(authorization_code/);
    const callback = browser.visited.find((url) => url.includes('/callback?'));
    const code = callback && new URL(callback).searchParams.get('code');
    expect(code).toBeTruthy();
    issued.add(code!);
    await learnStoredTokens('web');
    expect(await storedSecret('web', 'oauthRefreshToken')).toBeTruthy();

    const shown = jsonOf<{ secrets: Record<string, string> }>(
      await conn(['show', 'web', '--json']),
    );
    expect(shown.secrets).toMatchObject({
      oauthAccessToken: 'stored',
      oauthRefreshToken: 'stored',
    });
  });

  test('conn test uses the stored token', async () => {
    const tested = await conn(['test', 'web', '--verbose']);

    expectExit(tested, 0);
    expect(tested.stderr).not.toMatch(/\/token\b/);
    expect(server.apiCalls.at(-1)).toMatchObject({ status: 200 });
  });

  test('revoked tokens: the test fails as auth-expired and says to run conn auth', async () => {
    await server.revoke((await storedSecret('web', 'oauthAccessToken'))!);
    await server.revoke((await storedSecret('web', 'oauthRefreshToken'))!);

    const tested = await conn(['test', 'web', '--json']);

    expectExit(tested, 1);
    const [result] = jsonOf<TestResult[]>(tested);
    expect(result.failure).toMatchObject({
      class: 'auth-expired',
      hint: expect.stringContaining('conn auth web'),
    });
    const human = await conn(['log', 'web']);
    expect(human.stdout + human.stderr).toContain('conn auth web');
  });
});

describe('removing', () => {
  test('a shared client in use is refused, naming the connections', async () => {
    const refused = await conn(['clients', 'rm', 'acme']);

    expectExit(refused, 2);
    expect(refused.stderr).toContain('api, web');
    expectExit(await conn(['clients', 'list']), 0);
  });

  test('conn rm takes the tokens conn auth stored; then the client can go', async () => {
    expectExit(await conn(['rm', 'web', 'api', '--yes']), 0);
    expect(await storedSecret('web', 'oauthRefreshToken')).toBeUndefined();

    expectExit(await conn(['clients', 'rm', 'acme']), 0);
    expect(await storedSecret('client:acme', 'clientSecret')).toBeUndefined();
  });
});

describe('the canary and the issued tokens', () => {
  test('never show in any output or any file under CONN_HOME', () => {
    expect(issued.size).toBeGreaterThan(2);
    const forms = canaryForms([CANARY, ...issued]);
    for (const { label, result } of outputs) {
      for (const form of forms) {
        expect({ label, stdout: result.stdout.includes(form) }).toEqual({ label, stdout: false });
        expect({ label, stderr: result.stderr.includes(form) }).toEqual({ label, stderr: false });
      }
    }
    const tokenSession = startSession(home, [CANARY, ...issued]);
    tokenSession.expectCleanFiles();
  });
});
