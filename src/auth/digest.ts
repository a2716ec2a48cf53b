// HTTP Digest (RFC 7616, with RFC 2069 servers that send no qop): the first
// request goes without credentials, the 401's challenge says how to answer,
// and the request is sent once more. SHA-256 is preferred when the server
// offers it beside MD5; `-sess` variants are supported; qop is `auth` only
// (auth-int, which hashes the body, is rare and not offered here).

import { createHash, randomBytes } from 'node:crypto';
import type { Secrets, Settings } from '../connectors/types.js';
import { requireField } from './template.js';
import type { AuthScheme, OutgoingRequest, UnauthorizedResponse } from './types.js';

interface Challenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: string;
  /** `auth`, or undefined when the server sent no qop (RFC 2069). */
  qop?: 'auth';
}

const HASHES: Record<string, string> = {
  MD5: 'md5',
  'MD5-SESS': 'md5',
  'SHA-256': 'sha256',
  'SHA-256-SESS': 'sha256',
};

export function createDigestAuth(settings: Settings, secrets: Secrets): AuthScheme {
  const username = requireField('username', 'digest', settings, secrets);
  const password = requireField('password', 'digest', settings, secrets);
  let challenge: Challenge | undefined;
  let count = 0;
  return {
    sign(request) {
      if (!challenge) return;
      count += 1;
      request.headers.authorization = answer(challenge, request, username, password, count);
    },
    async retryAfterUnauthorized(response: UnauthorizedResponse) {
      const offered = parseChallenges(response.headers['www-authenticate']);
      challenge = pickChallenge(offered);
      count = 0;
      return challenge !== undefined;
    },
  };
}

function answer(
  c: Challenge,
  request: OutgoingRequest,
  username: string,
  password: string,
  count: number,
): string {
  const hash = (text: string) => createHash(HASHES[c.algorithm]).update(text).digest('hex');
  const uri = `${request.url.pathname}${request.url.search}`;
  const nc = count.toString(16).padStart(8, '0');
  const cnonce = randomBytes(12).toString('hex');
  let ha1 = hash(`${username}:${c.realm}:${password}`);
  if (c.algorithm.endsWith('-SESS')) ha1 = hash(`${ha1}:${c.nonce}:${cnonce}`);
  const ha2 = hash(`${request.method}:${uri}`);
  const response = c.qop
    ? hash(`${ha1}:${c.nonce}:${nc}:${cnonce}:${c.qop}:${ha2}`)
    : hash(`${ha1}:${c.nonce}:${ha2}`);
  const parts = [
    `username=${quote(username)}`,
    `realm=${quote(c.realm)}`,
    `nonce=${quote(c.nonce)}`,
    `uri=${quote(uri)}`,
    `algorithm=${c.algorithm}`,
    `response=${quote(response)}`,
  ];
  if (c.qop) parts.push(`qop=${c.qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

/** The Digest challenges among the header's (possibly several) challenges. */
export function parseChallenges(
  header: string | string[] | undefined,
): Array<Record<string, string>> {
  const texts = Array.isArray(header) ? header : header ? [header] : [];
  const challenges: Array<Record<string, string>> = [];
  for (const text of texts) {
    const starts = /(?:^|[\s,])Digest\s+/gi;
    for (let match = starts.exec(text); match; match = starts.exec(text)) {
      challenges.push(parseParams(text, match.index + match[0].length));
    }
  }
  return challenges;
}

// Stops at the first text that is not `key=value`, e.g. the next scheme.
function parseParams(text: string, from: number): Record<string, string> {
  const param = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/y;
  const params: Record<string, string> = {};
  param.lastIndex = from;
  for (let m = param.exec(text); m; m = param.exec(text)) {
    params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  return params;
}

function pickChallenge(offered: Array<Record<string, string>>): Challenge | undefined {
  const usable = offered
    .map(toChallenge)
    .filter((c): c is Challenge => c !== undefined);
  return usable.find((c) => c.algorithm.startsWith('SHA-256')) ?? usable[0];
}

function toChallenge(params: Record<string, string>): Challenge | undefined {
  const algorithm = (params.algorithm ?? 'MD5').toUpperCase();
  if (!HASHES[algorithm] || params.realm === undefined || !params.nonce) return undefined;
  const qops = (params.qop ?? '').split(',').map((q) => q.trim().toLowerCase());
  // A server that offers only auth-int cannot be answered by this scheme.
  if (params.qop !== undefined && !qops.includes('auth')) return undefined;
  return {
    realm: params.realm,
    nonce: params.nonce,
    opaque: params.opaque,
    algorithm,
    qop: params.qop !== undefined ? 'auth' : undefined,
  };
}
