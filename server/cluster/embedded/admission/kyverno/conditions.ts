import { parseDuration, parseQuantity, scalarString, wildcardMatch } from './values.ts';

/** Kyverno condition operators (deny.conditions and preconditions). */

export interface Condition {
  key: unknown;
  operator: string;
  value?: unknown;
  message?: string;
}

export class UnknownOperatorError extends Error {}

export const operators = [
  'Equals',
  'Equal',
  'NotEquals',
  'NotEqual',
  'In',
  'AnyIn',
  'AllIn',
  'NotIn',
  'AnyNotIn',
  'AllNotIn',
  'GreaterThan',
  'GreaterThanOrEquals',
  'LessThan',
  'LessThanOrEquals',
  'DurationGreaterThan',
  'DurationGreaterThanOrEquals',
  'DurationLessThan',
  'DurationLessThanOrEquals',
];

function asList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (Array.isArray(parsed)) return parsed;
    } catch {
      /* a plain string */
    }
  }
  return [value];
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Equals: strings are wildcard patterns, and quantities and durations compare by magnitude. */
function equals(key: unknown, value: unknown): boolean {
  if (typeof key === 'string' && typeof value === 'string') {
    if (wildcardMatch(value, key) || wildcardMatch(key, value)) return true;
    const qa = parseQuantity(key);
    const qb = parseQuantity(value);
    if (qa !== undefined && qb !== undefined) return qa === qb;
    const da = parseDuration(key);
    const db = parseDuration(value);
    return da !== undefined && db !== undefined && da === db;
  }
  if (typeof key === 'number' && typeof value === 'string')
    return parseQuantity(value) === key || String(key) === value;
  if (typeof key === 'string' && typeof value === 'number')
    return parseQuantity(key) === value || key === String(value);
  if (typeof key === 'boolean' && typeof value === 'string') return String(key) === value;
  if (typeof key === 'string' && typeof value === 'boolean') return key === String(value);
  return deepEqual(key, value);
}

/** "5000-6000" (inside) or "5000!-6000" (outside) ranges in In-family values. */
function inRange(candidate: string, item: unknown): boolean | undefined {
  const m = /^(-?\d+(?:\.\d+)?)(!?)-(-?\d+(?:\.\d+)?)$/.exec(candidate);
  if (!m) return undefined;
  const n = typeof item === 'number' ? item : Number(scalarString(item));
  if (!Number.isFinite(n)) return false;
  const inside = n >= Number(m[1]) && n <= Number(m[3]);
  return m[2] === '!' ? !inside : inside;
}

/** Membership with wildcards in either direction (and numeric ranges), as Kyverno's In family matches. */
function contains(list: unknown[], item: unknown): boolean {
  return list.some((candidate) => {
    if (typeof candidate === 'string') {
      const ranged = inRange(candidate, item);
      if (ranged !== undefined) return ranged;
    }
    const a = scalarString(candidate);
    const b = scalarString(item);
    if (a !== undefined && b !== undefined) return wildcardMatch(a, b) || wildcardMatch(b, a);
    return deepEqual(candidate, item);
  });
}

function magnitude(key: unknown, value: unknown, durationOnly: boolean): [number, number] | undefined {
  const k = scalarString(key);
  const v = scalarString(value);
  if (k === undefined || v === undefined) return undefined;
  const dk = parseDuration(k);
  const dv = parseDuration(v);
  if (dk !== undefined && dv !== undefined) return [dk, dv];
  if (durationOnly) return undefined;
  const qk = typeof key === 'number' ? key : parseQuantity(k);
  const qv = typeof value === 'number' ? value : parseQuantity(v);
  if (qk !== undefined && qv !== undefined) return [qk, qv];
  return undefined;
}

/** Evaluates one condition whose key and value are already substituted. */
export function evaluateCondition(condition: Condition): boolean {
  const { key, value } = condition;
  const setOperator = /In$/.test(condition.operator);
  // Kyverno's set operators reject a value that is neither a list nor a scalar: the condition is false.
  if (setOperator && (value === null || value === undefined)) return false;
  switch (condition.operator) {
    case 'Equals':
    case 'Equal':
      return equals(key, value);
    case 'NotEquals':
    case 'NotEqual':
      return !equals(key, value);
    case 'In':
    case 'AllIn': {
      const values = asList(value);
      return asList(key).every((k) => contains(values, k));
    }
    case 'AnyIn': {
      const values = asList(value);
      return asList(key).some((k) => contains(values, k));
    }
    case 'NotIn':
    case 'AllNotIn': {
      const values = asList(value);
      return asList(key).every((k) => !contains(values, k));
    }
    case 'AnyNotIn': {
      const values = asList(value);
      return asList(key).some((k) => !contains(values, k));
    }
    case 'GreaterThan':
    case 'GreaterThanOrEquals':
    case 'LessThan':
    case 'LessThanOrEquals':
    case 'DurationGreaterThan':
    case 'DurationGreaterThanOrEquals':
    case 'DurationLessThan':
    case 'DurationLessThanOrEquals': {
      const pair = magnitude(key, value, condition.operator.startsWith('Duration'));
      if (!pair) return false;
      const [a, b] = pair;
      const op = condition.operator.replace('Duration', '');
      if (op === 'GreaterThan') return a > b;
      if (op === 'GreaterThanOrEquals') return a >= b;
      if (op === 'LessThan') return a < b;
      return a <= b;
    }
    default:
      throw new UnknownOperatorError(`unknown operator "${condition.operator}"`);
  }
}

export interface ConditionBlock {
  any?: Condition[];
  all?: Condition[];
}

/** `{any, all}` = (any) AND (all); a plain list means all. Empty means true. */
export function normalizeConditions(conditions: unknown): ConditionBlock {
  if (Array.isArray(conditions)) return { all: conditions as Condition[] };
  if (conditions && typeof conditions === 'object') return conditions as ConditionBlock;
  return {};
}
