// Turns what went wrong into a stable failure class with a one-sentence hint
// on what to check. Transport errors are recognised by their codes (Node,
// OpenSSL, undici), HTTP answers by their status.

import type { FailureClass, TestFailure } from '../types.js';
import { errorCode, ExchangeError, type Phase } from './client.js';

const HINTS: Partial<Record<FailureClass, string>> = {
  dns:
    'The host name does not resolve from this machine; check its spelling ' +
    '(the summary names the URL: baseUrl, a login or token URL, or the proxy) ' +
    'and your DNS or VPN.',
  refused:
    'Nothing accepts connections on that host and port; check the port (in ' +
    'baseUrl, a login or token URL, or the proxy URL) and that the service runs.',
  unreachable:
    'There is no route to the host; check the network, VPN or firewall.',
  'timeout-connect':
    'The connection (TCP or TLS) was not set up in time; check the host, ' +
    'port, firewall and proxy.',
  'timeout-first-byte':
    'The server took the request but did not answer in time; check its ' +
    'health or raise the timeout.',
  'timeout-body':
    'The response body stopped arriving; check the server and anything in ' +
    'between, or raise the timeout.',
  timeout:
    'The test did not finish in time; raise the timeout or check the server.',
  'tls-self-signed':
    "The server's certificate is self-signed; add it or its CA with caFile " +
    "(insecure only for a throwaway test system).",
  'tls-expired':
    "The server's certificate has expired or is not valid yet; its owner " +
    "must renew it (and check this machine's clock).",
  'tls-hostname':
    'The certificate does not name this host; use the host name the ' +
    'certificate was issued for in baseUrl.',
  'tls-unknown-ca':
    'The certificate comes from a CA this machine does not trust; add that ' +
    'CA with caFile.',
  'tls-client-cert-required':
    'The server wants a client certificate it accepts; set certFile and ' +
    'keyFile, or pfxFile.',
  tls:
    'The TLS handshake failed; check the URL scheme (http vs https), the ' +
    'port and the TLS settings.',
  credentials:
    'The server rejected the credentials; check the auth type and the secret' +
    ' values (wrong or expired).',
  permissions:
    "The credentials work but may not do this; check the account's roles or " +
    "the token's scopes.",
  'not-found':
    'The server has nothing at that address; check baseUrl and testPath.',
  'proxy-auth':
    'The proxy wants credentials: put them in the proxy URL ' +
    '(http://user:pass@proxy:port) or add the host to NO_PROXY.',
  'rate-limited':
    'Too many requests: wait for Retry-After, then check the account\'s rate' +
    ' limits.',
  'server-error':
    "The server failed on its side; check the service's status page or logs " +
    "and try again later.",
  'redirect-loop':
    'The redirects go in a circle or too far; check the scheme (http/https) ' +
    'and host in baseUrl.',
  'too-large':
    'The response was larger than maxResponseBytes; point testPath at a ' +
    'smaller resource or raise the limit.',
  reset:
    'The connection was closed in the middle of the exchange; check the ' +
    'server logs, or a proxy or load balancer in between.',
  rule:
    'The response did not satisfy okWhen/failWhen; compare the rules with ' +
    'the response body (conn test --verbose).',
  'auth-expired':
    'The stored authorization has expired or was revoked; run `conn auth` ' +
    'for this connection again.',
  protocol:
    'The server did not speak HTTP as expected; check the scheme ' +
    '(http/https) and the port in baseUrl.',
  unknown:
    'Check testMethod, testPath, testHeaders and testBody against the API ' +
    'documentation.',
};

/**
 * Every failure class, so a class name carried by an error (an auth
 * scheme's `code`) can be checked at run time. The Record type makes the
 * compiler name any class added to FailureClass but missing here.
 */
const FAILURE_CLASSES: Record<FailureClass, true> = {
  dns: true,
  refused: true,
  unreachable: true,
  'timeout-connect': true,
  'timeout-first-byte': true,
  'timeout-body': true,
  timeout: true,
  'tls-self-signed': true,
  'tls-expired': true,
  'tls-hostname': true,
  'tls-unknown-ca': true,
  'tls-client-cert-required': true,
  'tls-required': true,
  tls: true,
  credentials: true,
  permissions: true,
  'not-found': true,
  'proxy-auth': true,
  'rate-limited': true,
  'server-error': true,
  'redirect-loop': true,
  'too-large': true,
  reset: true,
  rule: true,
  'unknown-database': true,
  'too-many-connections': true,
  'auth-expired': true,
  protocol: true,
  settings: true,
  unknown: true,
};

export function isFailureClass(value: unknown): value is FailureClass {
  return typeof value === 'string' && Object.hasOwn(FAILURE_CLASSES, value);
}

export function failure(kind: FailureClass, hint?: string): TestFailure {
  return { class: kind, hint: hint ?? HINTS[kind] ?? HINTS.unknown! };
}

export interface Verdict {
  failure: TestFailure;
  summary: string;
}

