// Failure classes for what every database connection can run into before
// the database itself says anything: name resolution, the network, TLS and
// time. Each adapter first asks its server's own error codes, then this.

import type { FailureClass, TestFailure } from './types.js';
import { AbortedError, errorCode, PhaseTimeoutError } from './db-net.js';
import { SettingsProblem } from './db-tls.js';

export interface Endpoint {
  host: string;
  port: number;
}

const NETWORK: Record<string, [FailureClass, (e: Endpoint) => string]> = {
  ENOTFOUND: ['dns', (e) => `the name ${e.host} does not resolve; ` +
    'check the spelling of the host'],
  EAI_AGAIN: ['dns', (e) => `the name server did not answer for ${e.host}; ` +
    'check the network or DNS settings'],
  ECONNREFUSED: ['refused', (e) => `nothing listens on ${e.host}:${e.port}; ` +
    'check the port and that the server is running'],
  EHOSTUNREACH: ['unreachable', (e) => `no route to ${e.host}; check the ` +
    'VPN, firewall or security group between you and the server'],
  ENETUNREACH: ['unreachable', (e) => `the network of ${e.host} is not ` +
    'reachable from here; check the VPN or routing'],
  ETIMEDOUT: ['timeout-connect', (e) => `${e.host}:${e.port} did not answer; ` +
    'a firewall may be dropping the connection'],
  ECONNRESET: ['reset', () => 'the server closed the connection abruptly; ' +
    'it may expect TLS, or a proxy in between dropped it'],
  EPIPE: ['reset', () => 'the server closed the connection while we wrote; ' +
    'it may expect TLS, or it refused this client'],
};

const TLS: Record<string, [FailureClass, string]> = {
  CERT_HAS_EXPIRED: ['tls-expired',
    'the server certificate has expired; the server owner must renew it'],
  DEPTH_ZERO_SELF_SIGNED_CERT: ['tls-self-signed',
    'the server certificate is self-signed; give its CA in sslCa or use ' +
    'sslMode require'],
  SELF_SIGNED_CERT_IN_CHAIN: ['tls-self-signed',
    'the certificate chain ends in a CA you do not trust; give that CA in sslCa'],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: ['tls-unknown-ca',
    'the server certificate was not signed by the CA you trust; check sslCa'],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: ['tls-unknown-ca',
    'the CA that signed the server certificate is unknown; give it in sslCa'],
  UNABLE_TO_GET_ISSUER_CERT: ['tls-unknown-ca',
    'the CA that signed the server certificate is unknown; give it in sslCa'],
  ERR_TLS_CERT_ALTNAME_INVALID: ['tls-hostname',
    'the certificate is for another host name; connect by the name it ' +
    'names or use sslMode verify-ca'],
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: ['tls-client-cert-required',
    'the server wants a client certificate; set sslCert and sslKey'],
  ERR_SSL_WRONG_VERSION_NUMBER: ['tls',
    'the server does not speak TLS on this port; check the port or use ' +
    'sslMode disable'],
};

/** Classifies what any database connection may meet; undefined if none. */
export function classifyCommon(err: unknown, at: Endpoint): TestFailure | undefined {
  if (err instanceof PhaseTimeoutError) return timeoutFailure(err, at);
  if (err instanceof AbortedError) {
    return { class: 'unknown', hint: 'the test was interrupted before it finished' };
  }
  if (err instanceof SettingsProblem) return { class: 'settings', hint: err.hint };

  const code = errorCode(err) ?? '';
  const network = NETWORK[code];
  if (network) return { class: network[0], hint: network[1](at) };
  const tls = TLS[code];
  if (tls) return { class: tls[0], hint: tls[1] };
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return { class: 'tls', hint: 'the TLS handshake failed; check sslMode ' +
      'and the certificate files' };
  }
  return foreignProtocol(err, at);
}

function timeoutFailure(err: PhaseTimeoutError, at: Endpoint): TestFailure {
  const seconds = Math.round(err.ms / 100) / 10;
  switch (err.phase) {
    case 'dns':
      return { class: 'timeout-connect', hint: `looking up ${at.host} took ` +
        `over ${seconds} s; check the network or DNS settings` };
    case 'tcp':
      return { class: 'timeout-connect', hint: `${at.host}:${at.port} did ` +
        `not accept a connection within ${seconds} s; a firewall may drop it` };
    case 'query':
      return { class: 'timeout', hint: `the test query did not finish ` +
        `within ${seconds} s; try a cheaper test query or a longer timeout` };
    default:
      return { class: 'timeout', hint: 'the server accepted the connection ' +
        `but did not finish the ${err.phase} step within ${seconds} s; ` +
        'check sslMode and that this port is the database' };
  }
}

/**
 * Something else answers on the port (an HTTP server, another database): the
 * drivers say so in their own words.
 */
function foreignProtocol(err: unknown, at: Endpoint): TestFailure | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const foreign = /error establishing an SSL connection|Protocol error|unexpected (message|packet)|Received unexpected|Malformed|packets out of order/i;
  if (!foreign.test(message)) return undefined;
  return {
    class: 'protocol',
    hint: `${at.host}:${at.port} does not speak this database's protocol; check the port and that it is the database, not another service`,
  };
}
