// Shared OAuth clients (`conn clients`) and `conn auth` against the real
// test authorization server: a connection that refers to a shared client
// gets its client id, URLs and secret from it, and the tokens land in the
// connection's secret fields. Files go to a temporary CONN_HOME.

import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretStore } from '../../src/store/secrets/types.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { ClientStore } from '../../src/store/clients.js';
import { resolvePaths } from '../../src/store/paths.js';
import { manageClients as clients } from '../../src/commands/clients.js';
import { authorizeConnection as auth } from '../../src/commands/auth.js';
import type { AuthMessage } from '../../src/commands/auth.js';
import { TOKEN_FIELDS } from '../../src/auth/oauth2.js';
import { Browser, startOidcServer, TEST_CLIENTS } from '../helpers/oidc-server.js';
import type { OidcServer } from '../helpers/oidc-server.js';
import { loadRedactor } from '../helpers/auth-context.js';

const CANARY = TEST_CLIENTS.app.secret;

/** The secret store as a map: the real stores have their own tests. */
class MemorySecretStore implements SecretStore {
  readonly kind = 'file' as const;
  readonly values = new Map<string, string>();
  describe() {
    return 'memory';
  }
  async get(connection: string, field: string) {
    return this.values.get(`${connection}/${field}`);
  }
  async set(connection: string, field: string, value: string) {
    this.values.set(`${connection}/${field}`, value);
  }
  async delete(connection: string, field: string) {
    this.values.delete(`${connection}/${field}`);
  }
}

let home: string;
let store: ClientStore;
let secretStore: MemorySecretStore;
let server: OidcServer;

beforeAll(async () => {
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  home = mkdtempSync(join(tmpdir(), 'conn-clients-'));
  store = new ClientStore(resolvePaths({ CONN_HOME: home }));
  secretStore = new MemorySecretStore();
  server = await startOidcServer();
});

afterAll(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

async function createAcme() {
  return clients({
    action: 'create',
    name: 'acme',
    set: [`clientId=${TEST_CLIENTS.app.id}`, `issuer=${server.issuer}`, 'scopes=api:read'],
    secretStdin: 'clientSecret',
    readStdin: async () => `${CANARY}\n`,
    store,
    secretStore,
  });
}

describe('conn clients', () => {
  test('create keeps settings in clients.json and the secret in the store', async () => {
    const result = await createAcme();

    expect(result).toMatchObject({
      action: 'create',
      client: { name: 'acme', secretFields: ['clientSecret'] },
    });
    const text = readFileSync(store.file, 'utf8');
    expect(text).toContain(TEST_CLIENTS.app.id);
    expect(text).not.toContain(CANARY);
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(await secretStore.get('client:acme', 'clientSecret')).toBe(CANARY);
  });

  test('list and show give settings and secret names, never values', async () => {
    const listed = await clients({ action: 'list', store, secretStore });
    const shown = await clients({ action: 'show', name: 'acme', store, secretStore });

    expect(listed).toMatchObject({ clients: [{ name: 'acme' }] });
    expect(JSON.stringify([listed, shown])).not.toContain(CANARY);
  });

  test('bad input is refused with a hint', async () => {
    const base = { action: 'create' as const, store, secretStore };
    await expect(clients({ ...base, name: 'acme', set: ['clientId=x'] }))
      .rejects.toMatchObject({ code: 'exists' });
    await expect(clients({ ...base, name: 'bad:name', set: ['clientId=x'] }))
      .rejects.toMatchObject({ code: 'invalid-name' });
    await expect(clients({ ...base, name: 'b', set: ['clientSecret=x'] }))
      .rejects.toThrow(/secret/);
    await expect(clients({ ...base, name: 'b', set: ['colour=blue'] }))
      .rejects.toThrow(/expected key=value/);
    await expect(
      clients({ ...base, name: 'b', set: ['clientId=x'], secretEnv: ['clientSecret=NOPE'], env: {} }),
    ).rejects.toThrow(/NOPE is empty/);
  });

  test('the secret can come from an environment variable', async () => {
    await clients({
      action: 'create',
      name: 'from-env',
      set: ['clientId=x'],
      secretEnv: ['clientSecret=MY_SECRET'],
      env: { MY_SECRET: 'env-secret' },
      store,
      secretStore,
    });
    expect(await secretStore.get('client:from-env', 'clientSecret')).toBe('env-secret');
  });

  test('rm of a client in use is refused, naming the connections', async () => {
    const using = async (name: string) => (name === 'acme' ? ['api', 'billing'] : []);

    await expect(
      clients({ action: 'rm', name: 'acme', connectionsUsing: using, store, secretStore }),
    ).rejects.toMatchObject({ code: 'in-use', message: expect.stringContaining('api, billing') });

    await clients({ action: 'rm', name: 'from-env', connectionsUsing: using, store, secretStore });
    expect(store.get('from-env')).toBeUndefined();
    expect(await secretStore.get('client:from-env', 'clientSecret')).toBeUndefined();
  });
});

describe('conn auth', () => {
  async function runAuth(settings: Record<string, string>, show: (m: AuthMessage) => void) {
    const saved: Record<string, string> = {};
    const events: TraceEvent[] = [];
    const started = Date.now();
    const redact = await loadRedactor([CANARY]);
    const result = await auth({
      connectionName: 'api',
      settings: { auth: 'oauth2', clientRef: 'acme', ...settings },
      secrets: {},
      saveSecret: async (field, value) => void (saved[field] = value),
      trace: {
        emit: (input) => {
          const event = { ...input, at: Date.now() - started } as TraceEvent;
          events.push(redact ? redact(event) : event);
        },
      },
      show,
      sharedClients: { clients: store, secretStore },
      printUrl: true,
      timeoutMs: 15_000,
    });
    return { result, saved, events, redacted: Boolean(redact) };
  }

  test('client credentials through a shared client', async () => {
    const { result, saved } = await runAuth({}, () => undefined);

    expect(result).toMatchObject({ connection: 'api', grant: 'client_credentials' });
    expect(saved[TOKEN_FIELDS.accessToken]).toBeTruthy();
  });

  test('--print-url: the person opens the URL, the loopback gets the code', async () => {
    const shown: AuthMessage[] = [];
    const failures: unknown[] = [];
    const { result, saved, events, redacted } = await runAuth(
      { oauthGrant: 'authorization_code', scopes: 'openid offline_access api:read' },
      (message) => {
        shown.push(message);
        if (message.kind === 'authorization-url') {
          new Browser().open(message.url).catch((e) => failures.push(e));
        }
      },
    );

    expect(failures).toEqual([]);
    expect(shown[0]).toMatchObject({ kind: 'authorization-url', openingBrowser: false });
    expect(result.hasRefreshToken).toBe(true);
    expect(saved[TOKEN_FIELDS.refreshToken]).toBeTruthy();
    if (redacted) expect(JSON.stringify(events)).not.toContain(CANARY);
  });

  test('a connection without OAuth 2.0 is told so', async () => {
    await expect(
      auth({
        connectionName: 'plain',
        settings: { auth: 'basic' },
        secrets: {},
        saveSecret: async () => undefined,
        trace: { emit: () => undefined },
        show: () => undefined,
      }),
    ).rejects.toMatchObject({ code: 'not-oauth2' });
  });
});
