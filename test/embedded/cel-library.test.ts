import { describe, expect, it } from 'vitest';
import { CelEnvironment } from '../../server/cluster/embedded/cel/environment.ts';
import { fromCel, toCel } from '../../server/cluster/embedded/cel/values.ts';
import { registerKyvernoLibraries } from '../../server/cluster/embedded/admission/kyverno/cel/libraries.ts';

const env = new CelEnvironment(['object']);
const object = toCel({
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 3,
    containers: [
      { name: 'a', image: 'nginx:1.27', resources: { limits: { memory: '1Gi', cpu: '500m' } } },
      { name: 'b', image: 'busybox:latest' },
    ],
  },
});

function run(expression: string): unknown {
  const compiled = env.compile(expression);
  if (!compiled.program) throw new Error(compiled.error);
  return fromCel(compiled.program.run({ object }).value);
}

describe('CEL with the Kubernetes libraries', () => {
  it.each([
    // core language, macros, optional types, cel.bind
    ['object.spec.replicas <= 5', true],
    ["object.spec.containers.all(c, !c.image.endsWith(':latest'))", false],
    ["object.spec.containers.exists_one(c, c.image.startsWith('nginx'))", true],
    ['object.spec.containers.map(c, c.name)', ['a', 'b']],
    ['object.spec.containers.filter(c, has(c.resources)).size()', 1],
    ['object.spec.?securityContext.?runAsNonRoot.orValue(false)', false],
    ["object.metadata.?labels[?'app'].orValue('')", 'web'],
    ['cel.bind(r, object.spec.replicas, r * r)', 9],
    // lists
    ['[1, 2, 3].isSorted()', true],
    ['[3, 1, 2].sum()', 6],
    ['[3, 1, 2].max()', 3],
    ['[3, 1, 2].min()', 1],
    ['[1, 2, 1].lastIndexOf(1)', 2],
    ['[[1], [2, 3]].flatten()', [1, 2, 3]],
    ['[1, 1, 2].distinct()', [1, 2]],
    ['sets.contains([1, 2, 3], [2, 3])', true],
    ['sets.intersects([1], [2])', false],
    // strings and regex
    ["'Hello'.lowerAscii()", 'hello'],
    ["'a,b,c'.split(',')", ['a', 'b', 'c']],
    ["['a', 'b'].join('-')", 'a-b'],
    ["'abc'.charAt(1)", 'b'],
    ["'aaa'.replace('a', 'b', 2)", 'bba'],
    ["'registry.io/app:1.0'.find('[0-9]+\\\\.[0-9]+')", '1.0'],
    ["'a1b22'.findAll('[0-9]+')", ['1', '22']],
    ["'%s wants %d replicas'.format(['web', 3])", 'web wants 3 replicas'],
    // quantity
    ["quantity(object.spec.containers[0].resources.limits.memory).isGreaterThan(quantity('512Mi'))", true],
    ["quantity('1Gi') == quantity('1024Mi')", true],
    ["quantity('500m').isInteger()", false],
    ["quantity('1.5Gi').asInteger()", 1610612736],
    ["quantity('1').add(quantity('500m')).asApproximateFloat()", 1.5],
    ["quantity('2').sub(1).compareTo(quantity('1'))", 0],
    ["isQuantity('1.5.5')", false],
    // ip, cidr, url
    ["ip('10.0.0.1').family()", 4],
    ["ip('::1').isLoopback()", true],
    ["ip.isCanonical('2001:db8::1')", true],
    ["ip.isCanonical('2001:db8:0::1')", false],
    ["cidr('10.0.0.0/8').containsIP('10.1.2.3')", true],
    ["cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')", true],
    ["cidr('192.168.1.7/24').masked() == cidr('192.168.1.0/24')", true],
    ["isCIDR('10.0.0.0/33')", false],
    ["url('https://example.com:8443/a/b?x=1').getHost()", 'example.com:8443'],
    ["url('https://example.com:8443/a/b?x=1').getPort()", '8443'],
    ["url('https://example.com/a?x=1&x=2').getQuery()", { x: ['1', '2'] }],
    ["isURL('not a url')", false],
    // format and semver
    ["format.dns1123Label().validate('web').hasValue()", false],
    ["format.dns1123Label().validate('Web_1').value().size()", 1],
    ["format.named('dns1035Label').hasValue()", true],
    ["semver('1.2.3').isLessThan(semver('1.10.0'))", true],
    ['math.greatest([1, 7, 3])', 7],
    ["base64.encode(b'hi')", 'aGk='],
  ])('%s', (expression, expected) => {
    expect(run(expression)).toEqual(expected);
  });

  it('reports compile errors as cel-go prints them', () => {
    expect(env.compile('object.spec.replicas <').error).toMatch(
      /^ERROR: <input>:1:\d+: .+\n \| object\.spec\.replicas <\n \| \.+\^$/,
    );
    expect(env.compile('params.x == 1').error).toContain("undeclared reference to 'params'");
  });

  it('reports runtime errors with cel-go wording', () => {
    expect(() => run('object.spec.missing == 1')).toThrow('no such key: missing');
    expect(() => run("quantity('abc')")).toThrow(/quantities must match the regular expression/);
    expect(() => run("ip('10.0.0.256')")).toThrow(/parse error during conversion from string/);
  });

  it('stops an expression that passes the per-call cost limit', () => {
    expect(() => run('lists.range(2000).all(i, lists.range(2000).all(j, i >= 0))')).toThrow(
      'operation cancelled: actual cost limit exceeded',
    );
    expect(run('lists.range(100).all(i, lists.range(100).all(j, i >= 0))')).toBe(true);
  });
});

describe("Kyverno's image() library, as go-containerregistry's name.ParseReference parses", () => {
  const kyverno = new CelEnvironment(['object'], [registerKyvernoLibraries]);
  const evaluate = (expression: string): unknown => {
    const compiled = kyverno.compile(expression);
    if (!compiled.program) throw new Error(compiled.error);
    return fromCel(compiled.program.run({ object }).value);
  };
  const digest = `sha256:${'a'.repeat(64)}`;
  it.each([
    // name.NewRegistry rewrites docker.io (and the empty registry) to index.docker.io
    ['image("nginx").registry()', 'index.docker.io'],
    ['image("docker.io/library/nginx:1.27").registry()', 'index.docker.io'],
    ['image("nginx").repository()', 'library/nginx'],
    ['image("registry.example.com:5000/shop/api:1.4").registry()', 'registry.example.com:5000'],
    ['image("registry.example.com/shop/api").repository()', 'shop/api'],
    // a reference without a tag gets the default tag; one with a digest is a name.Digest, with no tag
    ['image("registry.example.com/app").tag()', 'latest'],
    [`image("nginx:1.27@${digest}").tag()`, ''],
    [`image("nginx:1.27@${digest}").identifier()`, digest],
    [`image("nginx@${digest}").containsDigest()`, true],
    ['image("nginx:1.27").identifier()', '1.27'],
  ])('%s is %j', (expression, expected) => {
    expect(evaluate(expression)).toEqual(expected);
  });
});
