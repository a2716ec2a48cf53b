// HTTP authentication schemes behind one interface, used by the HTTP adapter
// and by every HTTP-based application connector. A scheme may fetch a token
// first (prepare), adds credentials to each request (sign), and may answer a
// 401 once (digest challenge, OAuth refresh) by asking for a retry.

import type { Secrets, Settings } from '../connectors/types.js';
import type { TraceSink } from '../trace/events.js';

export interface OutgoingRequest {
  method: string;
  url: URL;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface AuthContext {
  connectionName: string;
  settings: Settings;
  secrets: Secrets;
  trace: TraceSink;
  signal: AbortSignal;
  /**
   * A fetch that records its request and response in the trace (redacted).
   * Token and login requests go through it so `--verbose` shows them.
   */
  fetch: typeof globalThis.fetch;
  /** Keeps a secret the scheme obtained (a token) in the secret store. */
  saveSecret(field: string, value: string): Promise<void>;
}

export interface UnauthorizedResponse {
  status: number;
  headers: Record<string, string | string[]>;
}

export interface AuthScheme {
  prepare?(ctx: AuthContext): Promise<void>;
  sign(request: OutgoingRequest, ctx: AuthContext): Promise<void> | void;
  /** After a 401: return true to send the request once more. */
  retryAfterUnauthorized?(response: UnauthorizedResponse, ctx: AuthContext): Promise<boolean>;
}
