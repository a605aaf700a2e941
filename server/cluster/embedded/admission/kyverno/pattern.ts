import { parseDuration, parseQuantity, scalarString, wildcardMatch } from './values.ts';

/**
 * Kyverno validate.pattern matching: anchors, wildcards and operators, with the
 * path of the first mismatch ("/spec/containers/0/image/").
 */

type Obj = Record<string, unknown>;

export type PatternOutcome =
  | { status: 'pass' }
  | { status: 'fail'; path: string }
  | { status: 'skip'; reason: string }
  | { status: 'error'; message: string };

export class PatternSyntaxError extends Error {}

type AnchorKind = 'condition' | 'global' | 'equality' | 'existence' | 'negation' | 'add' | 'plain';

export function parseAnchor(key: string): { kind: AnchorKind; key: string } {
  let m: RegExpExecArray | null;
  if ((m = /^<\((.+)\)$/.exec(key))) return { kind: 'global', key: m[1]! };
  if ((m = /^=\((.+)\)$/.exec(key))) return { kind: 'equality', key: m[1]! };
  if ((m = /^\^\((.+)\)$/.exec(key))) return { kind: 'existence', key: m[1]! };
  if ((m = /^X\((.+)\)$/.exec(key))) return { kind: 'negation', key: m[1]! };
  if ((m = /^\+\((.+)\)$/.exec(key))) return { kind: 'add', key: m[1]! };
  if ((m = /^\((.+)\)$/.exec(key))) return { kind: 'condition', key: m[1]! };
  return { kind: 'plain', key };
}

const anchorOrder: Record<AnchorKind, number> = {
  global: 0,
  condition: 1,
  equality: 2,
  existence: 3,
  negation: 4,
  add: 5,
  plain: 6,
};

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Thrown inside the walk when a global anchor's condition fails: the whole rule is skipped. */
class GlobalAnchorSkip extends Error {}
/** A conditional anchor did not match: the element (or rule) is skipped. */
class ConditionSkip extends Error {}

interface Failure {
  path: string;
}

type Walk = { ok: true } | { ok: false; failure: Failure };

const ok: Walk = { ok: true };
const fail = (path: string): Walk => ({ ok: false, failure: { path } });

/** Matches a resource against a pattern; the result says pass, fail (with path) or skip. */
export function matchPattern(resource: unknown, pattern: unknown): PatternOutcome {
  try {
    const result = walk(resource, pattern, '/');
    return result.ok ? { status: 'pass' } : { status: 'fail', path: result.failure.path };
  } catch (error) {
    if (error instanceof GlobalAnchorSkip) return { status: 'skip', reason: 'global anchor mismatch' };
    if (error instanceof ConditionSkip) return { status: 'skip', reason: 'conditional anchor mismatch' };
    if (error instanceof PatternSyntaxError) return { status: 'error', message: error.message };
    throw error;
  }
}

function walk(resource: unknown, pattern: unknown, path: string): Walk {
  if (isObj(pattern)) {
    if (!isObj(resource)) return fail(path);
    return walkMap(resource, pattern, path);
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(resource)) return fail(path);
    return walkArray(resource, pattern, path);
  }
  // A scalar pattern on a list checks every item.
  if (Array.isArray(resource)) {
    for (let i = 0; i < resource.length; i++) if (!matchValue(resource[i], pattern)) return fail(`${path}${i}/`);
    return ok;
  }
  return matchValue(resource, pattern) ? ok : fail(path);
}

/** Under metadata.labels and metadata.annotations, pattern keys may hold wildcards. */
function expandWildcardKeys(resource: Obj, pattern: Obj, path: string): Obj {
  if (!/\/metadata\/(labels|annotations)\/$/.test(path)) return pattern;
  const out: Obj = {};
  for (const [raw, value] of Object.entries(pattern)) {
    const { kind, key } = parseAnchor(raw);
    if (!/[*?]/.test(key)) {
      out[raw] = value;
      continue;
    }
    const matches = Object.keys(resource).filter((k) => wildcardMatch(key, k));
    if (matches.length === 0) {
      if (kind === 'plain') out[raw] = value; // reported missing below
      continue;
    }
    for (const k of matches) out[kind === 'plain' ? k : raw.replace(key, k)] = value;
  }
  return out;
}

