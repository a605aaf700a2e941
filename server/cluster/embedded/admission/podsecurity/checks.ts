/**
 * The Pod Security Standards checks, per level and version, as the pod-security-admission
 * library defines them for Kubernetes 1.34 (written from the Pod Security Standards).
 */

type Obj = Record<string, unknown>;

export type Level = 'privileged' | 'baseline' | 'restricted';

export interface CheckResult {
  reason: string;
  detail: string;
}

export interface PodView {
  metadata: { annotations?: Record<string, string> };
  spec: Obj;
}

export interface Check {
  id: string;
  level: 'baseline' | 'restricted';
  /** First minor version (1.x) the check applies from. */
  since: number;
  /** Baseline checks this restricted check replaces (from its own version on). */
  overrides?: string[];
  /** Restricted Linux-only checks skip pods with spec.os.name=windows from v1.25. */
  linuxOnly?: boolean;
  /** Returns undefined when the pod passes. `minor` lets one check vary by version. */
  run: (pod: PodView, minor: number) => CheckResult | undefined;
}

interface NamedContainer {
  name: string;
  c: Obj;
}

function containers(spec: Obj): NamedContainer[] {
  const list: NamedContainer[] = [];
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of (spec[key] as Obj[] | undefined) ?? []) list.push({ name: String(c?.name ?? ''), c: c ?? {} });
  }
  return list;
}

const sc = (c: Obj) => (c.securityContext ?? {}) as Obj;
const podSc = (spec: Obj) => (spec.securityContext ?? {}) as Obj;
const quoted = (names: string[]) => names.map((n) => JSON.stringify(n)).join(', ');
const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

/** `container "a"` or `containers "a", "b"`. */
function containerNames(names: string[]): string {
  return `${plural(names.length, 'container', 'containers')} ${quoted(names)}`;
}

const hostNamespaces: Check = {
  id: 'hostNamespaces',
  level: 'baseline',
  since: 0,
  run: ({ spec }) => {
    const set = ['hostNetwork', 'hostPID', 'hostIPC'].filter((k) => spec[k] === true).map((k) => `${k}=true`);
    return set.length ? { reason: 'host namespaces', detail: set.join(', ') } : undefined;
  },
};

const privileged: Check = {
  id: 'privileged',
  level: 'baseline',
  since: 0,
  run: ({ spec }) => {
    const bad = containers(spec)
      .filter(({ c }) => sc(c).privileged === true)
      .map((x) => x.name);
    return bad.length
      ? { reason: 'privileged', detail: `${containerNames(bad)} must not set securityContext.privileged=true` }
      : undefined;
  },
};

const defaultCapabilities = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

const capabilitiesBaseline: Check = {
  id: 'capabilities_baseline',
  level: 'baseline',
  since: 0,
  run: ({ spec }) => {
    const names: string[] = [];
    const caps = new Set<string>();
    for (const { name, c } of containers(spec)) {
      const add = ((sc(c).capabilities as Obj | undefined)?.add as string[] | undefined) ?? [];
      const bad = add.filter((cap) => !defaultCapabilities.has(cap));
      if (bad.length) {
        names.push(name);
        bad.forEach((b) => caps.add(b));
      }
    }
    if (!names.length) return undefined;
    const capList = [...caps].sort();
    return {
      reason: 'non-default capabilities',
      detail: `${containerNames(names)} must not include ${quoted(capList)} in securityContext.capabilities.add`,
    };
  },
};

const hostPathVolumes: Check = {
  id: 'hostPathVolumes',
  level: 'baseline',
  since: 0,
  run: ({ spec }) => {
    const bad = ((spec.volumes as Obj[] | undefined) ?? []).filter((v) => v?.hostPath).map((v) => String(v.name ?? ''));
    return bad.length
      ? { reason: 'hostPath volumes', detail: `${plural(bad.length, 'volume', 'volumes')} ${quoted(bad)}` }
      : undefined;
  },
};

