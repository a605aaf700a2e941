import { z } from 'zod';
import { protocols, type Protocol } from '../../netpol/connections.ts';
import { defineCheck, type Say } from '../plugin.ts';
import { describeRule, evaluateReach, type MissingDestination, type PairVerdict, type Reach } from '../reachability.ts';
import { sendTraffic } from '../reachability-traffic.ts';

const name = z.string().min(1);
const labels = z.record(z.string(), z.string());

/**
 * Whether a pod can open a connection to a pod, Service, DNS name or IP on a port, as the
 * cluster's NetworkPolicies decide (evaluated by the shared engine over the cluster's objects).
 * Feedback names the policy whose missing rule blocks, or the rule that lets traffic through.
 */
export default defineCheck({
  kind: 'reachability',
  schema: z.object({
    kind: z.literal('reachability'),
    from: z.union([
      z.object({ pod: name, namespace: name.optional() }).strict(),
      z.object({ selector: labels, namespace: name.optional() }).strict(),
    ]),
    to: z.union([
      z.object({ pod: name, namespace: name.optional() }).strict(),
      z.object({ service: name, namespace: name.optional() }).strict(),
      z.object({ host: name }).strict(),
      z.object({ ip: z.union([z.ipv4(), z.ipv6()]) }).strict(),
    ]),
    port: z.number().int().min(1).max(65535),
    protocol: z.enum(protocols).optional(),
    expect: z.enum(['allowed', 'blocked']),
  }),
  messages: {
    es: {
      noSource: 'No hay ningún pod en ejecución ({what}) en el namespace {namespace} desde el que enviar tráfico.',
      sourcePod: 'el pod {pod}',
      sourceSelector: 'pods con las etiquetas {labels}',
      noDestination: 'No hay a qué conectar: {what}.',
      missingService: 'no existe el Service {service}',
      missingServicePort: 'el Service {service} no tiene el puerto {port}',
      missingSelector: 'el Service {service} no tiene selector, así que no hay pods detrás',
      missingReadyPods: 'no hay pods listos (Ready) detrás del Service {service}',
      missingPod: 'no hay ningún pod {pod} en ejecución',
      missingClusterName: '{host} no es un nombre del clúster',
      missingAny: 'falta el destino (un pod, un Service, un nombre o una IP)',
      passAllowed: '{from} llega a {to} por {port}.',
      passBlocked: '{from} no llega a {to} por {port}: {why}.',
      wantAllowed: '{from} no llega a {to} por {port}, y debería: {why}.',
      wantBlocked: '{from} todavía llega a {to} por {port}, y no debería: {why}.',
      isolated:
        'las políticas de {direction} que seleccionan {subject} ({policies}) no tienen ninguna regla que lo permita',
      dns: 'la resolución de nombres falla: las políticas de Egress de {subject} ({policies}) no permiten UDP 53 hacia CoreDNS (kube-system, k8s-app=kube-dns)',
      openIngress: 'ninguna NetworkPolicy selecciona {subject} para Ingress, así que acepta todo',
      openEgress: 'ninguna NetworkPolicy selecciona {subject} para Egress, así que puede salir a cualquier destino',
      ruleIngress: 'la regla {index} de Ingress de {policy} permite la entrada',
      ruleEgress: 'la regla {index} de Egress de {policy} permite la salida',
      traffic:
        'El tráfico real de {from} a {to} por {port} {observed}, al contrario de lo que dicen las NetworkPolicies: ¿aplica el CNI las NetworkPolicies? Salida de nc: {output}',
      reached: 'llegó',
      dropped: 'no llegó',
      probeError: 'No se pudo enviar tráfico de prueba desde {from}: {error}',
    },
    en: {
      noSource: 'There is no running pod ({what}) in namespace {namespace} to send traffic from.',
      sourcePod: 'pod {pod}',
      sourceSelector: 'pods labelled {labels}',
      noDestination: 'Nothing to connect to: {what}.',
      missingService: 'there is no Service {service}',
      missingServicePort: 'Service {service} has no port {port}',
      missingSelector: 'Service {service} has no selector, so no pods are behind it',
      missingReadyPods: 'no ready pods are behind Service {service}',
      missingPod: 'there is no running pod {pod}',
      missingClusterName: '{host} is not a cluster name',
      missingAny: 'no destination is given (a pod, a Service, a name or an IP)',
      passAllowed: '{from} reaches {to} on {port}.',
      passBlocked: '{from} cannot reach {to} on {port}: {why}.',
      wantAllowed: '{from} cannot reach {to} on {port}, but should: {why}.',
      wantBlocked: '{from} still reaches {to} on {port}, but should not: {why}.',
      isolated: 'the {direction} policies that select {subject} ({policies}) have no rule that allows it',
      dns: 'name resolution fails: the Egress policies of {subject} ({policies}) allow no UDP 53 to CoreDNS (kube-system, k8s-app=kube-dns)',
      openIngress: 'no NetworkPolicy selects {subject} for Ingress, so it accepts everything',
      openEgress: 'no NetworkPolicy selects {subject} for Egress, so it may connect anywhere',
      ruleIngress: '{policy} (ingress rule {index}) allows the ingress',
      ruleEgress: '{policy} (egress rule {index}) allows the egress',
      traffic:
        'Real traffic from {from} to {to} on {port} {observed}, the opposite of what the NetworkPolicies say: is the CNI enforcing NetworkPolicy? nc said: {output}',
      reached: 'got through',
      dropped: 'did not get through',
      probeError: 'Could not send test traffic from {from}: {error}',
    },
  },
  // Policies apply at once in the engine, but pods and endpoints converge: retry until then.
  eventually: true,
  async run(check, ctx, say) {
    const protocol: Protocol = check.protocol ?? 'TCP';
    const reach = await evaluateReach(ctx.api, check.from, check.to, check.port, protocol);
    const verdict = judge(check, reach, protocol, say);
    // On a real cluster the engine explains, but real traffic decides.
    if (ctx.backend !== 'kind' || (reach.kind !== 'checked' && reach.kind !== 'dns-blocked')) return verdict;
    const source = reach.kind === 'checked' ? reach.pairs[0]!.source : reach.source;
    const to = check.to as Record<string, string | undefined>;
    const firstIp = reach.kind === 'checked' ? reach.pairs[0]!.destination : undefined;
    const host =
      to.host ??
      to.ip ??
      (to.service
        ? `${to.service}.${to.namespace ?? source.namespace}.svc.cluster.local`
        : firstIp?.kind === 'pod'
          ? firstIp.ips[0]!
          : (firstIp?.ip ?? ''));
    const from = `${source.namespace}/${source.name}`;
    let traffic;
    try {
      traffic = await sendTraffic(ctx.api, ctx.endpoint, source, host, check.port, protocol, 3, ctx.signal);
    } catch (error) {
      return {
        passed: false,
        message: say('probeError', { from, error: error instanceof Error ? error.message : String(error) }),
      };
    }
    if (traffic.outcome === 'error')
      return { passed: false, message: say('probeError', { from, error: traffic.output }) };
    const reached = traffic.outcome === 'connected' || traffic.outcome === 'refused';
    const engineSaysReached = check.expect === 'allowed' ? verdict.passed : !verdict.passed;
    if (reached === engineSaysReached) return verdict;
    return {
      passed: reached === (check.expect === 'allowed'),
      message: say('traffic', {
        from,
        to: host,
        port: `${protocol} ${check.port}`,
        observed: say(reached ? 'reached' : 'dropped'),
        output: traffic.output || '-',
      }),
    };
  },
});

