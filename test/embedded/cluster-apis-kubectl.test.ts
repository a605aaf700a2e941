import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubectlHarness, kubectlBinaries } from '../helpers/kubectl.ts';

/**
 * PriorityClass with Priority admission, autoscaling/v2 HPA, flowcontrol.apiserver.k8s.io/v1
 * and events.k8s.io/v1 as a 1.34 cluster serves them. Tables follow
 * pkg/printers/internalversion/printers.go; texts pkg/apis/scheduling/validation/validation.go
 * and plugin/pkg/admission/priority/admission.go.
 */
const binaries = kubectlBinaries(['1.31', '1.33']);

const age = (text: string) => text.replace(/ {2,}\d+s( {2,}|\n)/g, '  <age>$1').replace(/ +/g, ' ');

describe.skipIf(binaries.length === 0).each(binaries)(
  'scheduling, autoscaling, APF and events APIs with kubectl $version',
  ({ path }) => {
    const k = new KubectlHarness(path);
    beforeAll(() => k.start().then(() => undefined), 60_000);
    afterAll(() => k.stop());

    it('serves the system PriorityClasses', async () => {
      expect(age((await k.run(['get', 'priorityclasses'])).stdout)).toBe(
        [
          'NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY',
          'system-cluster-critical 2000000000 false <age> PreemptLowerPriority',
          'system-node-critical 2000001000 false <age> PreemptLowerPriority',
          '',
        ].join('\n'),
      );
    });

    it('validates PriorityClasses and admits one global default', async () => {
      const tooBig = await k.run(['create', 'priorityclass', 'too-big', '--value=2000000001']);
      expect(tooBig.stderr).toBe(
        'error: failed to create priorityclass: PriorityClass.scheduling.k8s.io "too-big" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000\n',
      );
      const reserved = await k.run(['create', 'priorityclass', 'system-mine', '--value=5']);
      expect(reserved.stderr).toBe(
        'error: failed to create priorityclass: PriorityClass.scheduling.k8s.io "system-mine" is invalid: metadata.name: Forbidden: priority class names with \'system-\' prefix are reserved for system use only. error: system-mine is not a known system priority class\n',
      );
      expect((await k.run(['create', 'priorityclass', 'high', '--value=1000', '--global-default'])).stdout).toBe(
        'priorityclass.scheduling.k8s.io/high created\n',
      );
      const second = await k.run(['create', 'priorityclass', 'other', '--value=10', '--global-default']);
      expect(second.stderr).toBe(
        'error: failed to create priorityclass: priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass high is already marked as default. Only one default can exist\n',
      );
    });

    it('gives pods the priority of their class, or of the global default', async () => {
      await k.run(['create', 'priorityclass', 'low', '--value=10', '--preemption-policy=Never']);
      await k.run(['run', 'named', '--image=nginx', '--overrides={"spec":{"priorityClassName":"low"}}']);
      await k.run(['run', 'unnamed', '--image=nginx']);
      const show = async (pod: string) =>
        (
          await k.run([
            'get',
            'pod',
            pod,
            '-o',
            'jsonpath={.spec.priorityClassName} {.spec.priority} {.spec.preemptionPolicy}',
          ])
        ).stdout;
      expect(await show('named')).toBe('low 10 Never');
      expect(await show('unnamed')).toBe('high 1000 PreemptLowerPriority');
      const missing = await k.run([
        'run',
        'lost',
        '--image=nginx',
        '--overrides={"spec":{"priorityClassName":"nope"}}',
      ]);
      expect(missing.stderr).toBe(
        'Error from server (Forbidden): pods "lost" is forbidden: no PriorityClass with name nope was found\n',
      );
      // Later updates keep the computed priority.
      expect((await k.run(['label', 'pod', 'named', 'tier=batch'])).stdout).toBe('pod/named labeled\n');
      await k.run(['delete', 'priorityclass', 'high']);
    });

    it('serves autoscaling/v2 HorizontalPodAutoscalers (no metrics: targets stay <unknown>)', async () => {
      await k.run(['create', 'deployment', 'web', '--image=nginx']);
      const hpa = await k.file(
        'hpa.yaml',
        `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
`,
      );
      expect((await k.run(['apply', '-f', hpa])).stdout).toBe('horizontalpodautoscaler.autoscaling/web created\n');
      expect(age((await k.run(['get', 'hpa'])).stdout)).toBe(
        'NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE\nweb Deployment/web cpu: <unknown>/80% 2 5 0 <age>\n',
      );
      const bad = await k.file(
        'bad-hpa.yaml',
        'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: bad}\nspec:\n  scaleTargetRef: {kind: Deployment, name: web}\n  minReplicas: 6\n  maxReplicas: 5\n',
      );
      expect((await k.run(['apply', '-f', bad])).stderr).toBe(
        `The HorizontalPodAutoscaler "bad" is invalid: spec.minReplicas: Invalid value: 6: must be less than or equal to maxReplicas\n`,
      );
    });

    it('kubectl autoscale writes autoscaling/v1, stored and listed as v2 (pkg/apis/autoscaling/v1/conversion.go)', async () => {
      await k.run(['create', 'deployment', 'api', '--image=nginx']);
      expect((await k.run(['autoscale', 'deployment', 'api', '--min=2', '--max=4', '--cpu-percent=70'])).stdout).toBe(
        'horizontalpodautoscaler.autoscaling/api autoscaled\n',
      );
      expect(age((await k.run(['get', 'hpa', 'api'])).stdout)).toBe(
        'NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE\napi Deployment/api cpu: <unknown>/70% 2 4 0 <age>\n',
      );
      const v1 = JSON.parse(
        (await k.run(['get', '--raw', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/api'])).stdout,
      ) as { apiVersion: string; spec: { targetCPUUtilizationPercentage?: number; metrics?: unknown } };
      expect([v1.apiVersion, v1.spec.targetCPUUtilizationPercentage, v1.spec.metrics]).toEqual([
        'autoscaling/v1',
        70,
        undefined,
      ]);
      const v2 = await k.run([
        'get',
        'hpa',
        'api',
        '-o',
        'jsonpath={.apiVersion} {.spec.behavior.scaleDown.stabilizationWindowSeconds}',
      ]);
      expect(v2.stdout).toBe('autoscaling/v2 300');
    });

    it('stores webhook configurations, never calling them (pkg/apis/admissionregistration/validation)', async () => {
      const hooks = await k.file(
        'webhook.yaml',
        `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: audit-hook}
webhooks:
- name: audit.example.com
  clientConfig: {url: "https://audit.example.com/validate"}
  rules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  sideEffects: None
  admissionReviewVersions: [v1]
`,
      );
      expect((await k.run(['apply', '-f', hooks])).stdout).toBe(
        'validatingwebhookconfiguration.admissionregistration.k8s.io/audit-hook created\n',
      );
      expect(age((await k.run(['get', 'validatingwebhookconfigurations'])).stdout)).toBe(
        'NAME WEBHOOKS AGE\naudit-hook 1 <age>\n',
      );
      const shown = await k.run([
        'get',
        'validatingwebhookconfiguration',
        'audit-hook',
        '-o',
        'jsonpath={.webhooks[0].failurePolicy} {.webhooks[0].timeoutSeconds} {.webhooks[0].rules[0].scope}',
      ]);
      expect(shown.stdout).toBe('Fail 10 *');
      // Pods are still admitted: the embedded cluster calls no webhook.
      expect((await k.run(['run', 'hooked', '--image=nginx'])).stdout).toBe('pod/hooked created\n');
      const bad = await k.file(
        'bad-webhook.yaml',
        'apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {name: bad}\nwebhooks:\n- name: m.example.com\n  clientConfig: {url: "https://m.example.com"}\n  admissionReviewVersions: [v1]\n',
      );
      expect((await k.run(['apply', '-f', bad])).stderr).toBe(
        'The MutatingWebhookConfiguration "bad" is invalid: webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun\n',
      );
    });

    it("serves APF's mandatory FlowSchemas and priority levels (no request is throttled)", async () => {
      expect(age((await k.run(['get', 'flowschemas'])).stdout)).toBe(
        [
          'NAME PRIORITYLEVEL MATCHINGPRECEDENCE DISTINGUISHERMETHOD AGE MISSINGPL',
          'catch-all catch-all 10000 ByUser <age> False',
          'exempt exempt 1 <none> <age> False',
          '',
        ].join('\n'),
      );
      expect(age((await k.run(['get', 'prioritylevelconfigurations'])).stdout)).toBe(
        [
          'NAME TYPE NOMINALCONCURRENCYSHARES QUEUES HANDSIZE QUEUELENGTHLIMIT AGE',
          'catch-all Limited 5 <none> <none> <none> <age>',
          'exempt Exempt <none> <none> <none> <none> <age>',
          '',
        ].join('\n'),
      );
    });

    it('serves events.k8s.io/v1 Events with their required fields', async () => {
      const event = await k.file(
        'event.yaml',
        `apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: audit-1}
eventTime: "2026-01-01T00:00:00.000000Z"
reportingController: example.com/auditor
reportingInstance: auditor-1
action: Review
reason: Reviewed
type: Normal
note: checked the pod
regarding: {kind: Pod, name: named, namespace: default}
`,
      );
      expect((await k.run(['create', '-f', event])).stdout).toBe('event.events.k8s.io/audit-1 created\n');
      const shown = await k.run(['get', 'events.events.k8s.io', 'audit-1', '-o', 'jsonpath={.regarding.name} {.note}']);
      expect(shown.stdout).toBe('named checked the pod');
      const incomplete = await k.file(
        'event-bad.yaml',
        'apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {name: bad}\nreason: X\n',
      );
      expect((await k.run(['create', '-f', incomplete])).stderr).toBe(
        `The Event "bad" is invalid: \n* eventTime: Required value\n* reportingController: Required value\n* reportingInstance: Required value\n* action: Required value\n`,
      );
    });
  },
);
