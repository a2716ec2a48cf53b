// A fetch that records each request and response as trace events. The HTTP
// adapter brings its own (with timings); this one serves `conn auth`, which
// runs token requests outside any adapter, so `--verbose` still shows them.
// Redaction is the sink's job: every event passes it before anyone sees it.

import type { TraceSink } from '../trace/events.js';

export function createTracedFetch(
  trace: TraceSink,
  maxBodyBytes = 64 * 1024,
  base: typeof fetch = globalThis.fetch,
): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    trace.emit({
      type: 'request',
      method: request.method,
      url: request.url,
      headers: [...request.headers],
      ...cut(await request.clone().text(), maxBodyBytes),
    });
    const response = await base(request);
    trace.emit({
      type: 'response',
      status: response.status,
      statusText: response.statusText,
      headers: [...response.headers],
      ...cut(await response.clone().text(), maxBodyBytes),
    });
    return response;
  };
}

function cut(
  body: string,
  maxBytes: number,
): { body?: string; bodyCut?: number } {
  if (!body) return {};
  const bytes = Buffer.from(body);
  if (bytes.length <= maxBytes) return { body };
  return {
    body: bytes.subarray(0, maxBytes).toString(),
    bodyCut: bytes.length - maxBytes,
  };
}
