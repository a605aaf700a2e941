import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { ServiceAccountTokens } from './authentication/service-account-tokens.ts';
import { systemMasters } from './authentication/user.ts';
import { alwaysAllow } from './authorization/authorizer.ts';
import { RbacAuthorizer } from './authorization/rbac/authorizer.ts';
import {
  bootstrapClusterRoleBindings,
  bootstrapClusterRoles,
  bootstrapRoleBindings,
  bootstrapRoles,
} from './authorization/rbac/bootstrap.ts';
import { RbacEscalationCheck } from './admission/rbacescalation/plugin.ts';
import { ClusterRoleAggregationController, aggregatedRules } from './controllers/rbac-aggregation.ts';
import type { AdmissionPlugin } from './registry/admission.ts';
import { PodSecurityAdmission, type PodSecurityExemptions } from './admission/podsecurity/plugin.ts';
import { ServiceAccountAdmission } from './admission/serviceaccount/plugin.ts';
import { CertificateAdmission } from './admission/certificates/plugin.ts';
import { CsrSigningController } from './controllers/certificates.ts';
import { LimitRangerAdmission } from './admission/limitranger/plugin.ts';
import { ResourceQuotaAdmission } from './admission/resourcequota/plugin.ts';
import { mandatoryFlowSchemas, mandatoryPriorityLevels } from './registry/resources/flowcontrol.ts';
import { systemPriorityClasses } from './registry/resources/scheduling.ts';
import { PriorityAdmission } from './admission/priority/plugin.ts';
import { RuntimeClassAdmission } from './admission/runtimeclass/plugin.ts';
import { DisruptionController, ResourceQuotaController, VolumeController } from './controllers/policy.ts';
import { standardStorageClass } from './registry/resources/policy.ts';
import { KubernetesServiceController, RootCaPublisher } from './controllers/cluster-bootstrap.ts';
import { KyvernoAdmission } from './admission/kyverno/plugin.ts';
import { ValidatingAdmissionPolicyPlugin } from './admission/validatingadmissionpolicy/plugin.ts';
import { AuditLog } from './audit/log.ts';
import { KyvernoPolicyStatusController } from './controllers/kyverno-policies.ts';
import { KyvernoCelPolicyStatusController } from './controllers/kyverno-cel-policies.ts';
import { ValidatingPolicyAdmission } from './admission/kyverno/cel/admission.ts';
import { BackgroundQueue } from './admission/kyverno/background.ts';
import { KyvernoBackgroundController } from './controllers/kyverno-background.ts';
import { ValidatingAdmissionPolicyStatusController } from './controllers/validating-admission-policy-status.ts';
import { ControllerContext } from './controllers/context.ts';
import { ControllerManager } from './controllers/manager.ts';
import { PodLifecycleController } from './controllers/pods.ts';
import { clusterDnsObjects } from './controllers/cluster-dns.ts';
import { EndpointSliceController, EndpointsController } from './controllers/service-endpoints.ts';
import {
  CrdController,
  GarbageCollector,
  NamespaceController,
  ServiceAccountController,
  TokenSecretController,
} from './controllers/system.ts';
import {
  DaemonSetController,
  DeploymentController,
  JobController,
  ReplicaSetController,
  StatefulSetController,
} from './controllers/workloads.ts';
import { ApiServer } from './endpoints/api-server.ts';
import { PodNetwork } from './runtime/pod-network.ts';
import type { ClusterServices } from './endpoints/context.ts';
import { OpenApiCache } from './endpoints/openapi/documents.ts';
import { createCa, issueClientCert, issueServingCert, loadCa, type ClusterCa, type PemPair } from './pki/certs.ts';
import { ResourceCatalog } from './registry/catalog.ts';
import { rfc3339 } from './api/time.ts';
import { newUid, sameContent } from './api/objects.ts';
import { Registry } from './registry/generic.ts';
import { Journal, loadState, saveState } from './storage/persistence.ts';
import { Store } from './storage/store.ts';
import type { ClusterQuota } from './storage/quota.ts';
import { LabQuotaAdmission } from './admission/quota/plugin.ts';
import type { KubeObject } from './storage/types.ts';
import { kubeconfigYaml, type Credentials } from './kubeconfig.ts';
import { kubernetesVersion } from './api/version.ts';

export { kubernetesVersion };

export const nodeName = 'embedded-control-plane';

/** Snapshot after this long without writes, or when the journal passes journalSnapshotBytes. */
const snapshotDelayMs = 1000;
const journalSnapshotBytes = 8 * 1024 * 1024;

