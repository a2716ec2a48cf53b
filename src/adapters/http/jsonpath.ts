// A small JSON path subset for success rules and error messages: `$`, then
// `.name`, `['name']` or `[index]` steps, e.g. `$.data[0].status`. Filters,
// wildcards and recursive descent are left out on purpose: a rule that picks
// one value reads plainly, and no dependency is needed for it.

export type PathStep = string | number;

export interface CompiledPath {
  text: string;
  steps: PathStep[];
}

const NAME = /^[A-Za-z_$][A-Za-z0-9_$-]*/;
const INDEX = /^\[(\d+)\]/;
const QUOTED = /^\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/;

/** Parses `$.a.b[0]`; throws an Error that shows the right form. */
export function compilePath(text: string): CompiledPath {
  if (!text.startsWith('$')) throw pathError(text, 'it must start with $');
  const steps: PathStep[] = [];
  let rest = text.slice(1);
  while (rest.length > 0) {
    const [step, length] = nextStep(text, rest);
    steps.push(step);
    rest = rest.slice(length);
  }
  return { text, steps };
}

function nextStep(text: string, rest: string): [PathStep, number] {
  if (rest.startsWith('.')) {
    const name = NAME.exec(rest.slice(1));
    if (!name) throw pathError(text, `no name after "." in "${rest}"`);
    return [name[0], name[0].length + 1];
  }
  const index = INDEX.exec(rest);
  if (index) return [Number(index[1]), index[0].length];
  const quoted = QUOTED.exec(rest);
  if (quoted) {
    const name = (quoted[1] ?? quoted[2]).replace(/\\(.)/g, '$1');
    return [name, quoted[0].length];
  }
  throw pathError(text, `cannot read "${rest}"`);
}

function pathError(text: string, why: string): Error {
  return new Error(
    `JSON path '${text}': ${why}; use e.g. $.data[0].status or $['a-b']`,
  );
}

export type PathResult = { found: true; value: unknown } | { found: false };

export function readPath(document: unknown, path: CompiledPath): PathResult {
  let current: unknown = document;
  for (const step of path.steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(current) || step >= current.length) {
        return { found: false };
      }
      current = current[step];
    } else {
      if (!isRecord(current) || !Object.hasOwn(current, step)) {
        return { found: false };
      }
      current = current[step];
    }
  }
  return { found: true, value: current };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
