// OAuth 1.0a, JWT bearer and AWS SigV4 signatures: the published examples
// (RFC 5849, the AWS SigV4 test suite), then real requests to a server on
// 127.0.0.1 that checks each signature with an independent implementation
// (oauth-1.0a, jose, aws4).

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { createHmac, generateKeyPairSync, verify } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import aws4 from 'aws4';
import { jwtVerify, createLocalJWKSet, exportJWK } from 'jose';
import type { AuthScheme, OutgoingRequest } from '../../src/auth/types.js';
import type { Settings } from '../../src/connectors/types.js';
import {
  baseStringUri,
  createOAuth1Scheme,
  oauth1Signature,
  signatureBaseString,
} from '../../src/auth/oauth1.js';
import type { OAuth1Credentials } from '../../src/auth/oauth1.js';
import { createJwtScheme, JWT_BEARER_GRANT } from '../../src/auth/jwt.js';
import { createSigV4Scheme, signSigV4 } from '../../src/auth/sigv4.js';
import { authContext } from '../helpers/auth-context.js';
import type { TestAuthContext } from '../helpers/auth-context.js';

const CANARY = 'consumer-secret-CANARY-41b7';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaPrivatePem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const ecPrivatePem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let server: Server;
let base: string;
const contexts: TestAuthContext[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    readBody(req)
      .then((body) => route(req, body))
      .then(({ status, json }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      })
      .catch((error) => {
        res.writeHead(500);
        res.end(String(error));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address?.port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
    req.on('error', reject);
  });
}

type Answer = { status: number; json: unknown };

async function route(req: IncomingMessage, body: string): Promise<Answer> {
  const url = new URL(req.url ?? '/', base);
  if (url.pathname.startsWith('/oauth1/')) return checkOAuth1(req, url, body);
  if (url.pathname === '/jwt/token') return exchangeJwt(body);
  if (url.pathname.startsWith('/jwt/')) return checkJwt(req);
  if (url.pathname.startsWith('/aws/')) return checkSigV4(req, url, body);
  return { status: 404, json: {} };
}

