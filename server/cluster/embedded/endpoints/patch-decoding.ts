/**
 * What kube-apiserver answers when a patched object, or a server-side apply configuration, holds a
 * label, annotation or ConfigMap/Secret data value that is not a string. Unlike create and update
 * (a 400 from the body decoder), each patch mechanism fails at its own step:
 *
 * - JSON and merge patches (handlers/patch.go, jsonPatcher): decoding the patched JSON fails;
 *   422 Invalid with no kind or name, field "patch", the patched JSON as value and encoding/json's
 *   error as detail.
 * - Strategic merge patches (handlers/patch.go, applyPatchToObject): runtime's unstructured
 *   converter fails; 422 Invalid, field "patch", the patch printed with Go's %+v as value.
 * - Server-side apply (managedfields/internal/structuredmerge.go): structured-merge-diff cannot
 *   type the configuration; a plain error, so a 500 with no reason.
 */
import { StatusError, type Status } from '../api/status.ts';
import { stringMapTypeError, stringMapViolations, type StringMapViolation } from './string-maps.ts';

type Obj = Record<string, unknown>;

/** Go's %v of a value decoded from JSON into interface{} (maps print sorted: map[a:1 b:x]). */
export function goPrint(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goPrint).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.keys(value as Obj)
      .sort()
      .map((key) => `${key}:${goPrint((value as Obj)[key])}`);
    return `map[${entries.join(' ')}]`;
  }
  return String(value);
}

/** Go's %q (strconv.Quote) for the printable text the patches carry. */
function goQuote(text: string): string {
  return JSON.stringify(text)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** ObjectMeta's fields in Go struct order, as the API server encodes the current object. */
const objectMetaOrder = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

function sortedKeys(object: Obj): Obj {
  const out: Obj = {};
  for (const key of Object.keys(object).sort()) out[key] = object[key];
  return out;
}

function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Whether the patch reaches into metadata (evanphx/json-patch then re-marshals it as a Go map). */
function touchesMetadata(type: string, patch: unknown): boolean {
  if (type === 'application/json-patch+json')
    return (
      Array.isArray(patch) &&
      patch.some(
        (op) => isObj(op) && [op.path, op.from].some((p) => typeof p === 'string' && p.startsWith('/metadata/')),
      )
    );
  return isObj(patch) && isObj(patch.metadata);
}

/**
 * The patched document as evanphx/json-patch marshals it: the top level and every object the
 * patch went into are Go maps (keys sorted); what it did not touch keeps the current object's
 * encoding (ObjectMeta in struct order, string maps sorted as Go encodes maps).
 */
function patchedJson(object: unknown, metadataTouched: boolean): string {
  if (!isObj(object)) return JSON.stringify(object);
  const top = sortedKeys(object);
  if (isObj(top.metadata)) {
    const meta = top.metadata;
    let ordered: Obj = {};
    if (metadataTouched) ordered = sortedKeys(meta);
    else {
      for (const key of objectMetaOrder) if (key in meta) ordered[key] = meta[key];
      for (const key of Object.keys(meta)) if (!(key in ordered)) ordered[key] = meta[key];
    }
    for (const key of ['labels', 'annotations']) if (isObj(ordered[key])) ordered[key] = sortedKeys(ordered[key]);
    top.metadata = ordered;
  }
  for (const key of ['data', 'binaryData', 'stringData']) if (isObj(top[key])) top[key] = sortedKeys(top[key]);
  return JSON.stringify(top);
}

/** errors.NewInvalid(schema.GroupKind{}, "", field.Invalid(field.NewPath("patch"), value, detail)). */
function invalidPatch(value: string, detail: string): StatusError {
  const cause = `Invalid value: ${goQuote(value)}: ${detail}`;
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: ` "" is invalid: patch: ${cause}`,
    reason: 'Invalid',
    details: { causes: [{ reason: 'FieldValueInvalid', message: cause, field: 'patch' }] },
    code: 422,
  };
  return new StatusError(status);
}

/** reflect's Kind name of a value the JSON decoder produced into interface{} (ints as int64). */
function goKind(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return 'slice';
  return 'map';
}

/** runtime.DefaultUnstructuredConverter's error for a value it cannot store into the map field. */
function converterError(v: StringMapViolation): string {
  const kind = goKind(v.value);
  if (v.whole) return `cannot restore map from ${kind}`;
  if (v.map.valueType === '[]uint8') return `cannot restore slice from ${kind}`;
  // Go can convert an integer to a string, so the converter reaches its own refusal; other
  // kinds fall through to its catch-all.
  return kind === 'int64' ? 'cannot convert int64 to string' : 'unrecognized type: string';
}

/**
 * The error for a patched object whose string maps do not decode, if any. `patch` is the
 * parsed patch body (used by strategic merge patches, which print it).
 */
export function patchDecodeError(
  kind: string,
  type: string,
  patched: unknown,
  patch: unknown,
): StatusError | undefined {
  if (type === 'application/strategic-merge-patch+json') {
    // The converter walks struct fields in Go order: metadata comes before data.
    const violations = stringMapViolations(kind, patched);
    const first = violations.find((v) => v.path[0] === 'metadata') ?? violations[0];
    return first ? invalidPatch(goPrint(patch), converterError(first)) : undefined;
  }
  // The decoder reads the re-marshalled document, so the first error follows its key order.
  const json = patchedJson(patched, touchesMetadata(type, patch));
  const detail = stringMapTypeError(kind, JSON.parse(json));
  return detail ? invalidPatch(json, detail) : undefined;
}

/** fieldpath.Path's text: .spec.template.metadata.labels.app, [0] for list items. */
function smdPath(path: (string | number)[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
}

/** Go's %#v of structured-merge-diff's unstructured value wrapper. */
function smdValue(value: unknown): string {
  const inner =
    typeof value === 'string'
      ? JSON.stringify(value)
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : Array.isArray(value)
          ? `[]interface {}{${value.map(smdInner).join(', ')}}`
          : `map[string]interface {}{${Object.keys(value as Obj)
              .sort()
              .map((k) => `${JSON.stringify(k)}:${smdInner((value as Obj)[k])}`)
              .join(', ')}}`;
  return `&value.valueUnstructured{Value:${inner}}`;
}

function smdInner(value: unknown): string {
  if (value === null) return 'interface {}(nil)';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return smdValue(value).slice('&value.valueUnstructured{Value:'.length, -1);
}

/** The typed-conversion failure of a server-side apply configuration, if any. */
export function applyTypedError(kind: string, config: Obj, gvk: string): StatusError | undefined {
  const violations = stringMapViolations(kind, config);
  // A map that is not an object at all is left to the decoder's text (not checked against upstream).
  if (violations.length === 0 || violations.some((v) => v.whole)) return undefined;
  const texts = violations.map((v) => `${smdPath(v.path)}: expected string, got ${smdValue(v.value)}`);
  const detail = texts.length === 1 ? texts[0] : ['errors:', ...texts.map((t) => `  ${t}`)].join('\n');
  const metadata = (config.metadata ?? {}) as Obj;
  const nn = `${String(metadata.namespace ?? '')}/${String(metadata.name ?? '')}`;
  // A plain Go error: ErrorToAPIStatus makes it a 500 with no reason.
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `failed to create typed patch object (${nn}; ${gvk}): ${detail}`,
    code: 500,
  };
  return new StatusError(status);
}
