// The OAuth 2.0 grants that need a person: authorization code with PKCE
// through a browser and a loopback redirect (RFC 8252), and the device
// authorization grant (RFC 8628) for machines without a browser. Both are
// run by `conn auth`; they show what to do through the interaction callbacks
// and never print themselves.

import type { AuthContext } from './types.js';
import type { OAuth2Session } from './oauth2-session.js';
import type { TokenSet } from './oauth2-grants.js';
import { toTokenSet } from './oauth2-grants.js';
import { initialParameters } from './oauth2-config.js';
import { explainOAuthError } from './oauth2-errors.js';
import { openBrowser, startLoopbackListener } from './loopback.js';
import { InterruptedError, OperationError } from '../errors.js';

export interface DeviceCodePrompt {
  userCode: string;
  verificationUri: string;
  /** The URI with the code filled in, when the server offers one. */
  verificationUriComplete?: string;
  expiresInSeconds: number;
}

export interface OAuth2Interaction {
  /** How long to wait for the person, for either grant. */
  timeoutMs: number;
  /**
   * Whether to open a browser at the authorization URL (false for
   * `--print-url`), or a function that plays the browser (the tests).
   */
  openBrowser: boolean | ((url: string) => void);
  /** Shows the authorization URL; it is shown even when a browser opens. */
  showAuthorizationUrl(url: string): void | Promise<void>;
  /** Shows the device user code and where to enter it. */
  showDeviceCode(prompt: DeviceCodePrompt): void | Promise<void>;
}

export async function authorizationCodeGrant(
  session: OAuth2Session,
  ctx: AuthContext,
  interaction: OAuth2Interaction,
): Promise<TokenSet> {
  const { oauth, server, client, clientAuth } = session;
  const listener = await startLoopbackListener({
    timeoutMs: interaction.timeoutMs,
    signal: ctx.signal,
  });
  try {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = await authorizationUrl(session, listener.redirectUri, {
      state,
      challenge: await oauth.calculatePKCECodeChallenge(verifier),
    });
    ctx.trace.emit({
      type: 'step',
      name: 'oauth2 authorization request',
      detail: `waiting for the browser at ${listener.redirectUri}`,
    });
    await present(url, interaction);

    const callback = await listener.callback;
    const params = checkCallback(session, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(
      server,
      client,
      clientAuth,
      params,
      listener.redirectUri,
      verifier,
      session.request(),
    );
    return toTokenSet(
      await oauth.processAuthorizationCodeResponse(server, client, response),
    );
  } catch (error) {
    throw explainOAuthError(error, 'authorization code grant');
  } finally {
    await listener.close();
  }
}

interface AuthorizationBinding {
  state: string;
  challenge: string;
}

async function authorizationUrl(
  session: OAuth2Session,
  redirectUri: string,
  binding: AuthorizationBinding,
): Promise<string> {
  const endpoint = session.server.authorization_endpoint;
  if (!endpoint) {
    throw new OperationError(
      'the authorization server has no authorization endpoint',
      'set authorizationUrl on the connection',
      'protocol',
    );
  }
  const url = new URL(endpoint);
  const params = initialParameters(session.config);
  params.set('client_id', session.config.clientId);
  params.set('redirect_uri', redirectUri);
  params.set('response_type', 'code');
  params.set('state', binding.state);
  params.set('code_challenge', binding.challenge);
  params.set('code_challenge_method', 'S256');
  for (const [key, value] of params) url.searchParams.set(key, value);
  return url.href;
}

async function present(
  url: string,
  interaction: OAuth2Interaction,
): Promise<void> {
  await interaction.showAuthorizationUrl(url);
  if (typeof interaction.openBrowser === 'function') {
    interaction.openBrowser(url);
  } else if (interaction.openBrowser) {
    openBrowser(url);
  }
}

function checkCallback(
  session: OAuth2Session,
  callback: URL,
  state: string,
): URLSearchParams {
  const { oauth, server, client } = session;
  // A wrong state means the redirect did not come from our request (CSRF,
  // or a stale browser tab). oauth4webapi checks it too; checking here
  // first gives the user a message that says what to do.
  const returned = callback.searchParams.get('state');
  if (returned !== state && !callback.searchParams.has('error')) {
    throw new OperationError(
      'the authorization response carries the wrong state',
      'start `conn auth` again and finish in the browser tab it opens',
      'protocol',
    );
  }
  return oauth.validateAuthResponse(server, client, callback.searchParams, state);
}

export async function deviceCodeGrant(
  session: OAuth2Session,
  ctx: AuthContext,
  interaction: OAuth2Interaction,
): Promise<TokenSet> {
  const { oauth, server, client, clientAuth } = session;
  try {
    const response = await oauth.deviceAuthorizationRequest(
      server,
      client,
      clientAuth,
      initialParameters(session.config),
      session.request(),
    );
    const device = await oauth.processDeviceAuthorizationResponse(
      server,
      client,
      response,
    );
    await interaction.showDeviceCode({
      userCode: device.user_code,
      verificationUri: device.verification_uri,
      verificationUriComplete: device.verification_uri_complete,
      expiresInSeconds: device.expires_in,
    });
    return await pollDeviceCode(session, ctx, device, interaction.timeoutMs);
  } catch (error) {
    throw explainOAuthError(error, 'device authorization grant');
  }
}

interface DeviceGrant {
  device_code: string;
  expires_in: number;
  interval?: number;
}

async function pollDeviceCode(
  session: OAuth2Session,
  ctx: AuthContext,
  device: DeviceGrant,
  timeoutMs: number,
): Promise<TokenSet> {
  const { oauth, server, client, clientAuth } = session;
  const limitMs = Math.min(timeoutMs, device.expires_in * 1000);
  const deadline = Date.now() + limitMs;
  // RFC 8628 section 3.5: 5 s unless the server says otherwise.
  let intervalMs = (device.interval ?? 5) * 1000;
  while (Date.now() + intervalMs <= deadline) {
    await sleep(intervalMs, ctx.signal);
    const response = await oauth.deviceCodeGrantRequest(
      server,
      client,
      clientAuth,
      device.device_code,
      session.request(),
    );
    const outcome = await deviceOutcome(session, response);
    if (outcome === 'slow_down') intervalMs += 5000;
    else if (outcome !== 'authorization_pending') return outcome;
  }
  throw new OperationError(
    `the device code was not approved within ${Math.round(limitMs / 1000)} s`,
    'enter the code sooner, or pass --timeout',
    'timeout',
  );
}

async function deviceOutcome(
  session: OAuth2Session,
  response: Response,
): Promise<TokenSet | 'authorization_pending' | 'slow_down'> {
  const { oauth, server, client } = session;
  try {
    return toTokenSet(
      await oauth.processDeviceCodeResponse(server, client, response),
    );
  } catch (error) {
    const code = (error as { error?: unknown }).error;
    if (code === 'authorization_pending' || code === 'slow_down') return code;
    throw error;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new InterruptedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
