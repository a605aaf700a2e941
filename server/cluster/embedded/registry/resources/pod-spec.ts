import { FieldError } from '../../api/status.ts';
import { isDns1123Label, messages } from '../meta-validation.ts';
import { asArray } from '../printing.ts';
import { validatePodSecurityContext, validateResources, validateSecurityContext } from './pod-validation.ts';

type Obj = Record<string, unknown>;

/** imagePullPolicy default: Always for ":latest" or untagged images, else IfNotPresent. */
export function defaultPullPolicy(image: unknown): string {
  if (typeof image !== 'string') return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastPart.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return lastPart.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(container: Obj): void {
  container.imagePullPolicy ??= defaultPullPolicy(container.image);
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
  const resources = (container.resources ??= {}) as Obj;
  // SetDefaults_Pod: a limit with no request means a request of the same amount.
  const limits = resources.limits as Obj | undefined;
  if (limits && typeof limits === 'object' && Object.keys(limits).length) {
    const requests = (resources.requests ??= {}) as Obj;
    for (const [k, v] of Object.entries(limits)) requests[k] ??= v;
  }
  for (const port of asArray(container.ports)) port.protocol ??= 'TCP';
}

/** SetDefaults_PodSpec and friends, for pods and pod templates alike. */
export function defaultPodSpec(spec: Obj): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const c of asArray(spec.containers)) defaultContainer(c);
  for (const c of asArray(spec.initContainers)) defaultContainer(c);
  for (const c of asArray(spec.ephemeralContainers)) defaultContainer(c);
  for (const volume of asArray(spec.volumes)) {
    if (volume.secret && typeof volume.secret === 'object') (volume.secret as Obj).defaultMode ??= 420;
    if (volume.configMap && typeof volume.configMap === 'object') (volume.configMap as Obj).defaultMode ??= 420;
    if (!Object.keys(volume).some((k) => k !== 'name')) volume.emptyDir = {};
  }
}

