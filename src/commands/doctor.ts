// `conn doctor`: which secret store is in use and why, where the files are,
// whether their permissions keep other users out, and whether the keychain
// answers. It reads no secret value.

import { statSync } from 'node:fs';
import type { AppContext } from '../context.js';
import { ExitCode } from '../errors.js';

interface PathCheck {
  what: string;
  path: string;
  exists: boolean;
  mode?: string;
  ok: boolean;
  problem?: string;
}

export async function doctor(ctx: AppContext): Promise<number> {
  const { probeKeychain, keychainTimeoutMs } = await import('../store/secrets/keychain.js');
  const keychain = await probeKeychain(keychainTimeoutMs(ctx.env), ctx.env);
  const choice = await ctx.secretStoreChoice();
  let store: { kind: string; reason: string; describe: string } | { error: string };
  try {
    const opened = await ctx.secretStore();
    // Opening is not enough: a read proves the passphrase or the keychain.
    await opened.store.get('conn-doctor', 'probe');
    store = { kind: opened.store.kind, reason: opened.reason, describe: opened.store.describe() };
  } catch (error) {
    store = { error: (error as Error).message };
  }
  const project = await ctx.project().then(
    (p) => p?.file ?? null,
    (e: Error) => `unreadable: ${e.message}`,
  );
  const paths = checkPaths(ctx);
  const healthy = !('error' in store) && paths.every((p) => p.ok);

  if (ctx.out.json) {
    ctx.out.document({
      healthy,
      secretStore: { choice: choice.choice, from: choice.from, ...store },
      keychain,
      projectConfig: project,
      paths,
    });
    return healthy ? ExitCode.ok : ExitCode.environment;
  }
  const p = ctx.out.paint;
  const ok = (good: boolean) => (good ? p.green('ok') : p.red('problem'));
  const lines = [
    p.bold('Secret store'),
    `  choice      ${choice.choice} (from ${choice.from})`,
    'error' in store
      ? `  in use      ${p.red(store.error)}`
      : `  in use      ${store.kind}: ${store.reason}`,
    'error' in store ? '' : `  where       ${store.describe}`,
    `  keychain    ${keychain.available ? p.green('answers') : p.yellow('does not answer')}: ${keychain.reason}`,
    '',
    p.bold('Files'),
    `  project config  ${project ?? 'none found'}`,
    ...paths.map(
      (c) =>
        `  ${c.what.padEnd(16)}${c.path}  ${c.exists ? c.mode : 'not created yet'}  ${ok(c.ok)}${c.problem ? `: ${c.problem}` : ''}`,
    ),
  ].filter((line) => line !== '');
  ctx.out.data(lines.join('\n'));
  return healthy ? ExitCode.ok : ExitCode.environment;
}

function checkPaths(ctx: AppContext): PathCheck[] {
  const { paths } = ctx;
  return [
    check('config folder', paths.configDir, 0o700),
    check('connections', paths.connectionsFile, 0o600),
    check('data folder', paths.dataDir, 0o700),
    check('secrets file', paths.secretsFile, 0o600),
    check('run logs', paths.runLogDir, 0o700),
  ].filter((c, i, all) => all.findIndex((o) => o.path === c.path) === i);
}

function check(what: string, path: string, wanted: number): PathCheck {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return { what, path, exists: false, ok: true };
  }
  const open = mode & ~wanted & 0o077;
  return {
    what,
    path,
    exists: true,
    mode: '0' + mode.toString(8),
    ok: open === 0,
    problem: open ? `readable by others; run chmod ${wanted.toString(8)} ${path}` : undefined,
  };
}