/** Runs a scheme the way the HTTP adapter does, then sends the request. */
async function call(
  scheme: AuthScheme,
  ctx: TestAuthContext,
  request: OutgoingRequest,
): Promise<{ status: number; json: Record<string, unknown> }> {
  contexts.push(ctx);
  await scheme.prepare?.(ctx);
  await scheme.sign(request, ctx);
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

function formPost(path: string, body: string): OutgoingRequest {
  return {
    method: 'POST',
    url: new URL(`${base}${path}`),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  };
}

function get(path: string): OutgoingRequest {
  return { method: 'GET', url: new URL(`${base}${path}`), headers: {} };
}

// ---------------------------------------------------------------- OAuth 1.0a

describe('OAuth 1.0a: RFC 5849 examples', () => {
  // RFC 5849 section 3.1 and 3.4.1.1: the example request and base string.
  const rfcRequest = {
    method: 'POST',
    url: new URL('http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b'),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'c2&a3=2+q',
  };
  const rfcParams: Array<[string, string]> = [
    ['oauth_consumer_key', '9djdj82h48djs9d2'],
    ['oauth_token', 'kkk9d7dh3k39sjv7'],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', '137131201'],
    ['oauth_nonce', '7d8f3e4a'],
  ];

  test('section 3.4.1.1: the signature base string', () => {
    expect(signatureBaseString(rfcRequest, rfcParams)).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q' +
        '%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_' +
        'key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m' +
        'ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk' +
        '9d7dh3k39sjv7',
    );
  });

  // The value printed in section 3.1 (bYT5CMsG...) is wrong; RFC 5849
  // erratum 2550 gives the one the base string above really produces.
  test('section 3.1 with erratum 2550: the HMAC-SHA1 signature', () => {
    const credentials: OAuth1Credentials = {
      method: 'HMAC-SHA1',
      consumerKey: '9djdj82h48djs9d2',
      consumerSecret: 'j49sk3j29djd',
      token: 'kkk9d7dh3k39sjv7',
      tokenSecret: 'dh893hdasih9',
    };
    const baseString = signatureBaseString(rfcRequest, rfcParams);

    expect(oauth1Signature(credentials, baseString)).toBe('r6/TJjbCOr97/+UU0NsvSne7s5g=');
  });

  test('section 1.2: the temporary credential request', () => {
    const request = {
      method: 'POST',
      url: new URL('https://photos.example.net/initiate'),
      headers: {},
    };
    const params: Array<[string, string]> = [
      ['oauth_consumer_key', 'dpf43f3p2l4k3l03'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131200'],
      ['oauth_nonce', 'wIjqoS'],
      ['oauth_callback', 'http://printer.example.com/ready'],
    ];
    const credentials: OAuth1Credentials = {
      method: 'HMAC-SHA1',
      consumerKey: 'dpf43f3p2l4k3l03',
      consumerSecret: 'kd94hf93k423kf44',
    };
    const baseString = signatureBaseString(request, params);

    expect(oauth1Signature(credentials, baseString)).toBe('74KNZJeDHnMBp0EMJ9ZHt/XKycU=');
  });

  test('section 3.4.1.2: the base string URI', () => {
    expect(baseStringUri(new URL('http://EXAMPLE.COM:80/r%20v/X?id=123'))).toBe(
      'http://example.com/r%20v/X',
    );
    expect(baseStringUri(new URL('https://www.example.net:8080/?q=1'))).toBe(
      'https://www.example.net:8080/',
    );
  });

  test('section 2.1: PLAINTEXT is the encoded secrets joined by &', () => {
    const credentials: OAuth1Credentials = {
      method: 'PLAINTEXT',
      consumerKey: 'jd83jd92dhsh93js',
      consumerSecret: 'ja893SD9',
    };
    expect(oauth1Signature(credentials, 'ignored')).toBe('ja893SD9&');
  });
});

const CONSUMER = { key: 'consumer-key-1', secret: CANARY };
const TOKEN = { key: 'token-id-1', secret: 'token-secret-1' };

function checkOAuth1(req: IncomingMessage, url: URL, body: string): Answer {
  const params = parseOAuthHeader(req.headers.authorization ?? '');
  const method = params.oauth_signature_method;
  const oauth = new OAuth({
    consumer: CONSUMER,
    signature_method: method,
    hash_function: (text, key) => independentHash(method, text, key),
  });
  const requestData = {
    url: url.href,
    method: req.method ?? 'GET',
    data: Object.fromEntries(new URLSearchParams(body)),
  };
  // Neither the signature nor the realm is part of the base string.
  const { oauth_signature: _signature, realm: _realm, ...rest } = params;
  const oauthData = rest as unknown as OAuth.Data;
  const ok =
    method === 'RSA-SHA256'
      ? verify(
          'sha256',
          Buffer.from(oauth.getBaseString(requestData, oauthData)),
          rsa.publicKey,
          Buffer.from(params.oauth_signature, 'base64'),
        )
      : oauth.getSignature(requestData, TOKEN.secret, oauthData) ===
        params.oauth_signature;
  return { status: ok ? 200 : 401, json: { ok, realm: params.realm ?? null } };
}

function independentHash(method: string, text: string, key: string): string {
  if (method === 'PLAINTEXT') return key;
  const algorithm = method === 'HMAC-SHA256' ? 'sha256' : 'sha1';
  return createHmac(algorithm, key).update(text).digest('base64');
}

function parseOAuthHeader(header: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const match of header.matchAll(/([\w]+)="([^"]*)"/g)) {
    params[match[1]] = decodeURIComponent(match[2]);
  }
  return params;
}

function oauth1Context(settings: Settings, secrets: Record<string, string> = {}) {
  return authContext(
    'oauth1-api',
    { consumerKey: CONSUMER.key, oauth1Token: TOKEN.key, ...settings },
    { consumerSecret: CONSUMER.secret, oauth1TokenSecret: TOKEN.secret, ...secrets },
  );
}

describe('OAuth 1.0a: verified by the oauth-1.0a package', () => {
  test.each(['HMAC-SHA1', 'HMAC-SHA256', 'PLAINTEXT'])('%s', async (method) => {
    const ctx = oauth1Context({ oauth1SignatureMethod: method });
    const request = formPost('/oauth1/items?q=a%20b&sort=name', 'name=caf%C3%A9&n=1+2');

    const { status } = await call(createOAuth1Scheme(), ctx, request);

    expect(status).toBe(200);
  });

  test('RSA-SHA256, checked with the public key', async () => {
    const ctx = oauth1Context(
      { oauth1SignatureMethod: 'RSA-SHA256' },
      { privateKey: rsaPrivatePem },
    );

    const { status } = await call(createOAuth1Scheme(), ctx, get('/oauth1/me?x=1'));

    expect(status).toBe(200);
  });

  test('NetSuite token-based authentication: the account is the realm', async () => {
    const ctx = oauth1Context({
      oauth1SignatureMethod: 'HMAC-SHA256',
      account: '1234567-sb1',
    });

    const { status, json } = await call(createOAuth1Scheme(), ctx, get('/oauth1/record'));

    expect(status).toBe(200);
    expect(json.realm).toBe('1234567_SB1');
  });

  test('a wrong token secret is refused by the server', async () => {
    const ctx = oauth1Context({}, { oauth1TokenSecret: 'wrong' });

    const { status } = await call(createOAuth1Scheme(), ctx, get('/oauth1/me'));

    expect(status).toBe(401);
  });
});