/** Whether a pattern subtree holds a global or conditional anchor (such keys are checked first). */
function hasNestedAnchor(pattern: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.some(hasNestedAnchor);
  if (!isObj(pattern)) return false;
  return Object.entries(pattern).some(([key, value]) => {
    const kind = parseAnchor(key).kind;
    return kind === 'global' || kind === 'condition' || hasNestedAnchor(value);
  });
}

function walkMap(resource: Obj, rawPattern: Obj, path: string): Walk {
  const pattern = expandWildcardKeys(resource, rawPattern, path);
  const rank = (kind: AnchorKind, value: unknown) =>
    kind === 'plain' && hasNestedAnchor(value) ? -1 : anchorOrder[kind];
  const keys = Object.keys(pattern)
    .map((raw) => ({ raw, ...parseAnchor(raw) }))
    .sort((a, b) => rank(a.kind, pattern[a.raw]) - rank(b.kind, pattern[b.raw]) || a.raw.localeCompare(b.raw));
  for (const { raw, kind, key } of keys) {
    const p = pattern[raw];
    const here = `${path}${key}/`;
    const present = Object.prototype.hasOwnProperty.call(resource, key);
    const value = resource[key];
    switch (kind) {
      case 'global': {
        if (!present) continue;
        if (!walk(value, p, here).ok) throw new GlobalAnchorSkip();
        continue;
      }
      case 'condition': {
        if (!present || !walk(value, p, here).ok) throw new ConditionSkip();
        continue;
      }
      case 'equality': {
        if (!present) continue;
        const r = walk(value, p, here);
        if (!r.ok) return r;
        continue;
      }
      case 'existence': {
        if (!present || !Array.isArray(value)) return fail(here);
        const itemPattern = Array.isArray(p) ? p[0] : p;
        const any = value.some((item, i) => {
          try {
            return walk(item, itemPattern, `${here}${i}/`).ok;
          } catch (error) {
            if (error instanceof ConditionSkip) return false;
            throw error;
          }
        });
        if (!any) return fail(here);
        continue;
      }
      case 'negation': {
        if (present) return fail(here);
        continue;
      }
      case 'add':
        continue;
      default: {
        if (!present) {
          // Quantity comparisons treat a missing value as "0".
          if (typeof p === 'string' && /^(<=|>=|<|>)/.test(p.trim()) && matchValue(undefined, p)) continue;
          return fail(here);
        }
        const r = walk(value, p, here);
        if (!r.ok) return r;
      }
    }
  }
  return ok;
}

function walkArray(resource: unknown[], pattern: unknown[], path: string): Walk {
  if (pattern.length === 0) return ok;
  const itemPattern = pattern[0];
  if (isObj(itemPattern)) {
    let applied = 0;
    for (let i = 0; i < resource.length; i++) {
      try {
        const r = walk(resource[i], itemPattern, `${path}${i}/`);
        if (!r.ok) return r;
        applied++;
      } catch (error) {
        // Elements whose conditional anchors do not match are skipped.
        if (error instanceof ConditionSkip) continue;
        throw error;
      }
    }
    if (resource.length > 0 && applied === 0) throw new ConditionSkip();
    return ok;
  }
  for (let i = 0; i < resource.length; i++) {
    const r = walk(resource[i], itemPattern, `${path}${i}/`);
    if (!r.ok) return r;
  }
  return ok;
}