/** A non-passing HTTP status: its class, or undefined for 2xx. */
export function statusClass(status: number): FailureClass | undefined {
  if (status >= 200 && status < 300) return undefined;
  const known: Record<number, FailureClass> = {
    401: 'credentials',
    403: 'permissions',
    404: 'not-found',
    407: 'proxy-auth',
    429: 'rate-limited',
  };
  if (known[status]) return known[status];
  if (status >= 500) return 'server-error';
  return 'unknown';
}

const TLS_CLASSES: Record<string, FailureClass> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls-self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls-self-signed',
  CERT_HAS_EXPIRED: 'tls-expired',
  CERT_NOT_YET_VALID: 'tls-expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls-hostname',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls-unknown-ca',
  UNABLE_TO_GET_ISSUER_CERT: 'tls-unknown-ca',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls-unknown-ca',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'tls-client-cert-required',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'tls-client-cert-required',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'tls-client-cert-required',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'tls',
  ERR_SSL_WRONG_VERSION_NUMBER: 'protocol',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'protocol',
};

const CODE_CLASSES: Record<string, FailureClass> = {
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_NONAME: 'dns',
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'timeout-connect',
  UND_ERR_HEADERS_TIMEOUT: 'timeout-first-byte',
  UND_ERR_BODY_TIMEOUT: 'timeout-body',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  HPE_INVALID_CONSTANT: 'protocol',
  HPE_INVALID_STATUS: 'protocol',
  Z_DATA_ERROR: 'protocol',
  Z_BUF_ERROR: 'protocol',
};

const TIMEOUT_BY_PHASE: Record<Phase, FailureClass> = {
  connect: 'timeout-connect',
  'first-byte': 'timeout-first-byte',
  body: 'timeout-body',
};

/** A transport failure (no usable HTTP answer) as class and summary. */
export function classifyError(error: unknown): Verdict {
  const exchange = error instanceof ExchangeError ? error : undefined;
  const cause = exchange ? exchange.cause : error;
  const code = errorCode(cause);
  const message = (cause as Error)?.message ?? String(cause);
  let kind = exchange?.deadline
    ? TIMEOUT_BY_PHASE[exchange.phase]
    : classOf(code, message, exchange?.phase);
  if (exchange?.closedAfterHandshake && exchange.clientCertSent) {
    kind = 'tls-client-cert-required';
  }
  return {
    failure: failure(kind, hintFor(kind, exchange)),
    summary: summaryFor(kind, code, message, exchange),
  };
}

function hintFor(kind: FailureClass, exchange: ExchangeError | undefined): string | undefined {
  if (kind === 'tls-client-cert-required' && exchange?.closedAfterHandshake) {
    return (
      'The server closed the connection right after the TLS handshake: most ' +
      'likely it refused the client certificate; check that a CA it trusts ' +
      'issued certFile or pfxFile.'
    );
  }
  if (kind === 'reset' && exchange?.closedAfterHandshake) {
    return (
      'The server closed the connection right after the TLS handshake ' +
      'without answering; servers do that when they want a client ' +
      'certificate (certFile and keyFile, or pfxFile).'
    );
  }
  if (kind === 'reset' && exchange?.phase === 'body') {
    return (
      'The server closed the connection in the middle of the body; check its' +
      ' logs, or a proxy or load balancer in between.'
    );
  }
  return undefined;
}

function classOf(code: string | undefined, message: string, phase?: Phase): FailureClass {
  if (code && TLS_CLASSES[code]) return TLS_CLASSES[code];
  if (code && CODE_CLASSES[code]) return CODE_CLASSES[code];
  if (/Proxy (response \(407\)|Authentication Required)/i.test(message)) {
    return 'proxy-auth';
  }
  if (/^Proxy response/i.test(message)) return 'unreachable';
  if (code?.startsWith('ERR_SSL_') || code?.startsWith('ERR_TLS_')) return 'tls';
  if (/certificate|ssl|tls/i.test(message)) return 'tls';
  if (phase === 'body' && code === 'UND_ERR_ABORTED') return 'reset';
  return 'unknown';
}

const LABELS: Partial<Record<FailureClass, string>> = {
  dns: 'host name not found',
  refused: 'connection refused',
  unreachable: 'host unreachable',
  'timeout-connect': 'timed out connecting',
  'timeout-first-byte': 'timed out waiting for the response',
  'timeout-body': 'timed out reading the response body',
  'proxy-auth': 'the proxy wants authentication (407)',
  reset: 'connection reset',
};

function summaryFor(
  kind: FailureClass,
  code: string | undefined,
  message: string,
  exchange: ExchangeError | undefined,
): string {
  const label = LABELS[kind] ?? (kind.startsWith('tls') ? 'TLS failed' : 'request failed');
  const where = kind === 'reset' && exchange?.phase === 'body' ? ' mid-body' : '';
  const detail = exchange?.deadline ? 'deadline reached' : message;
  return `${label}${where}: ${detail}${code && !message.includes(code) ? ` (${code})` : ''}`;
}
