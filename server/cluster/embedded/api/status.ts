/** metav1.Status errors with the reasons, codes and messages kube-apiserver returns. */

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  readonly status: Status;
  /** Extra response headers, e.g. Warning. */
  readonly headers: Record<string, string>;
  constructor(status: Status, headers: Record<string, string> = {}) {
    super(status.message ?? status.reason ?? 'error');
    this.status = status;
    this.headers = headers;
  }
  get code(): number {
    return this.status.code;
  }
}

function failure(code: number, reason: string, message: string, details?: StatusDetails): StatusError {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) status.details = details;
  return new StatusError(status);
}

/** A resource as errors name it: "pods", or "deployments.apps" with its group. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function details(gr: GroupResource, name: string | undefined, extra: StatusDetails = {}): StatusDetails {
  const d: StatusDetails = {};
  if (name !== undefined) d.name = name;
  if (gr.group) d.group = gr.group;
  d.kind = gr.resource;
  return { ...d, ...extra };
}

export const errors = {
  notFound: (gr: GroupResource, name: string) =>
    failure(404, 'NotFound', `${qualified(gr)} "${name}" not found`, details(gr, name)),
  alreadyExists: (gr: GroupResource, name: string) =>
    failure(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, details(gr, name)),
  conflict: (gr: GroupResource, name: string, why: string) =>
    failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, details(gr, name)),
  /** 422 with causes; `kind` is the object kind (Pod), as kube-apiserver reports it. */
  invalid: (group: string, kind: string, name: string, causes: FieldError[]) => {
    const list = causes.map((c) => c.text());
    // errors.NewInvalid names the qualified kind: Pod, Deployment.apps, TokenRequest.authentication.k8s.io.
    const qualifiedKind = group ? `${kind}.${group}` : kind;
    const message =
      list.length === 1
        ? `${qualifiedKind} "${name}" is invalid: ${list[0]}`
        : `${qualifiedKind} "${name}" is invalid: [${list.join(', ')}]`;
    const d: StatusDetails = { name };
    if (group) d.group = group;
    d.kind = kind;
    d.causes = causes.map((c) => ({ reason: c.reason, message: c.causeMessage(), field: c.field }));
    return failure(422, 'Invalid', message, d);
  },
  badRequest: (message: string) => failure(400, 'BadRequest', message),
  forbidden: (gr: GroupResource, name: string | undefined, why: string) =>
    failure(
      403,
      'Forbidden',
      name ? `${qualified(gr)} "${name}" is forbidden: ${why}` : `${qualified(gr)} is forbidden: ${why}`,
      details(gr, name),
    ),
  forbiddenRaw: (message: string, d?: StatusDetails) => failure(403, 'Forbidden', message, d),
  unauthorized: () => failure(401, 'Unauthorized', 'Unauthorized'),
  methodNotSupported: (gr: GroupResource, verb: string) =>
    failure(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualified(gr)}"`, {
      ...(gr.group ? { group: gr.group } : {}),
      kind: gr.resource,
    }),
  notFoundPath: () => failure(404, 'NotFound', 'the server could not find the requested resource'),
  gone: (message: string) => failure(410, 'Expired', message),
  tooLarge: (limit: number) =>
    failure(413, 'RequestEntityTooLarge', `the server has received a request that is too large: limit is ${limit}`),
  unsupportedMediaType: (contentType: string, accepted: string[]) =>
    failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
      contentType ? {} : undefined,
    ),
  notAcceptable: (accepted: string[]) =>
    failure(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`),
  internal: (message: string) =>
    failure(500, 'InternalError', `Internal error occurred: ${message}`, {
      causes: [{ reason: '', message }],
    }),
  timeout: (message: string) => failure(504, 'Timeout', message),
};

export function successStatus(details?: StatusDetails): Status {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
  if (details) status.details = details;
  return status;
}

/** One field error, rendered like k8s.io/apimachinery/pkg/util/validation/field. */
export class FieldError {
  readonly reason: string;
  readonly field: string;
  readonly detail: string;
  readonly value: unknown;
  readonly hasValue: boolean;
  private constructor(reason: string, field: string, value: unknown, hasValue: boolean, detail: string) {
    this.reason = reason;
    this.field = field;
    this.value = value;
    this.hasValue = hasValue;
    this.detail = detail;
  }
  static required(field: string, detail = ''): FieldError {
    return new FieldError('FieldValueRequired', field, undefined, false, detail);
  }
  static invalid(field: string, value: unknown, detail: string): FieldError {
    return new FieldError('FieldValueInvalid', field, value, true, detail);
  }
  static notSupported(field: string, value: unknown, supported: string[]): FieldError {
    const detail = supported.length ? `supported values: ${supported.map((s) => `"${s}"`).join(', ')}` : '';
    return new FieldError('FieldValueNotSupported', field, value, true, detail);
  }
  static duplicate(field: string, value: unknown): FieldError {
    return new FieldError('FieldValueDuplicate', field, value, true, '');
  }
  static forbidden(field: string, detail: string): FieldError {
    return new FieldError('FieldValueForbidden', field, undefined, false, detail);
  }
  static notFoundValue(field: string, value: unknown): FieldError {
    return new FieldError('FieldValueNotFound', field, value, true, '');
  }
  static tooLong(field: string, max: number): FieldError {
    return new FieldError('FieldValueTooLong', field, undefined, false, `may not be more than ${max} bytes`);
  }

  private typeText(): string {
    switch (this.reason) {
      case 'FieldValueRequired':
        return 'Required value';
      case 'FieldValueInvalid':
        return 'Invalid value';
      case 'FieldValueNotSupported':
        return 'Unsupported value';
      case 'FieldValueDuplicate':
        return 'Duplicate value';
      case 'FieldValueForbidden':
        return 'Forbidden';
      case 'FieldValueTooLong':
        return 'Too long';
      case 'FieldValueNotFound':
        return 'Not found';
      default:
        return 'Invalid value';
    }
  }

  private valueText(): string {
    const v = this.value;
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (v === null || v === undefined) return 'null';
    return JSON.stringify(v);
  }

  /** "spec.containers[0].image: Required value" */
  text(): string {
    return `${this.field}: ${this.causeMessage()}`;
  }

  /** The cause message without the field: "Invalid value: \"x\": must be ..." */
  causeMessage(): string {
    let message = this.typeText();
    if (this.hasValue) message += `: ${this.valueText()}`;
    if (this.detail) message += `: ${this.detail}`;
    return message;
  }
}