type Keys =
  | 'noSource'
  | 'sourcePod'
  | 'sourceSelector'
  | 'noDestination'
  | 'missingService'
  | 'missingServicePort'
  | 'missingSelector'
  | 'missingReadyPods'
  | 'missingPod'
  | 'missingClusterName'
  | 'missingAny'
  | 'passAllowed'
  | 'passBlocked'
  | 'wantAllowed'
  | 'wantBlocked'
  | 'isolated'
  | 'dns'
  | 'openIngress'
  | 'openEgress'
  | 'ruleIngress'
  | 'ruleEgress'
  | 'traffic'
  | 'reached'
  | 'dropped'
  | 'probeError';

const podName = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

function whyBlocked(pair: PairVerdict, say: Say<Keys>): string {
  const egress = !pair.verdict.egress.permits;
  const result = egress ? pair.verdict.egress : pair.verdict.ingress;
  return say('isolated', {
    direction: egress ? 'Egress' : 'Ingress',
    subject: egress ? podName(pair.source) : pair.label,
    policies: result.policies.join(', '),
  });
}

function whyAllowed(pair: PairVerdict, say: Say<Keys>): string {
  const { egress, ingress } = pair.verdict;
  const parts = [
    ingress.policies.length
      ? say('ruleIngress', describeRule(ingress.allowedBy))
      : pair.destination.kind === 'pod'
        ? say('openIngress', { subject: pair.label })
        : '',
    egress.policies.length
      ? say('ruleEgress', describeRule(egress.allowedBy))
      : say('openEgress', { subject: podName(pair.source) }),
  ];
  return parts.filter(Boolean).join('; ');
}

