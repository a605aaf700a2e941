/**
 * RFC 6902 JSON patches with the options Kyverno applies them with (evanphx/json-patch
 * EnsurePathExistsOnAdd and AllowMissingPathOnRemove): add creates missing parents,
 * remove of a missing path is a no-op.
 */
type Obj = Record<string, unknown>;

export class JsonPatchError extends Error {}

function tokens(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new JsonPatchError(`invalid path ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function child(container: unknown, token: string): unknown {
  if (Array.isArray(container)) return container[token === '-' ? container.length : Number(token)];
  if (container && typeof container === 'object') return (container as Obj)[token];
  return undefined;
}

function parentOf(doc: unknown, parts: string[], create: boolean): unknown {
  let node = doc;
  for (const [i, token] of parts.slice(0, -1).entries()) {
    let next = child(node, token);
    if (next === undefined || next === null) {
      if (!create) return undefined;
      next = /^\d+$/.test(parts[i + 1] ?? '') || parts[i + 1] === '-' ? [] : {};
      if (Array.isArray(node)) node.splice(token === '-' ? node.length : Number(token), 0, next);
      else (node as Obj)[token] = next;
    }
    node = next;
  }
  return node;
}

function put(parent: unknown, token: string, value: unknown, insert: boolean): void {
  if (Array.isArray(parent)) {
    const index = token === '-' ? parent.length : Number(token) < 0 ? parent.length + Number(token) : Number(token);
    if (Number.isNaN(index) || index > parent.length) throw new JsonPatchError(`index out of range: ${token}`);
    if (insert) parent.splice(index, 0, value);
    else parent[index] = value;
  } else if (parent && typeof parent === 'object') (parent as Obj)[token] = value;
  else throw new JsonPatchError('cannot add to a non-container');
}

function remove(parent: unknown, token: string): unknown {
  if (Array.isArray(parent)) {
    const index = Number(token) < 0 ? parent.length + Number(token) : Number(token);
    return parent.splice(index, 1)[0];
  }
  if (parent && typeof parent === 'object') {
    const value = (parent as Obj)[token];
    delete (parent as Obj)[token];
    return value;
  }
  return undefined;
}

export function applyJsonPatch(document: unknown, operations: Obj[]): unknown {
  let doc = structuredClone(document);
  for (const op of operations) {
    const parts = tokens(String(op.path ?? ''));
    const last = parts[parts.length - 1] ?? '';
    switch (op.op) {
      case 'add': {
        if (parts.length === 0) {
          doc = structuredClone(op.value);
          break;
        }
        put(parentOf(doc, parts, true), last, structuredClone(op.value), true);
        break;
      }
      case 'remove': {
        const parent = parentOf(doc, parts, false);
        if (parent !== undefined) remove(parent, last);
        break;
      }
      case 'replace': {
        const parent = parentOf(doc, parts, false);
        if (parent === undefined || child(parent, last) === undefined)
          throw new JsonPatchError(`replace operation does not apply: doc is missing key: ${String(op.path)}`);
        put(parent, last, structuredClone(op.value), false);
        break;
      }
      case 'copy':
      case 'move': {
        const from = tokens(String(op.from ?? ''));
        const source = parentOf(doc, from, false);
        const value = structuredClone(child(source, from[from.length - 1] ?? ''));
        if (value === undefined)
          throw new JsonPatchError(`${String(op.op)} operation does not apply: missing ${String(op.from)}`);
        if (op.op === 'move') remove(source, from[from.length - 1] ?? '');
        put(parentOf(doc, parts, true), last, value, true);
        break;
      }
      case 'test': {
        const parent = parentOf(doc, parts, false);
        if (JSON.stringify(child(parent, last)) !== JSON.stringify(op.value))
          throw new JsonPatchError(`testing value ${String(op.path)} failed`);
        break;
      }
      default:
        throw new JsonPatchError(`unknown operation ${String(op.op)}`);
    }
  }
  return doc;
}
