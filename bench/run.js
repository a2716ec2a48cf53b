#!/usr/bin/env node
// `npm run bench`: start-up cost of conn measured against a baseline taken in
// the same run, interleaved, so machine load affects both alike. Prints
// medians and ratios; it asserts nothing (speed is not a timed test).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  return ms;
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
  console.log(`  baseline ${b.toFixed(1)} ms, conn ${m.toFixed(1)} ms, ratio ${(m / b).toFixed(2)}`);
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

function main() {
  const home = mkdtempSync(join(tmpdir(), 'conn-bench-'));
  try {
    seedConnections(home, 100);
    const env = { PATH: process.env.PATH, HOME: home, CONN_HOME: home };
    console.log(`conn start-up, median of ${RUNS} interleaved runs each (target: ratio <= 1.3)`);
    compare('conn list (100 connections) vs node -e 0', ['-e', '0'], [BIN, 'list'], env);
    compare('conn --help vs node -e 0', ['-e', '0'], [BIN, '--help'], env);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

main();