function missingDestination(missing: MissingDestination, say: Say<Keys>): string {
  switch (missing.reason) {
    case 'service':
      return say('missingService', missing);
    case 'service-port':
      return say('missingServicePort', missing);
    case 'no-selector':
      return say('missingSelector', missing);
    case 'no-ready-pods':
      return say('missingReadyPods', missing);
    case 'pod':
      return say('missingPod', missing);
    case 'cluster-name':
      return say('missingClusterName', missing);
    case 'none':
      return say('missingAny');
  }
}

function describeTo(to: Record<string, string | undefined>): string {
  if (to.service) return `Service ${to.namespace ? `${to.namespace}/` : ''}${to.service}`;
  if (to.pod) return `Pod ${to.namespace ? `${to.namespace}/` : ''}${to.pod}`;
  return String(to.host ?? to.ip ?? '');
}

export function judge(
  check: { from: Record<string, unknown>; to: Record<string, string | undefined>; port: number; expect: string },
  reach: Reach,
  protocol: Protocol,
  say: Say<Keys>,
): { passed: boolean; message: string } {
  if (reach.kind === 'no-source') {
    const what =
      'pod' in reach.source
        ? say('sourcePod', { pod: reach.source.pod })
        : say('sourceSelector', { labels: JSON.stringify(reach.source.selector) });
    return { passed: false, message: say('noSource', { what, namespace: reach.namespace }) };
  }
  if (reach.kind === 'no-destination')
    return { passed: false, message: say('noDestination', { what: missingDestination(reach.missing, say) }) };
  const port = `${protocol} ${check.port}`;
  const to = describeTo(check.to);
  if (reach.kind === 'dns-blocked') {
    const why = say('dns', { subject: podName(reach.source), policies: reach.policies.join(', ') });
    const params = { from: podName(reach.source), to, port, why };
    return check.expect === 'blocked'
      ? { passed: true, message: say('passBlocked', params) }
      : { passed: false, message: say('wantAllowed', params) };
  }
  // Every source pod and every backend counts: one open path is a leak, one closed path an outage.
  const blocked = reach.pairs.find((p) => !p.verdict.allowed);
  const allowed = reach.pairs.find((p) => p.verdict.allowed);
  if (check.expect === 'allowed') {
    if (!blocked) return { passed: true, message: say('passAllowed', { from: podName(allowed!.source), to, port }) };
    return {
      passed: false,
      message: say('wantAllowed', { from: podName(blocked.source), to, port, why: whyBlocked(blocked, say) }),
    };
  }
  if (!allowed)
    return {
      passed: true,
      message: say('passBlocked', { from: podName(blocked!.source), to, port, why: whyBlocked(blocked!, say) }),
    };
  return {
    passed: false,
    message: say('wantBlocked', { from: podName(allowed.source), to, port, why: whyAllowed(allowed, say) }),
  };
}