const hostPorts: Check = {
  id: 'hostPorts',
  level: 'baseline',
  since: 0,
  run: ({ spec }) => {
    const names: string[] = [];
    const ports = new Set<number>();
    for (const { name, c } of containers(spec)) {
      const used = ((c.ports as Obj[] | undefined) ?? []).map((p) => Number(p?.hostPort ?? 0)).filter((p) => p !== 0);
      if (used.length) {
        names.push(name);
        used.forEach((p) => ports.add(p));
      }
    }
    if (!names.length) return undefined;
    const portList = [...ports].sort((a, b) => a - b).join(', ');
    return {
      reason: 'hostPort',
      detail: `${containerNames(names)} ${plural(names.length, 'uses', 'use')} ${plural(ports.size, 'hostPort', 'hostPorts')} ${portList}`,
    };
  },
};

/** Hosts named by a probe or lifecycle handler's httpGet or tcpSocket. */
function handlerHosts(handler: unknown): string[] {
  const h = (handler ?? {}) as Obj;
  return [(h.httpGet as Obj | undefined)?.host, (h.tcpSocket as Obj | undefined)?.host].filter(
    (host): host is string => typeof host === 'string' && host !== '',
  );
}

/** Baseline from v1.34 (check_hostProbesAndhostLifecycle.go): probes and hooks may not name a host. */
const hostProbesAndHostLifecycle: Check = {
  id: 'hostProbesAndHostLifecycle',
  level: 'baseline',
  since: 34,
  run: ({ spec }) => {
    const names = new Set<string>();
    const hosts = new Set<string>();
    for (const { name, c } of containers(spec)) {
      const lifecycle = (c.lifecycle ?? {}) as Obj;
      const found = [c.livenessProbe, c.readinessProbe, c.startupProbe, lifecycle.postStart, lifecycle.preStop].flatMap(
        handlerHosts,
      );
      if (!found.length) continue;
      names.add(name);
      found.forEach((h) => hosts.add(h));
    }
    if (!names.size) return undefined;
    const sortedNames = [...names].sort();
    return {
      reason: 'probe or lifecycle host',
      detail: `${containerNames(sortedNames)} ${plural(names.size, 'uses', 'use')} ${plural(hosts.size, 'probe or lifecycle host', 'probe or lifecycle hosts')} ${quoted([...hosts].sort())}`,
    };
  },
};

const appArmorAnnotation = 'container.apparmor.security.beta.kubernetes.io/';