export interface ClusterOptions {
  /** Folder for state, certificates and kubeconfigs; without it the cluster lives in memory. */
  dir?: string;
  port?: number;
  host?: string;
  /** RBAC (the default, as in kube-apiserver) or allow-all for every authenticated user. */
  authorization?: 'rbac' | 'always-allow';
  /** Extra admission plugins, run after Pod Security (as webhooks run after built-in plugins). */
  admission?: AdmissionPlugin[];
  /** Pod Security Admission exemptions (it is always on, as in Kubernetes 1.34). */
  podSecurityExemptions?: PodSecurityExemptions;
  /** Delay before simulated pods report Running. */
  podStartDelayMs?: number;
  /** Limits on what the cluster holds (objects, bytes, pods, replicas); none by default. */
  quota?: ClusterQuota;
}

/** A named identity a lab declares (e.g. jane in group dev), with its own kubeconfig context. */
export interface Persona {
  name: string;
  groups?: string[];
}

interface Secrets {
  ca: PemPair;
  /** Legacy HMAC key of clusters made before tokens were RS256; unused now. */
  tokenKey?: string;
  /** PKCS#8 PEM of the ServiceAccount token signing key, once it has been made. */
  serviceAccountKey?: string;
}

let bootstrapPolicy: ReadonlyArray<{ resource: string; object: KubeObject }> | undefined;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The bootstrap ClusterRoles with the rules the aggregation controller would give the
 * aggregated ones (admin, edit, view, ...), worked out once per process: otherwise every
 * cluster start rewrites them, and each cluster keeps its own copies of their rules and the
 * versions before (its watch history).
 */
function preAggregatedClusterRoles(): KubeObject[] {
  const roles = [...bootstrapClusterRoles].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  const byName = new Map(roles.map((role) => [role.metadata.name, role]));
  // Aggregated roles may aggregate each other (edit into admin): repeat until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    for (const [i, role] of roles.entries()) {
      const rules = aggregatedRules(role, roles);
      if (rules === undefined || sameContent(role.rules ?? [], rules)) continue;
      roles[i] = { ...role, rules };
      byName.set(role.metadata.name, roles[i]);
      changed = true;
    }
  }
  return bootstrapClusterRoles.map((role) => byName.get(role.metadata.name) ?? role);
}

/**
 * The default objects other parts of kube-apiserver create at start (~140), made once per
 * process and deep-frozen: every cluster shares their rules, subjects and specs (stored
 * objects are never changed in place; a write stores a new copy), so an idle cluster stays
 * small, and freezing makes a stray in-place change fail instead of reaching other clusters.
 */
function bootstrapPolicyTemplates(): ReadonlyArray<{ resource: string; object: KubeObject }> {
  if (bootstrapPolicy) return bootstrapPolicy;
  const items: Array<{ resource: string; object: KubeObject }> = [
    ...preAggregatedClusterRoles().map((object) => ({ resource: 'clusterroles.rbac.authorization.k8s.io', object })),
    ...bootstrapClusterRoleBindings.map((object) => ({
      resource: 'clusterrolebindings.rbac.authorization.k8s.io',
      object,
    })),
    ...bootstrapRoles.map((object) => ({ resource: 'roles.rbac.authorization.k8s.io', object })),
    ...bootstrapRoleBindings.map((object) => ({ resource: 'rolebindings.rbac.authorization.k8s.io', object })),
    ...systemPriorityClasses.map((pc) => ({
      resource: 'priorityclasses.scheduling.k8s.io',
      object: {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: pc.name },
        value: pc.value,
        description: pc.description,
        preemptionPolicy: 'PreemptLowerPriority',
      } as KubeObject,
    })),
    ...mandatoryPriorityLevels.map((object) => ({
      resource: 'prioritylevelconfigurations.flowcontrol.apiserver.k8s.io',
      object,
    })),
    ...mandatoryFlowSchemas.map((fs) => {
      const level = String(
        (fs.spec as { priorityLevelConfiguration: { name: string } }).priorityLevelConfiguration.name,
      );
      const message = `This FlowSchema references the PriorityLevelConfiguration object named "${level}" and it exists`;
      return {
        resource: 'flowschemas.flowcontrol.apiserver.k8s.io',
        object: { ...fs, status: { conditions: [{ type: 'Dangling', status: 'False', reason: 'Found', message }] } },
      };
    }),
  ];
  bootstrapPolicy = deepFreeze(JSON.parse(JSON.stringify(items)) as Array<{ resource: string; object: KubeObject }>);
  return bootstrapPolicy;
}

