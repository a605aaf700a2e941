/** kuttl/Chainsaw partial matching: every expected field must be present and equal; arrays match element by element. */
export interface Mismatch {
  path: string;
  expected: unknown;
  actual: unknown;
}

export function partialMismatches(expected: unknown, actual: unknown, path = ''): Mismatch[] {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return [{ path: path || '(object)', expected, actual }];
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) =>
      partialMismatches(v, (actual as Record<string, unknown>)[k], path ? `${path}.${k}` : k),
    );
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [{ path, expected, actual }];
    return expected.flatMap((item, i) => partialMismatches(item, actual[i], `${path}[${i}]`));
  }
  return JSON.stringify(expected) === JSON.stringify(actual) ? [] : [{ path, expected, actual }];
}

const show = (v: unknown) => (v === undefined ? '(missing)' : JSON.stringify(v));

/** "- spec.replicas: expected 3, got 1" lines. */
export function describeMismatches(list: Mismatch[], expectedWord: string, gotWord: string): string {
  return list.map((m) => `- ${m.path}: ${expectedWord} ${show(m.expected)}, ${gotWord} ${show(m.actual)}`).join('\n');
}
