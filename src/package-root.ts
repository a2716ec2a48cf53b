// The folder holding conn's package.json, found from this module's own
// place. The same code runs as TypeScript under jest (src/) and bundled
// (dist/), at different depths, so the root is searched, not assumed.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5 && !existsSync(join(dir, 'package.json')); depth++) {
    dir = dirname(dir);
  }
  root = dir;
  return root;
}
