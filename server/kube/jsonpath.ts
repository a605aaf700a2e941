/**
 * The JSONPath subset CRD printer columns use: ".spec.replicas", ".items[0].x",
 * ".a[*].b", ".conditions[?(@.type==\"Ready\")].status". Returns every match.
 */
export function evaluateJsonPath(root: unknown, path: string): unknown[] {
  const expr = path
    .trim()
    .replace(/^\{(.*)\}$/, '$1')
    .replace(/^\$/, '');
  const steps = tokenize(expr);
  let current: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of current) {
      if (value === null || typeof value !== 'object') continue;
      if (step.kind === 'field') {
        const v = (value as Record<string, unknown>)[step.name];
        if (v !== undefined) next.push(v);
      } else if (step.kind === 'index') {
        if (Array.isArray(value)) {
          const v = value[step.index < 0 ? value.length + step.index : step.index];
          if (v !== undefined) next.push(v);
        }
      } else if (step.kind === 'all') {
        next.push(...(Array.isArray(value) ? value : Object.values(value)));
      } else if (Array.isArray(value)) {
        for (const item of value) {
          const got = evaluateJsonPath(item, step.path)[0];
          if (got !== undefined && String(got) === step.equals) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: string; equals: string };

function tokenize(expr: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i];
    if (ch === '.') {
      i++;
      continue;
    }
    if (ch === '[') {
      const end = findClose(expr, i);
      const inner = expr.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else {
        const filter = /^\?\(@(\.[^=!<>]+?)\s*==\s*["']?(.*?)["']?\)$/.exec(inner);
        if (filter) steps.push({ kind: 'filter', path: filter[1]!, equals: filter[2]! });
      }
      continue;
    }
    let j = i;
    while (j < expr.length && expr[j] !== '.' && expr[j] !== '[') j++;
    steps.push({ kind: 'field', name: expr.slice(i, j) });
    i = j;
  }
  return steps;
}

function findClose(expr: string, open: number): number {
  let depth = 0;
  for (let i = open; i < expr.length; i++) {
    if (expr[i] === '[') depth++;
    else if (expr[i] === ']' && --depth === 0) return i;
  }
  return expr.length - 1;
}