// ----------------------------------------------------------------------- JWT

const HS_SECRET = 'jwt-hmac-secret-CANARY-aa90';

async function verifyAssertion(token: string) {
  const [header] = token.split('.');
  const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString());
  const key =
    alg === 'HS256'
      ? new TextEncoder().encode(HS_SECRET)
      : alg === 'RS256'
        ? rsa.publicKey
        : ec.publicKey;
  return jwtVerify(token, key, {
    issuer: 'conn-test',
    audience: `${base}/jwt/token`,
    algorithms: [alg],
  });
}

async function checkJwt(req: IncomingMessage): Promise<Answer> {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  if (token.startsWith('exchanged-')) return { status: 200, json: { via: 'exchange' } };
  try {
    const { payload, protectedHeader } = await verifyAssertion(token);
    return { status: 200, json: { alg: protectedHeader.alg, sub: payload.sub, scope: payload.scope } };
  } catch (error) {
    return { status: 401, json: { error: String(error) } };
  }
}

async function exchangeJwt(body: string): Promise<Answer> {
  const params = new URLSearchParams(body);
  if (params.get('grant_type') !== JWT_BEARER_GRANT) {
    return { status: 400, json: { error: 'unsupported_grant_type' } };
  }
  try {
    await verifyAssertion(params.get('assertion') ?? '');
  } catch {
    return { status: 400, json: { error: 'invalid_grant' } };
  }
  const json = { access_token: `exchanged-${Date.now()}`, token_type: 'Bearer', expires_in: 600 };
  return { status: 200, json };
}

function jwtSettings(extra: Settings): Settings {
  return {
    jwtIssuer: 'conn-test',
    jwtSubject: 'service-account-1',
    jwtAudience: `${base}/jwt/token`,
    jwtClaims: '{"scope": "read write"}',
    ...extra,
  };
}

describe('JWT bearer: verified by jose', () => {
  test.each([
    ['HS256', { jwtSecret: HS_SECRET }],
    ['RS256', { privateKey: rsaPrivatePem }],
    ['ES256', { privateKey: ecPrivatePem }],
  ])('%s assertion sent as the bearer token', async (alg, secrets) => {
    const ctx = authContext('jwt-api', jwtSettings({ jwtAlgorithm: alg }), secrets);

    const { status, json } = await call(createJwtScheme(), ctx, get('/jwt/me'));

    expect(status).toBe(200);
    expect(json).toEqual({ alg, sub: 'service-account-1', scope: 'read write' });
  });

  test('exchanged at a token URL (RFC 7523) for an access token', async () => {
    const ctx = authContext(
      'jwt-api',
      jwtSettings({ jwtAlgorithm: 'ES256', jwtMode: 'exchange', tokenUrl: `${base}/jwt/token` }),
      { privateKey: ecPrivatePem },
    );

    const { status, json } = await call(createJwtScheme(), ctx, get('/jwt/me'));

    expect(status).toBe(200);
    expect(json).toEqual({ via: 'exchange' });
    const token = ctx.rawEvents.find((e) => e.type === 'request');
    expect(token).toMatchObject({ body: expect.stringContaining('assertion=') });
  });

  test('the assertion also passes a JWKS-based check', async () => {
    const jwk = { ...(await exportJWK(ec.publicKey)), kid: 'k1', alg: 'ES256' };
    const jwks = createLocalJWKSet({ keys: [jwk] });
    const ctx = authContext(
      'jwt-api',
      jwtSettings({ jwtAlgorithm: 'ES256', jwtKeyId: 'k1' }),
      { privateKey: ecPrivatePem },
    );
    const request = get('/jwt/me');
    const scheme = createJwtScheme();
    await scheme.prepare?.(ctx);
    await scheme.sign(request, ctx);

    const token = request.headers.authorization.slice('Bearer '.length);
    const { protectedHeader } = await jwtVerify(token, jwks);
    expect(protectedHeader.kid).toBe('k1');
  });
});

