// Where conn keeps its files. CONN_HOME moves everything into one folder
// (what the tests use); otherwise the XDG base directories are followed:
// connections in the config folder, the secrets file in the data folder,
// run logs in the state folder.

import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ConnPaths {
  configDir: string;
  dataDir: string;
  stateDir: string;
  connectionsFile: string;
  secretsFile: string;
  runLogDir: string;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): ConnPaths {
  const home = env.CONN_HOME;
  const configDir = home || join(xdg(env.XDG_CONFIG_HOME, '.config'), 'conn');
  const dataDir = home || join(xdg(env.XDG_DATA_HOME, '.local/share'), 'conn');
  const stateDir = home || join(xdg(env.XDG_STATE_HOME, '.local/state'), 'conn');
  return {
    configDir,
    dataDir,
    stateDir,
    connectionsFile: join(configDir, 'connections.json'),
    secretsFile: join(dataDir, 'secrets.json'),
    runLogDir: join(stateDir, 'runs'),
  };
}

function xdg(value: string | undefined, fallback: string): string {
  // The XDG spec says relative values are invalid and must be ignored.
  if (value && value.startsWith('/')) return value;
  return join(homedir(), fallback);
}