function bootstrapObjects(): Array<{ resource: string; object: KubeObject }> {
  const now = rfc3339();
  const namespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'].map((name) => ({
    resource: 'namespaces',
    object: {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, uid: newUid(), creationTimestamp: now, labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    } as KubeObject,
  }));
  const node: KubeObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: nodeName,
      uid: newUid(),
      creationTimestamp: now,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': nodeName,
        'kubernetes.io/os': 'linux',
        'node-role.kubernetes.io/control-plane': '',
      },
    },
    spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] },
    status: {
      capacity: { cpu: '2', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '2', memory: '8Gi', pods: '110' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
          reason: 'KubeletReady',
          message: 'simulated node of the embedded cluster: no container runtime, pods are simulated',
        },
      ],
      addresses: [
        { type: 'InternalIP', address: '172.18.0.2' },
        { type: 'Hostname', address: nodeName },
      ],
      nodeInfo: {
        kubeletVersion: kubernetesVersion.gitVersion,
        kubeProxyVersion: '', // deprecated; kubelets of 1.33+ leave it empty
        containerRuntimeVersion: 'embedded://none (simulated, no containers run)',
        osImage: 'Embedded simulation',
        kernelVersion: 'n/a',
        operatingSystem: 'linux',
        architecture: 'amd64',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  };
  // The node's heartbeat Lease, as kubelets keep one in kube-node-lease.
  const lease: KubeObject = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: 'kube-node-lease',
      uid: newUid(),
      creationTimestamp: now,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.metadata.uid ?? '' }],
    },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: now.replace('Z', '.000000Z') },
  };
  return [
    ...namespaces,
    { resource: 'nodes', object: node },
    { resource: 'leases.coordination.k8s.io', object: lease },
    { resource: 'storageclasses.storage.k8s.io', object: standardStorageClass() },
    ...clusterDnsObjects(now),
  ];
}

/**
 * One embedded Kubernetes 1.34 API server: HTTPS with its own CA, client-certificate
 * and token authentication, the registry, simulated controllers and optional persistence.
 */
export class EmbeddedCluster {
  readonly store = new Store();
  readonly catalog = new ResourceCatalog();
  readonly options: ClusterOptions;
  /** Audit events carrying admission annotations (ValidatingAdmissionPolicy Audit actions). */
  audit = new AuditLog();
  /** Generate and mutate-existing work Kyverno's admission hands to its background controller. */
  private readonly kyvernoQueue = new BackgroundQueue();
  private server?: Server;
  private ca?: ClusterCa;
  private controllers?: ControllerManager;
  private podLifecycle?: PodLifecycleController;
  private readonly sockets = new Set<Socket>();
  private readonly longRunning = new Set<() => void>();
  private saveTimer?: NodeJS.Timeout;
  private saving: Promise<void> = Promise.resolve();
  private journal?: Journal;
  private unsubscribePersistence: () => void = () => {};
  private services?: ClusterServices;
  url = '';

  constructor(options: ClusterOptions = {}) {
    this.options = options;
  }

  get caPem(): string {
    if (!this.ca) throw new Error('cluster not started');
    return this.ca.certPem;
  }

  get registry(): Registry {
    if (!this.services) throw new Error('cluster not started');
    return this.services.registry;
  }

  private async loadSecrets(): Promise<Secrets> {
    const dir = this.options.dir;
    if (dir) {
      try {
        return JSON.parse(await readFile(join(dir, 'cluster-secrets.json'), 'utf8')) as Secrets;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    const ca = await createCa();
    const secrets: Secrets = { ca: { certPem: ca.certPem, keyPem: ca.keyPem } };
    await this.saveSecrets(secrets);
    return secrets;
  }

  private async saveSecrets(secrets: Secrets): Promise<void> {
    const dir = this.options.dir;
    if (!dir) return;
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'cluster-secrets.json'), JSON.stringify(secrets), { mode: 0o600 });
  }

