// Connection strings: every supported scheme split into settings and a
// password secret, the loose parameter spellings, the reverse for display
// (never with the password), and errors that never echo the input.

import { formatConnectionString, isConnectionString, parseConnectionString,
  redactConnectionString } from '../../src/connectors/connection-string.js';

const CANARY = 'canary-Cs-91d0e6';

test.each([
  ['postgres://app@db.example.com:5433/shop?sslmode=verify-full', 'postgres',
    { host: 'db.example.com', port: 5433, user: 'app', database: 'shop', sslMode: 'verify-full' }],
  ['postgresql://app@db.example.com/shop', 'postgres',
    { host: 'db.example.com', user: 'app', database: 'shop' }],
  ['mysql://app@10.0.0.5:3307/shop?ssl-mode=VERIFY_IDENTITY', 'mysql',
    { host: '10.0.0.5', port: 3307, user: 'app', database: 'shop', sslMode: 'verify-full' }],
  ['mariadb://app@db/shop?ssl-mode=DISABLED', 'mariadb',
    { host: 'db', user: 'app', database: 'shop', sslMode: 'disable' }],
  ['redis://cache.example.com:6380/2', 'redis',
    { host: 'cache.example.com', port: 6380, database: 2, sslMode: 'disable' }],
  ['rediss://app@cache.example.com', 'redis',
    { host: 'cache.example.com', user: 'app', sslMode: 'verify-full' }],
  ['postgres://app@[::1]:5432/shop', 'postgres',
    { host: '::1', port: 5432, user: 'app', database: 'shop' }],
])('%s', (text, connector, settings) => {
  const parsed = parseConnectionString(text);
  expect(parsed.connector).toBe(connector);
  expect(parsed.settings).toEqual(settings);
  expect(parsed.secrets).toEqual({});
});

test('the password becomes a secret, percent-decoded', () => {
  const parsed = parseConnectionString(
    `postgres://app:${CANARY}%40%3A%2F@db.example.com/shop?sslmode=require`);
  expect(parsed.secrets).toEqual({ password: `${CANARY}@:/` });
  expect(JSON.stringify(parsed.settings)).not.toContain(CANARY);
});

test('a Redis password without a user', () => {
  const parsed = parseConnectionString(`redis://:${CANARY}@localhost:6379/0`);
  expect(parsed.secrets.password).toBe(CANARY);
  expect(parsed.settings.user).toBeUndefined();
  expect(parsed.settings.database).toBe(0);
});

test('libpq parameters map to fields; unknown ones are reported', () => {
  const parsed = parseConnectionString('postgres://u@h/d?sslrootcert=/ca.pem' +
    '&sslcert=/c.pem&sslkey=/k.pem&connect_timeout=5&application_name=x');
  expect(parsed.settings).toMatchObject({ sslCa: '/ca.pem', sslCert: '/c.pem',
    sslKey: '/k.pem', connectTimeout: 5 });
  expect(parsed.warnings.join()).toContain('application_name');
});

test('sslmode=prefer becomes require, with a warning', () => {
  const parsed = parseConnectionString('postgres://u@h/d?sslmode=prefer');
  expect(parsed.settings.sslMode).toBe('require');
  expect(parsed.warnings).toHaveLength(1);
});

test('PlanetScale-style ssl JSON means verify-full', () => {
  const parsed = parseConnectionString(
    'mysql://u@aws.connect.psdb.cloud/db?ssl={"rejectUnauthorized":true}');
  expect(parsed.settings.sslMode).toBe('verify-full');
});

test.each([
  [`postgres://app:${CANARY}@db example.com/x`],
  [`ftp://app:${CANARY}@host/x`],
  [`postgres://app:${CANARY}@h1,h2/x`],
  [`postgres://app:${CANARY}@h/x?sslmode=bogus`],
  [`redis://app:${CANARY}@h/notanumber`],
])('a bad string is a usage error that does not echo it: %s', (text) => {
  let message = '';
  try {
    parseConnectionString(text);
  } catch (err) {
    message = `${(err as Error).message} ${(err as { hint?: string }).hint}`;
    expect((err as { exitCode?: number }).exitCode).toBe(2);
  }
  expect(message).not.toBe('');
  expect(message).not.toContain(CANARY);
});

test('format for display never has a password and round-trips', () => {
  const text = `postgres://app:${CANARY}@db.example.com:5432/shop?sslmode=verify-ca`;
  const parsed = parseConnectionString(text);
  const shown = formatConnectionString('postgres', parsed.settings);
  expect(shown).toBe('postgres://app@db.example.com:5432/shop?sslmode=verify-ca');
  expect(parseConnectionString(shown).settings).toEqual(parsed.settings);
});

test('format for MySQL and Redis', () => {
  expect(formatConnectionString('mysql', { host: 'db', user: 'a b', sslMode: 'verify-full' }))
    .toBe('mysql://a%20b@db?ssl-mode=VERIFY_IDENTITY');
  expect(formatConnectionString('redis', { host: '::1', port: 6380, database: 1,
    sslMode: 'require' })).toBe('rediss://[::1]:6380/1');
});

test('redact and recognise', () => {
  expect(redactConnectionString(`redis://:${CANARY}@h:6379`)).toBe('redis://:***@h:6379');
  expect(redactConnectionString(`postgres://u@h/d?password=${CANARY}&x=1`))
    .toBe('postgres://u@h/d?password=***&x=1');
  expect(isConnectionString('  rediss://h')).toBe(true);
  expect(isConnectionString('db.example.com')).toBe(false);
});
