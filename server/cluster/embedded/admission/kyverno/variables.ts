import {
  registerFunction as register,
  search,
  TYPE_ANY,
  TYPE_STRING,
  TYPE_NUMBER,
  TYPE_OBJECT,
} from '@jmespath-community/jmespath';

/** Kyverno's custom JMESPath functions that policies in the course and its tests use. */
let registered = false;
function registerKyvernoFunctions(): void {
  if (registered) return;
  registered = true;
  // Kyverno's own definitions win over the library's (split, trim, ... exist in both).
  const registerFunction = (
    name: string,
    fn: Parameters<typeof register>[1],
    signature: Parameters<typeof register>[2],
  ) => register(name, fn, signature, { override: true });
  const str = [{ types: [TYPE_STRING] }];
  const anyArg = [{ types: [TYPE_ANY] }];
  registerFunction('regex_match', ([re, value]) => new RegExp(String(re)).test(String(value)), [...str, ...anyArg]);
  registerFunction(
    'regex_replace_all',
    ([re, value, repl]) => String(value).replace(new RegExp(String(re), 'g'), String(repl)),
    [...str, ...anyArg, ...anyArg],
  );
  registerFunction('to_upper', ([s]) => String(s).toUpperCase(), str);
  registerFunction('to_lower', ([s]) => String(s).toLowerCase(), str);
  registerFunction('split', ([s, sep]) => String(s).split(String(sep)), [...str, ...str]);
  registerFunction(
    'trim',
    ([s, cut]) =>
      String(s).replace(
        new RegExp(
          `^[${String(cut).replace(/[\]\\^-]/g, '\\$&')}]+|[${String(cut).replace(/[\]\\^-]/g, '\\$&')}]+$`,
          'g',
        ),
        '',
      ),
    [...str, ...str],
  );
  registerFunction('truncate', ([s, n]) => String(s).slice(0, Number(n)), [...str, { types: [TYPE_NUMBER] }]);
  registerFunction('equal_fold', ([a, b]) => String(a).toLowerCase() === String(b).toLowerCase(), [...str, ...str]);
  registerFunction('replace_all', ([s, a, b]) => String(s).split(String(a)).join(String(b)), [...str, ...str, ...str]);
  registerFunction('base64_decode', ([s]) => Buffer.from(String(s), 'base64').toString('utf8'), str);
  registerFunction('base64_encode', ([s]) => Buffer.from(String(s)).toString('base64'), str);
  registerFunction(
    'items',
    ([object, keyName, valueName]) =>
      Object.entries((object as Record<string, unknown>) ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => ({ [String(keyName)]: k, [String(valueName)]: v })) as never,
    [{ types: [TYPE_OBJECT] }, ...str, ...str],
  );
  registerFunction(
    'object_from_lists',
    ([keys, values]) =>
      Object.fromEntries(
        ((keys as unknown[]) ?? []).map((k, i) => [String(k), ((values as unknown[]) ?? [])[i] ?? null]),
      ) as never,
    [{ types: [TYPE_ANY] }, { types: [TYPE_ANY] }],
  );
  registerFunction(
    'label_match',
    ([selector, labels]) =>
      Object.entries((selector as Record<string, string>) ?? {}).every(
        ([k, v]) => (labels as Record<string, string>)?.[k] === v,
      ),
    [{ types: [TYPE_OBJECT] }, { types: [TYPE_OBJECT] }],
  );
}

export class VariableError extends Error {}

/** Evaluates one JMESPath expression; a missing path is null. */
export function evaluateExpression(expression: string, context: unknown): unknown {
  registerKyvernoFunctions();
  try {
    const value = search(context as never, expression.trim());
    return value === undefined ? null : value;
  } catch (error) {
    // Go's JMESPath returns null where a function meets null; only real errors fail the rule.
    if (error instanceof Error && /received type null/.test(error.message)) return null;
    throw new VariableError(
      `failed to substitute variables in ${JSON.stringify(`{{${expression}}}`)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

const variableRe = /(?<!\\)\{\{(.*?)\}\}/g;
/** The innermost {{ ... }}: no "{{" or "}}" inside. */
const innermostRe = /(?<!\\)\{\{((?:(?!\{\{|\}\}).)*)\}\}/s;

function asText(result: unknown): string {
  if (result === null) return 'null';
  return typeof result === 'string' ? result : JSON.stringify(result);
}

/** Replaces {{ ... }} in strings, innermost first; a string that is one whole variable keeps the value's type. */
export function substitute(value: unknown, context: unknown): unknown {
  if (typeof value === 'string') {
    let text = value;
    for (let guard = 0; guard < 32; guard++) {
      const m = innermostRe.exec(text);
      if (!m) break;
      const whole = m.index === 0 && m[0].length === text.length;
      const result = evaluateExpression(m[1]!, context);
      if (whole) return result;
      text = text.slice(0, m.index) + asText(result) + text.slice(m.index + m[0].length);
    }
    return text;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, context));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, context)]));
  }
  return value;
}

/** Every {{ variable }} expression used anywhere in a value. */
export function variablesIn(value: unknown): string[] {
  const found: string[] = [];
  const visit = (v: unknown) => {
    if (typeof v === 'string') for (const m of v.matchAll(variableRe)) found.push(m[1]!.trim());
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(value);
  return found;
}

/** Parses an image reference the way Kyverno's `images` context does. */
export function parseImage(image: string): Record<string, string> {
  let rest = image;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let registry = 'docker.io';
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag = '';
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!tag && !digest) tag = 'latest';
  const path = registry === 'docker.io' && !rest.includes('/') ? `library/${rest}` : rest;
  const name = path.slice(path.lastIndexOf('/') + 1);
  const reference = `${registry}/${path}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  return { registry, path, name, tag, digest, reference, referenceWithTag: `${registry}/${path}:${tag}` };
}
