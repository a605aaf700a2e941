import { compareQuantities, formatQuantity, parseQuantity } from '../../api/quantity.ts';
import { FieldError } from '../../api/status.ts';
import { asArray } from '../printing.ts';

type Obj = Record<string, unknown>;

/** validation.IsValidUserID / IsValidGroupID. */
const idRange = 'must be between 0 and 2147483647, inclusive';
const maxId = 2147483647;

function checkId(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > maxId)
    return [FieldError.invalid(path, value, idRange)];
  return [];
}

/**
 * How field.Invalid prints a struct in 1.34: JSON of the internal type, Go field names in
 * declaration order, null for what is unset (core.SecurityContext).
 */
function internalSecurityContext(sc: Obj): Record<string, unknown> {
  const caps = sc.capabilities as Obj | undefined;
  const pick = (key: string) => (sc[key] === undefined ? null : sc[key]);
  return {
    Capabilities: caps ? { Add: caps.add ?? null, Drop: caps.drop ?? null } : null,
    Privileged: pick('privileged'),
    SELinuxOptions: pick('seLinuxOptions'),
    WindowsOptions: pick('windowsOptions'),
    RunAsUser: pick('runAsUser'),
    RunAsGroup: pick('runAsGroup'),
    RunAsNonRoot: pick('runAsNonRoot'),
    ReadOnlyRootFilesystem: pick('readOnlyRootFilesystem'),
    AllowPrivilegeEscalation: pick('allowPrivilegeEscalation'),
    ProcMount: pick('procMount'),
    SeccompProfile: pick('seccompProfile'),
    AppArmorProfile: pick('appArmorProfile'),
  };
}

const profileTypes = ['Localhost', 'RuntimeDefault', 'Unconfined'];

/** validateSeccompProfileField / validateAppArmorProfileField. */
function checkProfile(profile: unknown, path: string, what: 'seccomp' | 'AppArmor'): FieldError[] {
  if (!profile || typeof profile !== 'object') return [];
  const p = profile as Obj;
  const errs: FieldError[] = [];
  if (p.type === undefined || p.type === '') return [FieldError.required(`${path}.type`, '')];
  if (!profileTypes.includes(String(p.type))) {
    errs.push(FieldError.notSupported(`${path}.type`, p.type, profileTypes));
    return errs;
  }
  const local = p.localhostProfile;
  if (p.type === 'Localhost') {
    if (typeof local !== 'string' || local === '') {
      errs.push(FieldError.required(`${path}.localhostProfile`, `must be set when ${what} type is Localhost`));
    } else if (what === 'seccomp') {
      if (local.startsWith('/'))
        errs.push(FieldError.invalid(`${path}.localhostProfile`, local, 'must be a relative path'));
      if (local.split('/').includes('..'))
        errs.push(FieldError.invalid(`${path}.localhostProfile`, local, "must not contain '..'"));
    } else if (local.length > 4095) {
      errs.push(FieldError.tooLong(`${path}.localhostProfile`, 4095));
    }
  } else if (local !== undefined && local !== null) {
    errs.push(FieldError.invalid(`${path}.localhostProfile`, local, `can only be set when ${what} type is Localhost`));
  }
  return errs;
}

const procMountTypes = ['Default', 'Unmasked'];

/** ValidateSecurityContext for one container (pkg/apis/core/validation/validation.go). */
export function validateSecurityContext(sc: unknown, path: string): FieldError[] {
  if (!sc || typeof sc !== 'object') return [];
  const s = sc as Obj;
  const errs: FieldError[] = [];
  errs.push(...checkId(s.runAsUser, `${path}.runAsUser`));
  errs.push(...checkId(s.runAsGroup, `${path}.runAsGroup`));
  if (s.procMount !== undefined && !procMountTypes.includes(String(s.procMount)))
    errs.push(FieldError.notSupported(`${path}.procMount`, s.procMount, procMountTypes));
  errs.push(...checkProfile(s.seccompProfile, `${path}.seccompProfile`, 'seccomp'));
  errs.push(...checkProfile(s.appArmorProfile, `${path}.appArmorProfile`, 'AppArmor'));
  if (s.allowPrivilegeEscalation === false) {
    const dump = internalSecurityContext(s);
    if (s.privileged === true)
      errs.push(
        FieldError.invalid(path, dump, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'),
      );
    for (const cap of asArray<string>((s.capabilities as Obj | undefined)?.add)) {
      if (cap === 'CAP_SYS_ADMIN')
        errs.push(
          FieldError.invalid(
            path,
            dump,
            'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN',
          ),
        );
    }
  }
  return errs;
}

/** ValidatePodSecurityContext: ids, groups, fsGroupChangePolicy, sysctls and profiles. */
export function validatePodSecurityContext(sc: unknown, path: string): FieldError[] {
  if (!sc || typeof sc !== 'object') return [];
  const s = sc as Obj;
  const errs: FieldError[] = [];
  errs.push(...checkId(s.fsGroup, `${path}.fsGroup`));
  errs.push(...checkId(s.runAsUser, `${path}.runAsUser`));
  errs.push(...checkId(s.runAsGroup, `${path}.runAsGroup`));
  asArray<number>(s.supplementalGroups).forEach((g, i) => errs.push(...checkId(g, `${path}.supplementalGroups[${i}]`)));
  const policies = ['OnRootMismatch', 'Always'];
  if (s.fsGroupChangePolicy !== undefined && !policies.includes(String(s.fsGroupChangePolicy)))
    errs.push(FieldError.notSupported(`${path}.fsGroupChangePolicy`, s.fsGroupChangePolicy, policies));
  errs.push(...checkProfile(s.seccompProfile, `${path}.seccompProfile`, 'seccomp'));
  errs.push(...checkProfile(s.appArmorProfile, `${path}.appArmorProfile`, 'AppArmor'));
  return errs;
}

const standardContainerResources = ['cpu', 'memory', 'ephemeral-storage'];
const qualifiedName =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** ValidateResourceRequirements: names, non-negative quantities and requests ≤ limits. */
export function validateResources(resources: unknown, path: string): FieldError[] {
  if (!resources || typeof resources !== 'object') return [];
  const r = resources as Obj;
  const errs: FieldError[] = [];
  const parsed: Record<'limits' | 'requests', Map<string, ReturnType<typeof parseQuantity>>> = {
    limits: new Map(),
    requests: new Map(),
  };
  for (const kind of ['limits', 'requests'] as const) {
    for (const [name, value] of Object.entries((r[kind] as Obj | undefined) ?? {})) {
      const at = `${path}.${kind}[${name}]`;
      const standard = standardContainerResources.includes(name) || name.startsWith('hugepages-');
      if (!standard && (!name.includes('/') || !qualifiedName.test(name))) {
        errs.push(FieldError.invalid(at, name, 'must be a standard resource for containers'));
        continue;
      }
      const q = parseQuantity(value);
      if (!q) {
        errs.push(
          FieldError.invalid(
            at,
            value,
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
          ),
        );
        continue;
      }
      if (q.nanos < 0n) errs.push(FieldError.invalid(at, value, 'must be greater than or equal to 0'));
      parsed[kind].set(name, q);
    }
  }
  for (const [name, request] of parsed.requests) {
    const limit = parsed.limits.get(name);
    if (!request || !limit) continue;
    if (compareQuantities(request, limit) > 0) {
      errs.push(
        FieldError.invalid(
          `${path}.requests`,
          formatQuantity(request),
          `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`,
        ),
      );
    }
  }
  return errs;
}
