// `conn auth <name>`: runs a connection's OAuth 2.0 authorization from the
// start and keeps the tokens in the secret store. The lead loads the
// connection and passes it in; this file talks to the person only through
// the `show` callback and never prints.

import type { Secrets, Settings } from '../connectors/types.js';
import type { TraceSink } from '../trace/events.js';
import type { AuthContext } from '../auth/types.js';
import type { SharedClientSource } from '../store/clients.js';
import type { DeviceCodePrompt, OAuth2Authorization } from '../auth/oauth2.js';
import { UsageError } from '../errors.js';

export const DEFAULT_AUTH_TIMEOUT_MS = 5 * 60_000;

/** What the command asks the lead to show the person, as it happens. */
export type AuthMessage =
  | { kind: 'authorization-url'; url: string; openingBrowser: boolean }
  | ({ kind: 'device-code' } & DeviceCodePrompt);

export interface AuthCommandOptions {
  connectionName: string;
  /** Connector settings with defaults applied, then the connection's. */
  settings: Settings;
  secrets: Secrets;
  /** Writes a secret field of this connection to its secret store. */
  saveSecret(field: string, value: string): Promise<void>;
  trace: TraceSink;
  show(message: AuthMessage): void;
  /** Fills `clientRef` from the shared clients; needed when one is set. */
  sharedClients?: SharedClientSource;
  /** `--print-url`: show the URL, open no browser. */
  printUrl?: boolean;
  /** `--timeout`, for the browser or device approval. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** A fetch that traces; by default one that emits into `trace`. */
  fetch?: typeof globalThis.fetch;
  /** Opens a browser; tests pass one that plays it. */
  openBrowser?: (url: string) => boolean;
}

export interface AuthCommandResult extends OAuth2Authorization {
  connection: string;
}

export async function auth(
  options: AuthCommandOptions,
): Promise<AuthCommandResult> {
  const ctx = await authContext(options);
  checkScheme(ctx.settings, options.connectionName);

  const { authorizeOAuth2 } = await import('../auth/oauth2.js');
  const { openBrowser } = await import('../auth/loopback.js');
  const open = options.openBrowser ?? openBrowser;
  const authorization = await authorizeOAuth2(ctx, {
    timeoutMs: options.timeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS,
    openBrowser: options.printUrl ? false : (url) => void open(url),
    // Shown before the browser is tried: when none opens, the URL is there.
    showAuthorizationUrl: (url) =>
      options.show({
        kind: 'authorization-url',
        url,
        openingBrowser: !options.printUrl,
      }),
    showDeviceCode: (prompt) => options.show({ kind: 'device-code', ...prompt }),
  });

  return { connection: options.connectionName, ...authorization };
}

async function authContext(options: AuthCommandOptions): Promise<AuthContext> {
  const { resolveSharedClient } = await import('../store/clients.js');
  const merged = options.sharedClients
    ? await resolveSharedClient(
        options.settings,
        options.secrets,
        options.sharedClients,
      )
    : { settings: options.settings, secrets: options.secrets };
  const { createTracedFetch } = await import('../auth/oauth2-fetch.js');
  return {
    connectionName: options.connectionName,
    settings: merged.settings,
    secrets: { ...merged.secrets },
    trace: options.trace,
    signal: options.signal ?? new AbortController().signal,
    fetch: options.fetch ?? createTracedFetch(options.trace),
    saveSecret: options.saveSecret,
  };
}

function checkScheme(settings: Settings, name: string): void {
  const scheme = settings.auth;
  if (scheme === 'oauth2') return;
  throw new UsageError(
    `connection '${name}' uses ${scheme ? `'${scheme}'` : 'no'} ` +
      'authentication; `conn auth` runs OAuth 2.0 authorization only',
    `set auth=oauth2 with \`conn edit ${name}\`, or test it with ` +
      `\`conn test ${name}\``,
    'not-oauth2',
  );
}