  async start(): Promise<this> {
    const secrets = await this.loadSecrets();
    this.ca = await loadCa(secrets.ca);
    const serving = await issueServingCert(this.ca);
    const saved = this.options.dir ? await loadState(this.options.dir) : undefined;
    this.store.restore(saved?.revision ?? 1, saved?.items ?? bootstrapObjects());
    if (this.options.quota) this.store.setQuota(this.options.quota);
    for (const crd of this.store.list('customresourcedefinitions.apiextensions.k8s.io'))
      this.catalog.setCustomResourceDefinition(crd);

    this.ensureBootstrapPolicy();
    this.audit = new AuditLog(this.options.dir ? join(this.options.dir, 'audit.log') : undefined);
    const rbac = this.options.authorization === 'always-allow' ? undefined : new RbacAuthorizer(this.store);
    const admission: AdmissionPlugin[] = [
      new ServiceAccountAdmission(this.store),
      new LimitRangerAdmission(this.store),
      new PriorityAdmission(this.store),
      new RuntimeClassAdmission(this.store),
      ...(rbac ? [new RbacEscalationCheck(rbac, this.store)] : []),
      new PodSecurityAdmission(this.store, this.options.podSecurityExemptions),
      new ValidatingAdmissionPolicyPlugin(this.store, this.catalog, () => rbac ?? alwaysAllow, this.audit),
      new CertificateAdmission(rbac ?? alwaysAllow),
      new KyvernoAdmission(this.store, this.catalog, (): Registry => registry, this.kyvernoQueue),
      new ValidatingPolicyAdmission(this.store, this.catalog, (): Registry => registry),
      ...(this.options.quota ? [new LabQuotaAdmission(this.store, this.options.quota)] : []),
      ...(this.options.admission ?? []),
      // ResourceQuota is the last plugin, so it counts what every other plugin let through.
      new ResourceQuotaAdmission(this.store),
    ];
    const registry: Registry = new Registry(this.store, admission);
    const tokens = new ServiceAccountTokens(this.store, secrets.serviceAccountKey, (pem) => {
      secrets.serviceAccountKey = pem;
      this.saving = this.saving
        .then(() => this.saveSecrets(secrets))
        .catch((error: unknown) => {
          console.error('embedded cluster: could not save the token signing key', error);
        });
    });
    const partial = {
      catalog: this.catalog,
      store: this.store,
      registry,
      tokens,
      openapi: new OpenApiCache(this.catalog, kubernetesVersion.gitVersion),
      network: new PodNetwork(this.store),
      version: kubernetesVersion,
      serverAddress: '',
      trackLongRunning: (stop: () => void) => {
        this.longRunning.add(stop);
        return () => this.longRunning.delete(stop);
      },
    };
    this.services = { ...partial, authorizer: rbac ?? alwaysAllow };
    const api = new ApiServer(this.services);

    this.server = createServer(
      {
        key: serving.keyPem,
        cert: serving.certPem,
        ca: [this.ca.certPem],
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        void api.handle(req, res);
      },
    );
    this.server.on('upgrade', (req, socket, head) => api.handleUpgrade(req, socket, head));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('tlsClientError', () => {});
    await this.listen(this.server, this.options.port ?? (await this.lastPort()) ?? 0);
    const { port } = this.server.address() as AddressInfo;
    this.url = `https://127.0.0.1:${port}`;
    this.services.serverAddress = `127.0.0.1:${port}`;

    const ctx = new ControllerContext(this.store, registry, this.catalog, nodeName);
    this.podLifecycle = new PodLifecycleController(ctx, this.options.podStartDelayMs);
    this.controllers = new ControllerManager([
      new CrdController(ctx),
      new ClusterRoleAggregationController(ctx),
      new KyvernoPolicyStatusController(ctx),
      new KyvernoCelPolicyStatusController(ctx),
      new KyvernoBackgroundController(ctx, this.kyvernoQueue),
      new ValidatingAdmissionPolicyStatusController(ctx),
      new NamespaceController(ctx),
      new ServiceAccountController(ctx),
      new RootCaPublisher(ctx, this.ca.certPem),
      new KubernetesServiceController(ctx),
      new CsrSigningController(ctx, this.ca),
      new ResourceQuotaController(ctx),
      new DisruptionController(ctx),
      new VolumeController(ctx),
      new TokenSecretController(ctx, tokens, this.ca.certPem),
      new DeploymentController(ctx),
      new ReplicaSetController(ctx),
      new DaemonSetController(ctx),
      new StatefulSetController(ctx),
      new JobController(ctx),
      this.podLifecycle,
      new EndpointsController(ctx),
      new EndpointSliceController(ctx),
      new GarbageCollector(ctx),
    ]);
    this.controllers.start(this.store);
    if (this.options.dir) {
      // Every write reaches the journal before the API answers; snapshots compact it.
      this.journal = new Journal(this.options.dir);
      this.journal.rotate(this.store.resourceVersion);
      const journal = this.journal;
      this.unsubscribePersistence = this.store.subscribe((event) => {
        journal.append(event);
        this.schedulePersist();
      });
      this.schedulePersist();
    }
    return this;
  }

