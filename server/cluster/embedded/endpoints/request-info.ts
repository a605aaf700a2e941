/**
 * What a request is about, parsed from its path like k8s.io/apiserver's
 * RequestInfoFactory: /api/v1/namespaces/ns/pods/name/status → get pods/status.
 */
export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** The remaining path parts (e.g. proxy paths). */
  parts: string[];
}

const namespaceSubresources = new Set(['status', 'finalize']);

export function parseRequestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
  };
  const segments = path
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((s) => s !== '');
  if (segments.length === 0) return info;
  const prefix = segments[0]!;
  if (prefix !== 'api' && prefix !== 'apis') return info;
  info.apiPrefix = prefix;
  let rest = segments.slice(1);
  if (prefix === 'apis') {
    if (rest.length === 0) return info;
    info.apiGroup = rest[0]!;
    rest = rest.slice(1);
  }
  if (rest.length === 0) return info;
  info.apiVersion = rest[0]!;
  rest = rest.slice(1);
  if (rest.length === 0) return info;
  info.isResourceRequest = true;

  // watch via the legacy /watch/ prefix
  if (rest[0] === 'watch') {
    info.verb = 'watch';
    rest = rest.slice(1);
  }

  if (rest[0] === 'namespaces') {
    if (rest.length > 1) {
      info.namespace = rest[1]!;
      // /namespaces/{name} and /namespaces/{name}/{subresource} address the namespace itself
      if (rest.length > 2 && !namespaceSubresources.has(rest[2]!)) rest = rest.slice(2);
    }
  } else {
    info.namespace = '';
  }
  info.parts = rest.map((s) => decodeURIComponent(s));
  if (info.parts.length >= 1) info.resource = info.parts[0]!;
  if (info.parts.length >= 2) info.name = info.parts[1]!;
  if (info.parts.length >= 3) info.subresource = info.parts[2]!;

  if (info.verb !== 'watch') {
    switch (method) {
      case 'POST':
        info.verb = 'create';
        break;
      case 'GET':
      case 'HEAD':
        info.verb = 'get';
        break;
      case 'PUT':
        info.verb = 'update';
        break;
      case 'PATCH':
        info.verb = 'patch';
        break;
      case 'DELETE':
        info.verb = 'delete';
        break;
      default:
        info.verb = '';
    }
  }
  const watch = url.searchParams.get('watch');
  // strconv.ParseBool, as the query decoder reads it: python-kubernetes sends watch=True.
  const watching = ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(watch ?? '');
  if (info.name === '' && info.verb === 'get') info.verb = watching ? 'watch' : 'list';
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}
