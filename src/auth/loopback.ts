// The loopback redirect listener of RFC 8252 (OAuth 2.0 for native apps): a
// one-shot HTTP server on 127.0.0.1 with a port the system picks, waiting for
// the authorization server to send the browser back with a code. It serves a
// single callback, then closes, so nothing stays listening after `conn auth`.

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { spawn } from 'node:child_process';
import { OperationError, InterruptedError } from '../errors.js';

export const CALLBACK_PATH = '/callback';

export interface LoopbackOptions {
  /** How long to wait for the browser to come back. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface LoopbackListener {
  /** `http://127.0.0.1:<port>/callback`, to send as redirect_uri. */
  redirectUri: string;
  /** Resolves with the callback URL the browser was sent to. */
  callback: Promise<URL>;
  close(): Promise<void>;
}

export async function startLoopbackListener(
  options: LoopbackOptions,
): Promise<LoopbackListener> {
  let deliver!: (url: URL) => void;
  let fail!: (error: Error) => void;
  const callback = new Promise<URL>((resolve, reject) => {
    deliver = resolve;
    fail = reject;
  });
  // The caller may stop listening before awaiting; keep Node quiet then.
  callback.catch(() => undefined);

  const server = createServer((request, response) => {
    const url = callbackUrl(request);
    if (!url) return notFound(response);
    // Deliver once the page is flushed, so closing cannot cut it short.
    answerBrowser(response, url, () => deliver(url));
  });
  const port = await listen(server);
  const stop = watchLimits(options, fail);
  const close = once(async () => {
    stop();
    fail(new OperationError('the redirect listener was closed'));
    await closeServer(server);
  });
  void callback.then(close, close);

  return {
    redirectUri: `http://127.0.0.1:${port}${CALLBACK_PATH}`,
    callback,
    close,
  };
}

function callbackUrl(request: IncomingMessage): URL | undefined {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (request.method !== 'GET' || url.pathname !== CALLBACK_PATH) {
    return undefined;
  }
  return url;
}

function notFound(response: ServerResponse): void {
  // Browsers also ask for /favicon.ico; only the callback path counts.
  response.writeHead(404, { 'content-type': 'text/plain' });
  response.end('not found\n');
}

function answerBrowser(
  response: ServerResponse,
  url: URL,
  done: () => void,
): void {
  const failed = url.searchParams.has('error');
  const text = failed
    ? 'Authorization failed. conn shows the reason; you can close this tab.'
    : 'Authorization received. You can close this tab and return to conn.';
  response.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    // The page must not leak the code to another origin through Referer.
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    connection: 'close',
  });
  response.end(`<!doctype html><title>conn</title><p>${text}</p>\n`, done);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address && typeof address === 'object') resolve(address.port);
      else reject(new Error('the redirect listener has no port'));
    });
  });
}

function watchLimits(
  options: LoopbackOptions,
  fail: (error: Error) => void,
): () => void {
  const seconds = Math.round(options.timeoutMs / 1000);
  const timer = setTimeout(() => {
    fail(
      new OperationError(
        `no authorization arrived within ${seconds} s`,
        'finish the login in the browser sooner, or pass --timeout',
        'timeout',
      ),
    );
  }, options.timeoutMs);
  const onAbort = () => fail(new InterruptedError());
  options.signal?.addEventListener('abort', onAbort, { once: true });
  return () => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // A browser may hold a keep-alive socket open; do not wait for it.
    server.closeAllConnections();
  });
}

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= action());
}

/**
 * Opens the URL in the user's browser when there is one. It never fails:
 * the URL is shown as well, so a missing opener only costs a copy and paste.
 */
export function openBrowser(
  url: string,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const command = browserCommand(url, platform, env);
  if (!command) return false;
  try {
    const child = spawn(command[0], command.slice(1), {
      detached: true,
      stdio: 'ignore',
    });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

function browserCommand(
  url: string,
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
): string[] | undefined {
  if (platform === 'darwin') return ['open', url];
  if (platform === 'win32') return ['rundll32', 'url.dll,FileProtocolHandler', url];
  // Without a display, xdg-open may start a text browser inside our terminal.
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  return ['xdg-open', url];
}