  /** Creates the default objects that are missing: RBAC bootstrap policy, PriorityClasses, APF config. */
  private ensureBootstrapPolicy(): void {
    const now = rfc3339();
    this.store.seed(
      bootstrapPolicyTemplates().map(({ resource, object }) => {
        const metadata = { ...object.metadata, uid: newUid(), creationTimestamp: now };
        const copy: KubeObject = { ...object, metadata };
        // Conditions carry this cluster's start time; everything else below the top is shared.
        const conditions = (object.status as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions;
        if (conditions) copy.status = { conditions: conditions.map((c) => ({ ...c, lastTransitionTime: now })) };
        return { resource, object: copy };
      }),
    );
  }

  /** The port a persisted cluster used before, so its kubeconfigs stay valid after a restart. */
  private async lastPort(): Promise<number | undefined> {
    if (!this.options.dir) return undefined;
    try {
      const port = Number((await readFile(join(this.options.dir, 'port'), 'utf8')).trim());
      return Number.isInteger(port) && port > 0 ? port : undefined;
    } catch {
      return undefined;
    }
  }

  /** Listens on the wanted port, or any free one when it is taken. */
  private async listen(server: Server, port: number): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    try {
      server.listen(port, host);
      await once(server, 'listening');
    } catch (error) {
      if (port === 0 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      server.listen(0, host);
      await once(server, 'listening');
    }
    if (this.options.dir)
      await writeFile(join(this.options.dir, 'port'), String((server.address() as AddressInfo).port));
  }

  /** Resolves once controllers have caught up with every change so far. */
  async settle(): Promise<void> {
    await this.controllers?.idle();
  }

  /** A snapshot once writes pause for a moment, or at once when the journal has grown large. */
  private schedulePersist(): void {
    if ((this.journal?.size ?? 0) > journalSnapshotBytes) {
      if (this.saveTimer) clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      void this.persist();
      return;
    }
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.persist();
    }, snapshotDelayMs);
    this.saveTimer.unref();
  }

  /** Saves a snapshot of the cluster's objects now and drops the journal it replaces. */
  async persist(): Promise<void> {
    const dir = this.options.dir;
    if (!dir) return;
    // Stored objects are replaced, never changed in place, so the snapshot can share them.
    const revision = this.store.resourceVersion;
    const state = { version: 1 as const, revision, items: [...this.store.all()] };
    this.journal?.rotate(revision);
    const journal = this.journal;
    this.saving = this.saving
      .then(() => saveState(dir, state))
      .then(() => journal?.dropBefore(revision))
      .catch((error: unknown) => console.error('embedded cluster: could not save state', error));
    await this.saving;
  }

  /** Client credentials for a user; kubeconfigs always carry them. */
  async credentials(user = 'kubernetes-admin', groups: string[] = [systemMasters]): Promise<Credentials> {
    if (!this.ca) throw new Error('cluster not started');
    const pair = await issueClientCert(this.ca, user, groups);
    return { user, groups, ...pair };
  }

  async kubeconfig(
    user = 'kubernetes-admin',
    groups: string[] = [systemMasters],
    clusterName = 'embedded',
  ): Promise<string> {
    return kubeconfigYaml(clusterName, this.url, this.caPem, [await this.credentials(user, groups)]);
  }

  /** A kubeconfig for the admin plus one context per persona ("jane@embedded"). */
  async kubeconfigWithPersonas(personas: Persona[], clusterName = 'embedded'): Promise<string> {
    const users = [await this.credentials()];
    for (const p of personas) users.push(await this.credentials(p.name, p.groups ?? []));
    return kubeconfigYaml(clusterName, this.url, this.caPem, users);
  }

  async stop(): Promise<void> {
    this.controllers?.stop();
    this.podLifecycle?.stop();
    this.unsubscribePersistence();
    for (const stop of [...this.longRunning]) stop();
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    await this.persist();
    this.journal?.close();
    this.journal = undefined;
    if (this.server) {
      const closed = once(this.server, 'close');
      this.server.close();
      for (const socket of this.sockets) socket.destroy();
      await closed;
      this.server = undefined;
    }
  }
}
