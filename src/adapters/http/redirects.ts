// Redirects are followed by hand, so each hop is its own request/response
// pair in the trace, credentials stay with the origin they belong to, and a
// loop is named as one instead of ending as "too many redirects".

import type { Exchange } from './client.js';
import { firstHeader } from './client.js';

export const MAX_REDIRECTS = 10;

export interface Redirect {
  method: string;
  url: URL;
  /** 307 and 308 resend the body; the others turn into a GET without one. */
  keepBody: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function redirectOf(exchange: Exchange): Redirect | undefined {
  const location = firstHeader(exchange.headers, 'location');
  if (!REDIRECTS.has(exchange.status) || !location) return undefined;
  let url: URL;
  try {
    url = new URL(location, exchange.request.url);
  } catch {
    return undefined;
  }
  const { method } = exchange.request;
  const keepBody = exchange.status === 307 || exchange.status === 308;
  // As browsers do: 303 always, and 301/302 after a POST, become a GET.
  const toGet =
    method !== 'HEAD' &&
    (exchange.status === 303 || (!keepBody && method === 'POST'));
  return { method: toGet ? 'GET' : method, url, keepBody: keepBody };
}

/** Remembers the hops of one chain; says when it loops or runs too long. */
export class RedirectGuard {
  private readonly seen = new Set<string>();
  hops = 0;

  constructor(method: string, url: URL) {
    this.seen.add(key(method, url));
  }

  /** Undefined to go on, or why to stop. */
  next(redirect: Redirect): string | undefined {
    this.hops += 1;
    const hop = key(redirect.method, redirect.url);
    if (this.seen.has(hop)) {
      const again = `${redirect.method} ${redirect.url.href} again`;
      return `redirect loop: ${again} after ${this.hops} redirect(s)`;
    }
    if (this.hops > MAX_REDIRECTS) return `more than ${MAX_REDIRECTS} redirects`;
    this.seen.add(hop);
    return undefined;
  }
}

function key(method: string, url: URL): string {
  return `${method} ${url.href}`;
}

export function sameOrigin(a: URL, b: URL): boolean {
  return a.origin === b.origin;
}