const appArmorProfile: Check = {
  id: 'appArmorProfile',
  level: 'baseline',
  since: 0,
  run: ({ metadata, spec }) => {
    const bad: string[] = [];
    const allowedType = (t: unknown) => t === undefined || t === 'RuntimeDefault' || t === 'Localhost';
    const podType = (podSc(spec).appArmorProfile as Obj | undefined)?.type;
    if (!allowedType(podType))
      bad.push(`pod must not set securityContext.appArmorProfile.type to ${JSON.stringify(podType)}`);
    const badContainers = containers(spec).filter(
      ({ c }) => !allowedType((sc(c).appArmorProfile as Obj | undefined)?.type),
    );
    for (const { name, c } of badContainers) {
      bad.push(
        `container ${JSON.stringify(name)} must not set securityContext.appArmorProfile.type to ${JSON.stringify((sc(c).appArmorProfile as Obj).type)}`,
      );
    }
    for (const [key, value] of Object.entries(metadata.annotations ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      if (!key.startsWith(appArmorAnnotation)) continue;
      if (value === 'runtime/default' || value.startsWith('localhost/')) continue;
      bad.push(`${JSON.stringify(key)}=${JSON.stringify(value)}`);
    }
    if (!bad.length) return undefined;
    return {
      reason: plural(bad.length, 'forbidden AppArmor profile', 'forbidden AppArmor profiles'),
      detail: bad.join(', '),
    };
  },
};

const seLinuxTypes = (minor: number) =>
  new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', ...(minor >= 31 ? ['container_engine_t'] : [])]);

const seLinuxOptions: Check = {
  id: 'seLinuxOptions',
  level: 'baseline',
  since: 0,
  run: ({ spec }, minor) => {
    const allowed = seLinuxTypes(minor);
    const problems = new Set<string>();
    const offenders: string[] = [];
    const inspect = (opts: Obj | undefined): boolean => {
      if (!opts) return false;
      let bad = false;
      const type = String(opts.type ?? '');
      if (!allowed.has(type)) {
        problems.add(`type ${JSON.stringify(type)}`);
        bad = true;
      }
      if (opts.user) {
        problems.add(`user ${JSON.stringify(opts.user)}`);
        bad = true;
      }
      if (opts.role) {
        problems.add(`role ${JSON.stringify(opts.role)}`);
        bad = true;
      }
      return bad;
    };
    const podBad = inspect(podSc(spec).seLinuxOptions as Obj | undefined);
    for (const { name, c } of containers(spec))
      if (inspect(sc(c).seLinuxOptions as Obj | undefined)) offenders.push(name);
    if (!podBad && !offenders.length) return undefined;
    const who = [podBad ? 'pod' : '', offenders.length ? containerNames(offenders) : ''].filter(Boolean).join(' and ');
    return {
      reason: 'seLinuxOptions',
      detail: `${who} set forbidden securityContext.seLinuxOptions: ${[...problems].join('; ')}`,
    };
  },
};

const procMount: Check = {
  id: 'procMount',
  level: 'baseline',
  since: 0,
  run: ({ spec }) => {
    const bad = containers(spec).filter(({ c }) => sc(c).procMount !== undefined && sc(c).procMount !== 'Default');
    if (!bad.length) return undefined;
    const values = [...new Set(bad.map(({ c }) => String(sc(c).procMount)))];
    return {
      reason: 'procMount',
      detail: `${containerNames(bad.map((b) => b.name))} must not set securityContext.procMount to ${quoted(values)}`,
    };
  },
};

const seccompPodAnnotation = 'seccomp.security.alpha.kubernetes.io/pod';
const seccompContainerAnnotation = 'container.seccomp.security.alpha.kubernetes.io/';

const seccompProfileBaseline: Check = {
  id: 'seccompProfile_baseline',
  level: 'baseline',
  since: 0,
  run: ({ metadata, spec }, minor) => {
    const bad: string[] = [];
    if (minor < 19) {
      for (const [key, value] of Object.entries(metadata.annotations ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
        if ((key === seccompPodAnnotation || key.startsWith(seccompContainerAnnotation)) && value === 'unconfined') {
          bad.push(`${JSON.stringify(key)}=${JSON.stringify(value)}`);
        }
      }
      return bad.length
        ? {
            reason: 'seccompProfile',
            detail: `forbidden ${plural(bad.length, 'annotation', 'annotations')} ${bad.join(', ')}`,
          }
        : undefined;
    }
    if ((podSc(spec).seccompProfile as Obj | undefined)?.type === 'Unconfined') bad.push('pod');
    const names = containers(spec)
      .filter(({ c }) => (sc(c).seccompProfile as Obj | undefined)?.type === 'Unconfined')
      .map((x) => x.name);
    if (names.length) bad.push(containerNames(names));
    return bad.length
      ? {
          reason: 'seccompProfile',
          detail: `${bad.join(' and ')} must not set securityContext.seccompProfile.type to "Unconfined"`,
        }
      : undefined;
  },
};

function safeSysctls(minor: number): Set<string> {
  const safe = [
    'kernel.shm_rmid_forced',
    'net.ipv4.ip_local_port_range',
    'net.ipv4.tcp_syncookies',
    'net.ipv4.ping_group_range',
    'net.ipv4.ip_unprivileged_port_start',
  ];
  if (minor >= 27) safe.push('net.ipv4.ip_local_reserved_ports');
  if (minor >= 29)
    safe.push(
      'net.ipv4.tcp_keepalive_time',
      'net.ipv4.tcp_fin_timeout',
      'net.ipv4.tcp_keepalive_intvl',
      'net.ipv4.tcp_keepalive_probes',
    );
  if (minor >= 32) safe.push('net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem');
  return new Set(safe);
}

const sysctls: Check = {
  id: 'sysctls',
  level: 'baseline',
  since: 0,
  run: ({ spec }, minor) => {
    const safe = safeSysctls(minor);
    const bad = ((podSc(spec).sysctls as Obj[] | undefined) ?? [])
      .map((s) => String(s?.name ?? ''))
      .filter((n) => !safe.has(n));
    return bad.length ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : undefined;
  },
};

const windowsHostProcess: Check = {
  id: 'windowsHostProcess',
  level: 'baseline',
  since: 0,
  run: ({ spec }) => {
    const podBad = (podSc(spec).windowsOptions as Obj | undefined)?.hostProcess === true;
    const names = containers(spec)
      .filter(({ c }) => (sc(c).windowsOptions as Obj | undefined)?.hostProcess === true)
      .map((x) => x.name);
    if (!podBad && !names.length) return undefined;
    const who = [podBad ? 'pod' : '', names.length ? containerNames(names) : ''].filter(Boolean).join(' and ');
    return { reason: 'hostProcess', detail: `${who} must not set securityContext.windowsOptions.hostProcess=true` };
  },
};

const allowedVolumeTypes = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

const restrictedVolumes: Check = {
  id: 'restrictedVolumes',
  level: 'restricted',
  since: 0,
  overrides: ['hostPathVolumes'],
  run: ({ spec }) => {
    const names: string[] = [];
    const types = new Set<string>();
    for (const v of (spec.volumes as Obj[] | undefined) ?? []) {
      const sources = Object.keys(v ?? {}).filter(
        (k) => k !== 'name' && (v as Obj)[k] !== null && (v as Obj)[k] !== undefined,
      );
      const bad = sources.filter((s) => !allowedVolumeTypes.has(s));
      if (bad.length) {
        names.push(String(v.name ?? ''));
        bad.forEach((b) => types.add(b));
      }
    }
    if (!names.length) return undefined;
    const typeList = [...types].sort();
    return {
      reason: 'restricted volume types',
      detail: `${plural(names.length, 'volume', 'volumes')} ${quoted(names)} ${plural(names.length, 'uses', 'use')} restricted volume ${plural(typeList.length, 'type', 'types')} ${quoted(typeList)}`,
    };
  },
};

const allowPrivilegeEscalation: Check = {
  id: 'allowPrivilegeEscalation',
  level: 'restricted',
  since: 8,
  linuxOnly: true,
  run: ({ spec }) => {
    const bad = containers(spec)
      .filter(({ c }) => sc(c).allowPrivilegeEscalation !== false)
      .map((x) => x.name);
    return bad.length
      ? {
          reason: 'allowPrivilegeEscalation != false',
          detail: `${containerNames(bad)} must set securityContext.allowPrivilegeEscalation=false`,
        }
      : undefined;
  },
};

const runAsNonRoot: Check = {
  id: 'runAsNonRoot',
  level: 'restricted',
  since: 0,
  run: ({ spec }) => {
    const podValue = podSc(spec).runAsNonRoot;
    const details: string[] = [];
    if (podValue === false) details.push('pod must not set securityContext.runAsNonRoot=false');
    const explicitFalse = containers(spec)
      .filter(({ c }) => sc(c).runAsNonRoot === false)
      .map((x) => x.name);
    if (explicitFalse.length)
      details.push(`${containerNames(explicitFalse)} must not set securityContext.runAsNonRoot=false`);
    if (podValue !== true) {
      const unset = containers(spec)
        .filter(({ c }) => sc(c).runAsNonRoot === undefined)
        .map((x) => x.name);
      if (unset.length && podValue !== false)
        details.push(`pod or ${containerNames(unset)} must set securityContext.runAsNonRoot=true`);
    }
    return details.length ? { reason: 'runAsNonRoot != true', detail: details.join('; ') } : undefined;
  },
};

const runAsUser: Check = {
  id: 'runAsUser',
  level: 'restricted',
  since: 23,
  run: ({ spec }) => {
    const details: string[] = [];
    if (podSc(spec).runAsUser === 0) details.push('pod must not set runAsUser=0');
    const bad = containers(spec)
      .filter(({ c }) => sc(c).runAsUser === 0)
      .map((x) => x.name);
    if (bad.length) details.push(`${containerNames(bad)} must not set runAsUser=0`);
    return details.length ? { reason: 'runAsUser=0', detail: details.join('; ') } : undefined;
  },
};

const seccompProfileRestricted: Check = {
  id: 'seccompProfile_restricted',
  level: 'restricted',
  since: 19,
  overrides: ['seccompProfile_baseline'],
  linuxOnly: true,
  run: ({ spec }) => {
    const valid = (t: unknown) => t === 'RuntimeDefault' || t === 'Localhost';
    const podType = (podSc(spec).seccompProfile as Obj | undefined)?.type;
    const details: string[] = [];
    if (podType !== undefined && !valid(podType))
      details.push(`pod must not set securityContext.seccompProfile.type to ${JSON.stringify(podType)}`);
    const badExplicit = containers(spec).filter(({ c }) => {
      const t = (sc(c).seccompProfile as Obj | undefined)?.type;
      return t !== undefined && !valid(t);
    });
    if (badExplicit.length) {
      const values = [...new Set(badExplicit.map(({ c }) => String((sc(c).seccompProfile as Obj).type)))];
      details.push(
        `${containerNames(badExplicit.map((b) => b.name))} must not set securityContext.seccompProfile.type to ${quoted(values)}`,
      );
    }
    if (!valid(podType)) {
      const unset = containers(spec)
        .filter(({ c }) => (sc(c).seccompProfile as Obj | undefined)?.type === undefined)
        .map((x) => x.name);
      if (unset.length)
        details.push(
          `pod or ${containerNames(unset)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
        );
    }
    return details.length ? { reason: 'seccompProfile', detail: details.join('; ') } : undefined;
  },
};

const capabilitiesRestricted: Check = {
  id: 'capabilities_restricted',
  level: 'restricted',
  since: 22,
  overrides: ['capabilities_baseline'],
  linuxOnly: true,
  run: ({ spec }) => {
    const notDropping: string[] = [];
    const adding: string[] = [];
    const added = new Set<string>();
    for (const { name, c } of containers(spec)) {
      const caps = (sc(c).capabilities ?? {}) as { add?: string[]; drop?: string[] };
      if (!(caps.drop ?? []).includes('ALL')) notDropping.push(name);
      const bad = (caps.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
      if (bad.length) {
        adding.push(name);
        bad.forEach((b) => added.add(b));
      }
    }
    const details: string[] = [];
    if (notDropping.length)
      details.push(`${containerNames(notDropping)} must set securityContext.capabilities.drop=["ALL"]`);
    if (adding.length)
      details.push(
        `${containerNames(adding)} must not include ${quoted([...added].sort())} in securityContext.capabilities.add`,
      );
    return details.length ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
  },
};

export const checks: Check[] = [
  allowPrivilegeEscalation,
  appArmorProfile,
  capabilitiesBaseline,
  capabilitiesRestricted,
  hostNamespaces,
  hostPathVolumes,
  hostPorts,
  hostProbesAndHostLifecycle,
  privileged,
  procMount,
  restrictedVolumes,
  runAsNonRoot,
  runAsUser,
  seLinuxOptions,
  seccompProfileBaseline,
  seccompProfileRestricted,
  sysctls,
  windowsHostProcess,
];
