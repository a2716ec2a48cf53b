// `conn auth <name>`: runs a connection's OAuth 2.0 authorization from the
// start (a browser and a loopback listener, or a device code) and keeps the
// tokens in the secret store. `auth(ctx, options)` is the command;
// `authorizeConnection` does the work on what it is given and shows the
// person what to do only through its `show` callback, so tests can run it
// without a CLI around it. `conn create` calls `authorizeAfterCreate`.

import { resolveConnectionSecrets } from '../store/connection-secrets.js';
import type { AppContext } from '../context.js';
import type { Secrets, Settings } from '../connectors/types.js';
import type { TraceEvent, TraceSink } from '../trace/events.js';
import type { AuthContext } from '../auth/types.js';
import type { SharedClientSource } from '../store/clients.js';
import type { DeviceCodePrompt, OAuth2Authorization } from '../auth/oauth2.js';
import type { Connection } from '../store/registry.js';
import { CliError, ExitCode, UsageError } from '../errors.js';
import { withDefaults } from '../connectors/fields.js';
import { Output } from '../ui/output.js';

export const DEFAULT_AUTH_TIMEOUT_MS = 5 * 60_000;

/** The grants that need a person, which `conn create` runs at once. */
const INTERACTIVE_GRANTS = ['authorization_code', 'device_code'];

/** What the command asks the lead to show the person, as it happens. */
export type AuthMessage =
  | { kind: 'authorization-url'; url: string; openingBrowser: boolean }
  | ({ kind: 'device-code' } & DeviceCodePrompt);

export interface AuthOptions {
  name: string;
  /** Show the URL and open no browser. */
  printUrl?: boolean;
  /** Seconds to wait for the browser or the device approval. */
  timeout?: number;
  /** Print the token exchange (redacted) on stderr. */
  verbose?: boolean;
}

export async function auth(ctx: AppContext, options: AuthOptions): Promise<void> {
  const { result, trace } = await runForConnection(ctx, options);

  if (ctx.out.json) ctx.out.document({ authorized: result, trace });
  else reportSuccess(ctx, result);
}

/**
 * After `conn create`: authorizes a new connection whose grant needs a
 * person, and returns the exit code. Anything else returns 0 at once, so
 * create can call it for every connection. Without a terminal it only says
 * what to run, since nobody is there to open the browser; with --json it
 * prints no document of its own (create prints one) and errors go to stderr.
 */
export async function authorizeAfterCreate(
  ctx: AppContext,
  name: string,
): Promise<number> {
  const connection = await ctx.connection(name);
  const connector = (await ctx.catalog()).require(connection.connector);
  const settings = withDefaults(connector, connection.settings);
  const grant = String(settings.oauthGrant ?? '');
  if (settings.auth !== 'oauth2' || !INTERACTIVE_GRANTS.includes(grant)) {
    return ExitCode.ok;
  }
  if (!ctx.interactive) {
    ctx.out.info(`Next: \`conn auth ${name}\` authorizes it (${grant}).`);
    return ExitCode.ok;
  }

  try {
    const { result } = await runForConnection(ctx, { name });
    if (!ctx.out.json) reportSuccess(ctx, result);
    return ExitCode.ok;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    ctx.out.error(`saved, but not authorized: ${error.message}`,
      `${error.hint ?? ''} \`conn auth ${name}\` tries again`.trim());
    return error.exitCode;
  }
}

/** Load, read secrets, authorize, remember the token fields; no report. */
async function runForConnection(
  ctx: AppContext,
  options: AuthOptions,
): Promise<{ result: AuthCommandResult; trace: TraceEvent[] }> {
  const connection = await ctx.connection(options.name);
  const connector = (await ctx.catalog()).require(connection.connector);
  const settings = withDefaults(connector, connection.settings);
  checkScheme(settings, connection.name);

  const store = (await ctx.secretStore()).store;
  // Resolved before the trace starts, so the shared client's secret is known
  // to the redactor from the first event.
  const resolved = await resolveConnectionSecrets(
    ctx.paths, ctx.env, connection, connector, settings, async () => store);
  const sink = await traceSink(ctx, resolved.secrets, options.verbose);
  const saved = new Set<string>();

  const result = await authorizeConnection({
    connectionName: connection.name,
    settings: resolved.settings,
    secrets: resolved.secrets,
    saveSecret: async (field, value) => {
      // Known before the step that reports the tokens is emitted; the
      // expiry is a time, not a credential, and stays readable.
      if (field !== 'oauthExpiresAt') sink.addSecrets({ secrets: [value] });
      await store.set(connection.name, field, value);
      saved.add(field);
    },
    trace: sink,
    show: (message) => showMessage(ctx, connection.name, message),
    printUrl: options.printUrl,
    timeoutMs: options.timeout ? options.timeout * 1000 : undefined,
  });
  await rememberSecretFields(ctx, connection, [...saved]);
  return { result, trace: sink.events() };
}