const restartPolicies = ['Always', 'OnFailure', 'Never'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const protocols = ['SCTP', 'TCP', 'UDP'];

function validateContainers(list: unknown, path: string, names: Set<string>, required: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const containers = asArray(list);
  if (required && containers.length === 0) return [FieldError.required(path, '')];
  containers.forEach((c, i) => {
    const at = `${path}[${i}]`;
    const name = c.name;
    if (typeof name !== 'string' || name === '') errs.push(FieldError.required(`${at}.name`, ''));
    else if (!isDns1123Label(name)) errs.push(FieldError.invalid(`${at}.name`, name, messages.dns1123Label));
    else if (names.has(name)) errs.push(FieldError.duplicate(`${at}.name`, name));
    else names.add(name);
    if (typeof c.image !== 'string' || c.image.trim() === '') errs.push(FieldError.required(`${at}.image`, ''));
    errs.push(...validateResources(c.resources, `${at}.resources`));
    errs.push(...validateSecurityContext(c.securityContext, `${at}.securityContext`));
    if (c.imagePullPolicy !== undefined && !pullPolicies.includes(String(c.imagePullPolicy))) {
      errs.push(FieldError.notSupported(`${at}.imagePullPolicy`, c.imagePullPolicy, pullPolicies));
    }
    asArray(c.ports).forEach((p, j) => {
      const port = p.containerPort;
      if (typeof port !== 'number' || port < 1 || port > 65535) {
        errs.push(
          port === undefined
            ? FieldError.required(`${at}.ports[${j}].containerPort`, '')
            : FieldError.invalid(`${at}.ports[${j}].containerPort`, port, 'must be between 1 and 65535, inclusive'),
        );
      }
      if (p.protocol !== undefined && !protocols.includes(String(p.protocol))) {
        errs.push(FieldError.notSupported(`${at}.ports[${j}].protocol`, p.protocol, protocols));
      }
    });
  });
  return errs;
}

/**
 * Volume source fields in the order validateVolumeSource (pkg/apis/core/validation/validation.go)
 * counts them; the second name is the path it reports, typos included ("downwarAPI", "cephFS").
 */
const volumeSources: [field: string, reportedAs: string][] = [
  ['emptyDir', 'emptyDir'],
  ['hostPath', 'hostPath'],
  ['gitRepo', 'gitRepo'],
  ['gcePersistentDisk', 'gcePersistentDisk'],
  ['awsElasticBlockStore', 'awsElasticBlockStore'],
  ['secret', 'secret'],
  ['nfs', 'nfs'],
  ['iscsi', 'iscsi'],
  ['glusterfs', 'glusterfs'],
  ['flocker', 'flocker'],
  ['persistentVolumeClaim', 'persistentVolumeClaim'],
  ['rbd', 'rbd'],
  ['cinder', 'cinder'],
  ['cephfs', 'cephFS'],
  ['quobyte', 'quobyte'],
  ['downwardAPI', 'downwarAPI'],
  ['fc', 'fc'],
  ['flexVolume', 'flexVolume'],
  ['configMap', 'configMap'],
  ['azureFile', 'azureFile'],
  ['vsphereVolume', 'vsphereVolume'],
  ['photonPersistentDisk', 'photonPersistentDisk'],
  ['portworxVolume', 'portworxVolume'],
  ['azureDisk', 'azureDisk'],
  ['storageos', 'storageos'],
  ['projected', 'projected'],
  ['scaleIO', 'scaleIO'],
  ['csi', 'csi'],
  ['ephemeral', 'ephemeral'],
  ['image', 'image'],
];

/** Exactly one source per volume: a second one is Forbidden, none is Required. */
function validateVolumeSource(volume: Obj, at: string): FieldError[] {
  const errs: FieldError[] = [];
  let sources = 0;
  for (const [field, reportedAs] of volumeSources) {
    if (volume[field] === undefined || volume[field] === null) continue;
    if (sources > 0) errs.push(FieldError.forbidden(`${at}.${reportedAs}`, 'may not specify more than 1 volume type'));
    else sources++;
  }
  if (sources === 0) errs.push(FieldError.required(at, 'must specify a volume type'));
  return errs;
}

/** ValidatePodSpec: the checks learners and graders actually meet. */
export function validatePodSpec(spec: Obj | undefined, path: string): FieldError[] {
  if (!spec) return [FieldError.required(path, '')];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  errs.push(...validateContainers(spec.containers, `${path}.containers`, names, true));
  errs.push(...validateContainers(spec.initContainers, `${path}.initContainers`, names, false));
  errs.push(...validateContainers(spec.ephemeralContainers, `${path}.ephemeralContainers`, names, false));
  errs.push(...validatePodSecurityContext(spec.securityContext, `${path}.securityContext`));
  if (spec.restartPolicy !== undefined && !restartPolicies.includes(String(spec.restartPolicy))) {
    errs.push(FieldError.notSupported(`${path}.restartPolicy`, spec.restartPolicy, restartPolicies));
  }
  if (spec.dnsPolicy !== undefined && !dnsPolicies.includes(String(spec.dnsPolicy))) {
    errs.push(FieldError.notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, dnsPolicies));
  }
  const volumeNames = new Set<string>();
  asArray(spec.volumes).forEach((v, i) => {
    const at = `${path}.volumes[${i}]`;
    const volumeErrs = validateVolumeSource(v, at);
    const name = v.name;
    if (typeof name !== 'string' || !name) volumeErrs.push(FieldError.required(`${at}.name`, ''));
    else if (volumeNames.has(name)) volumeErrs.push(FieldError.duplicate(`${at}.name`, name));
    // As upstream, a volume with errors is not registered, so its mounts report it as not found.
    if (volumeErrs.length === 0) volumeNames.add(String(name));
    errs.push(...volumeErrs);
  });
  for (const kind of ['containers', 'initContainers'] as const) {
    asArray(spec[kind]).forEach((c, i) => {
      asArray(c.volumeMounts).forEach((m, j) => {
        if (typeof m.name === 'string' && !volumeNames.has(m.name)) {
          errs.push(FieldError.notFoundValue(`${path}.${kind}[${i}].volumeMounts[${j}].name`, m.name));
        }
      });
    });
  }
  return errs;
}
