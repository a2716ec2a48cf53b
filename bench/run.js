#!/usr/bin/env node
// `npm run bench`: start-up cost of conn measured against a baseline taken in
// the same run, interleaved, so machine load affects both alike. Prints
// medians and ratios; it asserts nothing (speed is not a timed test).

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve('bin/conn.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 30);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function timeOnce(args, env) {
  return measure(args, env).ms;
}

/** Wall time and peak memory (max RSS, from /usr/bin/time) of one run. */
function measure(args, env) {
  const timed = existsSync('/usr/bin/time');
  const command = timed ? '/usr/bin/time' : process.execPath;
  const argv = timed ? ['-f', 'maxrss=%M', process.execPath, ...args] : args;
  const started = process.hrtime.bigint();
  const result = spawnSync(command, argv, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  const rss = /maxrss=(\d+)/.exec(result.stderr ?? '');
  return { ms, maxRssMiB: rss ? Number(rss[1]) / 1024 : undefined };
}

/** Runs the baseline and the subject alternately, RUNS times each. */
export function compare(label, baseline, subject, env) {
  timeOnce(baseline, env);
  timeOnce(subject, env);
  const base = [];
  const measured = [];
  for (let i = 0; i < RUNS; i++) {
    base.push(timeOnce(baseline, env));
    measured.push(timeOnce(subject, env));
  }
  const b = median(base);
  const m = median(measured);
  console.log(`${label}`);
  console.log(`  baseline ${b.toFixed(1)} ms, measured ${m.toFixed(1)} ms, ratio ${(m / b).toFixed(2)}`);
  return m / b;
}

function seedConnections(home, count) {
  const connections = {};
  const now = new Date().toISOString();
  for (let i = 0; i < count; i++) {
    const http = i % 2 === 0;
    connections[`conn-${String(i).padStart(4, '0')}`] = {
      connector: http ? 'http' : 'postgres',
      settings: http
        ? { baseUrl: `https://api-${i}.example.com`, auth: 'bearer' }
        : { host: `db-${i}.example.com`, port: 5432, database: 'app', user: 'app', sslMode: 'require' },
      secretFields: [http ? 'token' : 'password'],
      createdAt: now,
      updatedAt: now,
      status: { state: i % 3 === 0 ? 'online' : 'untested', at: i % 3 === 0 ? now : undefined },
    };
  }
  writeFileSync(join(home, 'connections.json'), JSON.stringify({ version: 1, connections }, null, 2), { mode: 0o600 });
}

async function startServer() {
  const child = spawn(process.execPath, [resolve('bench/server.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [chunk] = await once(child.stdout, 'data');
  return { url: `http://127.0.0.1:${String(chunk).trim()}`, stop: () => child.stdin.end() };
}

/** HTTP connections whose tokens live in the encrypted file store. */
function seedHttpConnections(home, count, url, env) {
  const connections = {};
  const secrets = {};
  const now = new Date().toISOString();
  for (let i = 0; i < count; i++) {
    const name = `api-${String(i).padStart(4, '0')}`;
    connections[name] = {
      connector: 'http',
      settings: { baseUrl: url, auth: 'bearer', testPath: '/me' },
      secretFields: ['token'],
      createdAt: now,
      updatedAt: now,
      status: { state: 'untested' },
    };
    secrets[name] = { token: `bench-${i}` };
  }
  writeFileSync(join(home, 'connections.json'), JSON.stringify({ version: 1, connections }), { mode: 0o600 });
  writeFileSync(join(home, 'secrets.json'), JSON.stringify({ version: 1, encrypted: false, secrets }), { mode: 0o600 });
  // One write with a passphrase set seals the whole file (AES-256-GCM).
  const sealed = spawnSync(process.execPath, [BIN, 'create', 'http', '--name', 'seal', '--set', `baseUrl=${url}`,
    '--set', 'auth=bearer', '--secret-env', 'token=SEAL', '--no-test'], { env: { ...env, SEAL: 'bench-seal' }, encoding: 'utf8' });
  if (sealed.status !== 0) throw new Error(sealed.stderr);
  spawnSync(process.execPath, [BIN, 'rm', 'seal', '--yes'], { env });
}

function compareOnce(label, baseline, subject, env, runs) {
  const base = [];
  const measured = [];
  for (let i = 0; i < runs; i++) {
    base.push(measure(baseline, env));
    measured.push(measure(subject, env));
  }
  const b = median(base.map((r) => r.ms));
  const m = median(measured.map((r) => r.ms));
  const rss = Math.max(...measured.map((r) => r.maxRssMiB ?? 0));
  console.log(label);
  console.log(`  baseline ${b.toFixed(0)} ms, conn ${m.toFixed(0)} ms, ratio ${(m / b).toFixed(2)}, conn peak RSS ${rss.toFixed(0)} MiB`);
}

async function benchTests() {
  const server = await startServer();
  const home = mkdtempSync(join(tmpdir(), 'conn-bench-'));
  try {
    const env = { PATH: process.env.PATH, HOME: home, CONN_HOME: home, CONN_SECRET_STORE: 'file', CONN_PASSPHRASE: 'bench passphrase' };
    seedHttpConnections(home, 1000, server.url, env);
    const bare = resolve('bench/bare-undici.js');
    console.log('');
    console.log('conn test against a local server, each vs a bare undici script doing the same requests');
    compareOnce('conn test of one connection (target <= 1.5)', [bare, `${server.url}/me`, '1', '1'],
      [BIN, 'test', 'api-0001'], env, Math.max(5, Math.floor(RUNS / 2)));
    compareOnce('conn test --all, 1,000 connections, concurrency 8 (target <= 3, peak < 200 MiB)',
      [bare, `${server.url}/me`, '1000', '8'], [BIN, 'test', '--all', '--concurrency', '8', '--quiet'], env, 3);
  } finally {
    server.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

function benchStartup() {
  const home = mkdtempSync(join(tmpdir(), 'conn-bench-'));
  try {
    seedConnections(home, 100);
    const env = { PATH: process.env.PATH, HOME: home, CONN_HOME: home };
    console.log(`conn start-up, median of ${RUNS} interleaved runs each (target: ratio <= 1.3)`);
    // The floor: Node 20 loading an empty ES module at all, before any of conn.
    const empty = join(home, 'empty.mjs');
    writeFileSync(empty, '');
    compare('an empty ES module vs node -e 0 (the floor for any ESM CLI)', ['-e', '0'], [empty], env);
    compare('conn list (100 connections) vs node -e 0', ['-e', '0'], [BIN, 'list'], env);
    compare('conn --help vs node -e 0', ['-e', '0'], [BIN, '--help'], env);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

benchStartup();
await benchTests();
