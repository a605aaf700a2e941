import { describe, expect, it } from 'vitest';
import { translator } from '../../src/contracts/translator.ts';
import reachability, { judge } from '../../server/grading/checks/reachability.ts';
import type { PairVerdict, Reach } from '../../server/grading/reachability.ts';
import { NetworkPolicyEngine, type NetworkPolicy, type PodPeer } from '../../server/netpol/engine.ts';

const text = translator(reachability.messages);
type Key = Parameters<typeof text>[1];
const sayIn = (locale: 'es' | 'en') => (key: Key, params?: Record<string, string | number>) =>
  text(locale, key, params);

const pod = (name: string, app: string, ip: string): PodPeer => ({
  kind: 'pod',
  namespace: 'shop',
  name,
  labels: { app },
  ips: [ip],
  ports: [{ containerPort: 80, protocol: 'TCP' }],
});
const front = pod('front', 'front', '10.244.0.10');
const api = pod('api', 'api', '10.244.0.11');
const engine = new NetworkPolicyEngine({
  namespaces: [{ name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } }],
  policies: [
    {
      metadata: { name: 'api-from-front', namespace: 'shop' },
      spec: {
        podSelector: { matchLabels: { app: 'api' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'front' } } }], ports: [{ port: 80 }] }],
      },
    } as NetworkPolicy,
  ],
});
const pair = (source: PodPeer, destination: PodPeer, port: number): PairVerdict => ({
  source,
  destination,
  label: `${destination.namespace}/${destination.name}`,
  port,
  verdict: engine.check(source, destination, 'TCP', port),
});

/** Every kind of answer the reachability check can give. */
const reaches: Reach[] = [
  { kind: 'no-source', namespace: 'shop', source: { pod: 'shop/front' } },
  { kind: 'no-source', namespace: 'shop', source: { selector: { app: 'front' } } },
  { kind: 'no-destination', missing: { reason: 'service', service: 'shop/api' } },
  { kind: 'no-destination', missing: { reason: 'service-port', service: 'shop/api', port: 'TCP 8080' } },
  { kind: 'no-destination', missing: { reason: 'no-selector', service: 'shop/api' } },
  { kind: 'no-destination', missing: { reason: 'no-ready-pods', service: 'shop/api' } },
  { kind: 'no-destination', missing: { reason: 'pod', pod: 'shop/api' } },
  { kind: 'no-destination', missing: { reason: 'cluster-name', host: 'example.internal' } },
  { kind: 'no-destination', missing: { reason: 'none' } },
  { kind: 'dns-blocked', source: front, policies: ['deny-egress'] },
  { kind: 'checked', pairs: [pair(front, api, 80)] },
  { kind: 'checked', pairs: [pair(api, front, 80)] },
  { kind: 'checked', pairs: [pair(front, api, 9090)] },
];

// What the runner's English used to leak into Spanish feedback, and English words in general
// ("Service", "Pod", "Ingress" and "Egress" are Kubernetes names and stay).
const english =
  /\b(the|of|with|behind|has|have|rule|ready|running|name|cluster name|service|pods with|allows?|reaches|cannot|should|there is|no destination)\b/;

describe('reachability feedback in Spanish', () => {
  const messages = (locale: 'es' | 'en') =>
    reaches.flatMap((reach) =>
      (['allowed', 'blocked'] as const).map(
        (expect) =>
          judge(
            { from: { pod: 'front' }, to: { service: 'api', namespace: 'shop' }, port: 80, expect },
            reach,
            'TCP',
            sayIn(locale),
          ).message,
      ),
    );

  it('contains no English phrase, for every kind of answer', () => {
    const spanish = messages('es');
    expect(spanish.length).toBe(reaches.length * 2);
    for (const message of spanish) {
      expect(message).not.toMatch(english);
      expect(message).not.toMatch(/\{\w+\}/);
    }
    expect(spanish).toContain('No hay a qué conectar: el Service shop/api no tiene el puerto TCP 8080.');
    expect(spanish).toContain(
      'No hay ningún pod en ejecución (pods con las etiquetas {"app":"front"}) en el namespace shop desde el que enviar tráfico.',
    );
    expect(spanish.some((m) => m.includes('la regla 1 de Ingress de shop/api-from-front permite la entrada'))).toBe(
      true,
    );
  });

  it('says the same in English, with the rule numbered the same way', () => {
    const english = messages('en');
    expect(english).toContain('Nothing to connect to: Service shop/api has no port TCP 8080.');
    expect(english.some((m) => m.includes('shop/api-from-front (ingress rule 1) allows the ingress'))).toBe(true);
    for (const message of english) expect(message).not.toMatch(/\{\w+\}/);
  });
});