async function traceSink(ctx: AppContext, secrets: Secrets, verbose?: boolean) {
  const { createRedactor } = await import('../trace/redact.js');
  const { createTraceSink } = await import('../trace/sink.js');
  const { renderEvent } = await import('../trace/render.js');
  const redactor = createRedactor({ secrets: Object.values(secrets) });
  const print = (event: TraceEvent) =>
    ctx.out.progress(renderEvent(event, ctx.out.errPaint));
  return createTraceSink({ redactor, listeners: verbose ? [print] : [] });
}

/**
 * Adds the token fields to the connection's secretFields, so `conn show`
 * lists them as stored and `conn rm` removes them. Project and environment
 * connections have no entry in the connections file to add them to.
 */
async function rememberSecretFields(
  ctx: AppContext,
  connection: Connection,
  fields: string[],
): Promise<void> {
  if (connection.source !== 'user' || fields.length === 0) return;
  const { updateConnections } = await import('../store/connections.js');
  await updateConnections(ctx.paths.connectionsFile, (doc) => {
    const stored = Object.hasOwn(doc.connections, connection.name) ? doc.connections[connection.name] : undefined;
    // Removed while the person was at the browser: stays removed.
    if (!stored) return;
    stored.secretFields = [...new Set([...stored.secretFields, ...fields])].sort();
  });
}

function showMessage(ctx: AppContext, name: string, message: AuthMessage): void {
  // The URL or the code is what the person must act on: --quiet keeps it.
  const out = new Output({ ...ctx.out.options, quiet: false });
  const p = out.errPaint;
  if (message.kind === 'device-code') {
    const minutes = Math.max(1, Math.round(message.expiresInSeconds / 60));
    out.progress([
      `To authorize '${name}', open ${p.bold(message.verificationUri)}`,
      `and enter the code ${p.bold(message.userCode)} ` +
        `(valid for ${minutes} minute${minutes === 1 ? '' : 's'}).`,
      ...(message.verificationUriComplete
        ? [`Or open ${message.verificationUriComplete}`]
        : []),
      p.dim('Waiting for the approval…'),
    ].join('\n'));
    return;
  }
  const redirect = new URL(message.url).searchParams.get('redirect_uri') ?? '';
  const port = /:(\d+)\//.exec(redirect)?.[1];
  const lead = message.openingBrowser
    ? `Opening a browser to authorize '${name}'. If none opens, visit:`
    : `Open this URL in a browser to authorize '${name}':`;
  out.progress([
    lead,
    '',
    `  ${message.url}`,
    '',
    p.dim(`Waiting for the browser to come back to ${redirect}.`),
    p.dim(
      'From another machine, forward that port first ' +
        `(ssh -L ${port ?? '<port>'}:127.0.0.1:${port ?? '<port>'} <this host>), ` +
        'or use oauthGrant=device_code.',
    ),
  ].join('\n'));
}

function reportSuccess(ctx: AppContext, result: AuthCommandResult): void {
  const until = result.expiresAt ? `, valid until ${result.expiresAt}` : '';
  const refresh = result.hasRefreshToken
    ? 'a refresh token renews it'
    : 'no refresh token: run `conn auth` again when it expires';
  ctx.out.info(
    `Authorized '${result.connection}' (${result.grant}${until}; ${refresh}).`,
  );
  ctx.out.info(`\`conn test ${result.connection}\` checks it.`);
}

// ---------------------------------------------------------------------------
// The authorization itself, on the connection's values as given

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

export async function authorizeConnection(
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