/** A scalar value against a scalar pattern (Kyverno's ValidateValueWithPattern). */
export function matchValue(value: unknown, pattern: unknown): boolean {
  if (pattern === null || pattern === undefined) {
    return value === null || value === undefined || value === '' || value === 0 || value === false;
  }
  if (typeof pattern === 'boolean') {
    if (typeof value === 'boolean') return value === pattern;
    return typeof value === 'string' && value === String(pattern);
  }
  if (typeof pattern === 'number') {
    if (typeof value === 'number') return value === pattern;
    if (typeof value === 'string') return value.trim() !== '' && Number(value) === pattern;
    return false;
  }
  if (typeof pattern === 'string') return matchStringPattern(value, pattern);
  return false;
}

function matchStringPattern(value: unknown, pattern: string): boolean {
  return pattern
    .split('|')
    .some((alternative) => alternative.split('&').every((part) => matchSingle(value, part.trim())));
}

const operatorRe = /^(>=|<=|>|<|!)?(.*)$/s;

function compareMagnitude(value: unknown, operand: string, op: string): boolean {
  const valueText = value === null || value === undefined ? '0' : scalarString(value);
  if (valueText === undefined) return false;
  const dv = parseDuration(valueText);
  const dp = parseDuration(operand);
  let a: number | undefined;
  let b: number | undefined;
  if (dv !== undefined && dp !== undefined) {
    a = dv;
    b = dp;
  } else {
    a = parseQuantity(valueText);
    b = parseQuantity(operand);
  }
  if (a === undefined || b === undefined) return false;
  switch (op) {
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
    default:
      return a === b;
  }
}

function matchSingle(value: unknown, part: string): boolean {
  // Ranges: "1-10" inside, "1!-10" outside (units allowed).
  const range = /^(-?[\d.]+[a-zA-Zµ]*)(!?)-(-?[\d.]+[a-zA-Zµ]*)$/.exec(part);
  if (range) {
    const inside = compareMagnitude(value, range[1]!, '>=') && compareMagnitude(value, range[3]!, '<=');
    return range[2] === '!' ? !inside && value !== undefined && value !== null : inside;
  }
  const [, op = '', operand = ''] = operatorRe.exec(part) ?? [];
  if (op === '>' || op === '<' || op === '>=' || op === '<=') return compareMagnitude(value, operand, op);
  if (op === '!') {
    if (value === null || value === undefined) return false;
    return !equalsPattern(value, operand);
  }
  if (part === '*') return value !== null && value !== undefined;
  if (value === null || value === undefined) return false;
  return equalsPattern(value, part);
}

function equalsPattern(value: unknown, pattern: string): boolean {
  const text = scalarString(value);
  if (text === undefined) return false;
  if (wildcardMatch(pattern, text)) return true;
  // Equal quantities ("1Gi" == "1024Mi") and durations compare by magnitude.
  if (!/[*?]/.test(pattern)) {
    const qa = parseQuantity(text);
    const qb = parseQuantity(pattern);
    if (qa !== undefined && qb !== undefined && /[a-zA-Z]/.test(text + pattern)) return qa === qb;
    const da = parseDuration(text);
    const db = parseDuration(pattern);
    if (da !== undefined && db !== undefined) return da === db;
  }
  return false;
}

/** Checks a pattern for syntax Kyverno rejects when the policy is created. */
export function validatePatternSyntax(pattern: unknown, path = 'pattern'): string | undefined {
  if (isObj(pattern)) {
    for (const [key, value] of Object.entries(pattern)) {
      if (/^[<=^X+]?\(/.test(key) && !/^[<=^X+]?\(.+\)$/.test(key)) return `invalid anchor ${key} at ${path}`;
      const nested = validatePatternSyntax(value, `${path}/${key}`);
      if (nested) return nested;
    }
  } else if (Array.isArray(pattern)) {
    for (const [i, item] of pattern.entries()) {
      const nested = validatePatternSyntax(item, `${path}/${i}`);
      if (nested) return nested;
    }
  }
  return undefined;
}
