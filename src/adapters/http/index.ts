// The HTTP adapter: tests a connection with the request its test settings
// describe (testMethod, testPath, ...), through the connection's auth
// scheme, TLS and proxy settings, and judges the answer with okWhen and
// failWhen. Every request, response and timing goes to the trace.

import { createAuthScheme } from '../../auth/index.js';
import type { AuthContext } from '../../auth/types.js';
import { CliError, ExitCode, InterruptedError } from '../../errors.js';
import type { Preparable } from '../run.js';
import type { Adapter, AdapterContext, TestOutcome, Testability } from '../types.js';
import { classifyError, failure, isFailureClass, statusClass } from './classify.js';
import { ExchangeError, HttpClient, loadUndici } from './client.js';
import { FetchRefusal, tracedFetch } from './fetch.js';
import { runTestRequest, type Session } from './request.js';
import { readHttpConfig, type HttpConfig } from './settings.js';
import { proxyFromEnv, tlsOptions } from './transport.js';
import { judge } from './verdict.js';

export const adapter: Adapter & Preparable = {
  testability(settings): Testability {
    if (typeof settings.testPath === 'string' && settings.testPath !== '') {
      return { testable: true };
    }
    return {
      testable: false,
      reason:
        'an HTTP connection is tested with a request you choose, and none is ' +
        'set: set testPath (relative to baseUrl, e.g. /me) and, if needed, ' +
        'testMethod, okWhen and failWhen',
      fields: ['testPath'],
    };
  },
  test: testHttpConnection,
  prepare: loadUndici,
};

async function testHttpConnection(ctx: AdapterContext): Promise<TestOutcome> {
  const config = readHttpConfig(ctx.settings, ctx.secrets);
  const auth = createAuthScheme(ctx.settings, ctx.secrets);
  const client = await openClient(ctx, config);
  const session: Session = { client, auth, config, authContext: authContext(ctx, client) };
  try {
    return await runSession(session);
  } catch (error) {
    if (ctx.signal.aborted) throw new InterruptedError();
    const outcome = outcomeOfError(error);
    if (outcome) return outcome;
    throw error;
  } finally {
    await client.close();
  }
}

async function runSession(session: Session): Promise<TestOutcome> {
  await session.auth.prepare?.(session.authContext);
  const result = await runTestRequest(session);
  return judge(result, session.config.test);
}

async function openClient(ctx: AdapterContext, config: HttpConfig): Promise<HttpClient> {
  return HttpClient.open({
    trace: ctx.trace,
    userSignal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
    maxBodyBytes: ctx.maxBodyBytes,
    // The body must be read whole for the rules, so the cap is at least
    // as large as what the trace shows.
    maxResponseBytes: Math.max(config.maxResponseBytes, ctx.maxBodyBytes),
    tls: await tlsOptions(config, ctx.trace),
    proxy: proxyFromEnv(process.env),
  });
}

function authContext(ctx: AdapterContext, client: HttpClient): AuthContext {
  return {
    connectionName: ctx.connectionName,
    settings: ctx.settings,
    secrets: ctx.secrets,
    trace: ctx.trace,
    signal: ctx.signal,
    fetch: tracedFetch(client),
    saveSecret: async (field, value) => {
      await ctx.saveSecret?.(field, value);
    },
  };
}

/**
 * A transport failure, or an auth step that failed in a way the scheme could
 * name (see authStepFailure). Anything else is undefined: a CliError (a
 * setting the scheme cannot use) or a bug, which go on with their stack.
 */
function outcomeOfError(error: unknown): TestOutcome | undefined {
  if (error instanceof ExchangeError) {
    const { failure: kind, summary } = classifyError(error);
    return { ok: false, summary, failure: kind };
  }
  if (error instanceof FetchRefusal) {
    return { ok: false, summary: error.message, failure: failure(error.kind) };
  }
  return authStepFailure(error);
}

/**
 * An auth scheme names a failure in one of two ways. An error whose `code`
 * is a failure class (the OAuth errors: auth-expired, credentials,
 * permissions, protocol) becomes that class with the error's own hint,
 * which says what to do (`conn auth <name>` again). An error that carries
 * the HTTP `status` of a refusal (LoginError) is classed by that status.
 */
function authStepFailure(error: unknown): TestOutcome | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, hint, status } = error as { code?: unknown; hint?: unknown; status?: unknown };
  const details = typeof status === 'number' ? { status } : undefined;
  // A usage error (a setting the scheme cannot use) is not a test result.
  const refusal = !(error instanceof CliError) || error.exitCode === ExitCode.failed;
  if (refusal && isFailureClass(code)) {
    const own = typeof hint === 'string' && hint ? hint : undefined;
    return { ok: false, summary: error.message, failure: failure(code, own), details };
  }
  if (error instanceof CliError) return undefined;
  if (typeof status === 'number' || error.name === 'LoginError') {
    const kind = typeof status === 'number' ? statusClass(status) ?? 'credentials' : 'credentials';
    return { ok: false, summary: error.message, failure: failure(kind), details };
  }
  return undefined;
}