// --------------------------------------------------------------------- SigV4

// From the AWS Signature Version 4 test suite (aws-sig-v4-test-suite,
// https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html):
// credentials, date and scope shared by every case.
const SUITE = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  service: 'service',
};
const SUITE_DATE = new Date('2015-08-30T12:36:00Z');
const SUITE_CREDENTIAL = 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';

describe('AWS SigV4: the published test suite', () => {
  test.each([
    // get-vanilla
    ['GET', '/', {}, '', 'host;x-amz-date',
      '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    // get-vanilla-query-order-key-case
    ['GET', '/?Param2=value2&Param1=value1', {}, '', 'host;x-amz-date',
      'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'],
    // post-x-www-form-urlencoded
    ['POST', '/', { 'content-type': 'application/x-www-form-urlencoded' },
      'Param1=value1', 'content-type;host;x-amz-date',
      'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a'],
  ])('%s %s', (method, path, headers, body, signed, signature) => {
    const request: OutgoingRequest = {
      method,
      url: new URL(`https://example.amazonaws.com${path}`),
      headers: { ...headers },
      body: body || undefined,
    };

    signSigV4(request, SUITE, SUITE_DATE);

    expect(request.headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=${SUITE_CREDENTIAL}, ` +
        `SignedHeaders=${signed}, Signature=${signature}`,
    );
  });
});

const AWS_SECRET = 'aws-secret-CANARY-9c2d';

function checkSigV4(req: IncomingMessage, url: URL, body: string): Answer {
  const received = req.headers.authorization ?? '';
  const signed = /SignedHeaders=([^,]+)/.exec(received)?.[1].split(';') ?? [];
  const headers: Record<string, string> = {};
  for (const name of signed) headers[name] = String(req.headers[name]);
  const service = /\/([^/]+)\/aws4_request/.exec(received)?.[1] ?? '';
  const expected = aws4.sign(
    {
      host: headers.host,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers,
      body: body || undefined,
      service,
      region: 'eu-west-1',
    },
    {
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: AWS_SECRET,
      sessionToken: req.headers['x-amz-security-token'] as string | undefined,
    },
  );
  const ok = expected.headers?.Authorization === received;
  return { status: ok ? 200 : 403, json: { ok, expected: expected.headers?.Authorization, received } };
}

describe('AWS SigV4: verified by aws4', () => {
  function sigv4Context(service: string, secrets: Record<string, string> = {}) {
    return authContext(
      'aws-api',
      { awsAccessKeyId: 'AKIAEXAMPLE', awsRegion: 'eu-west-1', awsService: service },
      { awsSecretAccessKey: AWS_SECRET, ...secrets },
    );
  }

  test('GET with a query to execute-api', async () => {
    const ctx = sigv4Context('execute-api');
    const request = get('/aws/prod/items?b=2&a=1&name=a%20b');

    const { status, json } = await call(createSigV4Scheme(), ctx, request);

    expect(json).toMatchObject({ ok: true });
    expect(status).toBe(200);
  });

  test('POST with a body and a session token', async () => {
    const ctx = sigv4Context('sts', { awsSessionToken: 'session-token-1' });
    const request = formPost('/aws/', 'Action=GetCallerIdentity&Version=2011-06-15');

    const { status } = await call(createSigV4Scheme(), ctx, request);

    expect(status).toBe(200);
    expect(request.headers['x-amz-security-token']).toBe('session-token-1');
  });

  test('S3: the payload hash header and a path signed as sent', async () => {
    const ctx = sigv4Context('s3');
    const request = get('/aws/bucket/some%20key.txt');

    const { status } = await call(createSigV4Scheme(), ctx, request);

    expect(status).toBe(200);
    expect(request.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a wrong secret is refused', async () => {
    const ctx = sigv4Context('execute-api', { awsSecretAccessKey: 'wrong' });

    const { status } = await call(createSigV4Scheme(), ctx, get('/aws/x'));

    expect(status).toBe(403);
  });
});

describe('no secret in what the schemes report', () => {
  test('trace steps and notes carry no secret value', () => {
    const own = JSON.stringify(
      contexts.flatMap((c) => c.rawEvents.filter((e) => e.type !== 'request' && e.type !== 'response')),
    );
    for (const secret of [CANARY, HS_SECRET, AWS_SECRET, TOKEN.secret]) {
      expect(own).not.toContain(secret);
    }
  });
});
