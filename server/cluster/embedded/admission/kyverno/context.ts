import { evaluateExpression, substitute, VariableError } from './variables.ts';

type Obj = Record<string, unknown>;

/** What context entries read: ConfigMaps and API GETs (the embedded API, or a CLI test's data). */
export interface ContextLoaders {
  configMap(namespace: string, name: string): Obj | undefined;
  /** GET of an API path ("/api/v1/namespaces/x/pods", "/apis/g/v/plural/name"); undefined when not found. */
  apiGet(urlPath: string): unknown;
}

export class ContextError extends Error {}

/** Context entry types the embedded engine cannot serve, refused when the policy is written. */
export const unsupportedContextTypes = ['imageRegistry', 'globalReference'];

function withDefault(value: unknown, entry: Obj): unknown {
  if ((value === null || value === undefined) && entry.default !== undefined) return substitute(entry.default, {});
  return value;
}

/**
 * Evaluates a rule's `context` entries in order, each seeing the ones before it, as Kyverno's
 * context loader does: variable (value, jmesPath, default), configMap, apiCall (GET).
 */
export function loadContext(entries: unknown, context: Obj, loaders: ContextLoaders | undefined): void {
  for (const entry of (entries as Obj[] | undefined) ?? []) {
    const name = String(entry.name ?? '');
    if (entry.variable) {
      const v = entry.variable as Obj;
      let value: unknown = v.value !== undefined ? substitute(v.value, context) : undefined;
      if (v.jmesPath !== undefined) {
        const path = String(substitute(v.jmesPath, context));
        try {
          value = evaluateExpression(path, value !== undefined ? value : context);
        } catch (error) {
          if (v.default === undefined) throw error;
          value = null;
        }
      }
      context[name] = withDefault(value, v);
    } else if (entry.configMap) {
      const cm = entry.configMap as Obj;
      const namespace = String(substitute(cm.namespace ?? '', context) || 'default');
      const cmName = String(substitute(cm.name, context));
      const found = loaders?.configMap(namespace, cmName);
      if (!found)
        throw new ContextError(`failed to get configmap ${namespace}/${cmName}: configmaps "${cmName}" not found`);
      context[name] = found;
    } else if (entry.apiCall) {
      const call = entry.apiCall as Obj;
      if (call.service) throw new ContextError('apiCall.service needs a reachable service: use the kind backend');
      if (call.method && call.method !== 'GET')
        throw new ContextError(`apiCall.method ${String(call.method)} is not supported by the embedded cluster`);
      const urlPath = String(substitute(call.urlPath, context));
      const data = loaders?.apiGet(urlPath);
      if (data === undefined) {
        if (call.default !== undefined) {
          context[name] = substitute(call.default, context);
          continue;
        }
        throw new ContextError(
          `failed to fetch data for APICall: failed to GET resource with raw url: ${urlPath}: the server could not find the requested resource`,
        );
      }
      let value: unknown = data;
      if (call.jmesPath !== undefined) {
        try {
          value = evaluateExpression(String(substitute(call.jmesPath, context)), data);
        } catch (error) {
          throw new VariableError(String(error instanceof Error ? error.message : error));
        }
      }
      context[name] = withDefault(value, call);
    } else {
      const kind = unsupportedContextTypes.find((k) => entry[k] !== undefined) ?? 'unknown';
      throw new ContextError(`context entry ${name} of type ${kind} is not supported by the embedded cluster`);
    }
  }
}

/** Parses an API path into what a lookup needs; undefined for paths that are not resources. */
export function parseApiPath(
  urlPath: string,
): { group: string; version: string; namespace: string; plural: string; name: string } | undefined {
  const path = urlPath.split('?')[0]!.replace(/\/+$/, '');
  const m =
    /^\/api\/(v1)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(path) ??
    /^\/apis\/([^/]+)\/([^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (!m) return undefined;
  if (path.startsWith('/api/'))
    return { group: '', version: m[1]!, namespace: m[2] ?? '', plural: m[3]!, name: m[4] ?? '' };
  return { group: m[1]!, version: m[2]!, namespace: m[3] ?? '', plural: m[4]!, name: m[5] ?? '' };
}
