// The architecture rules, checked by test/foundation/architecture.test.ts (and `npm run arch`).

/**
 * The embedded cluster's layers, bottom first (the k8s.io/apiserver shape): a folder may import
 * its own layer and the ones below, never one above. Its root files (cluster.ts, the
 * composition root, and kubeconfig.ts) sit on top. A new folder must be given a layer here.
 */
export const embeddedLayers = [
  ['api'],
  ['storage'],
  ['patch'],
  ['registry', 'authentication', 'authorization', 'pki', 'audit', 'cel'],
  ['admission', 'runtime'],
  ['endpoints'],
  ['controllers'],
];

const embedded = '^server/cluster/embedded/';
const folders = (names) => `${embedded}(${names.join('|')})/`;

const layerRules = embeddedLayers.slice(0, -1).map((layer, i) => {
  const above = embeddedLayers.slice(i + 1).flat();
  return {
    name: `embedded-layer-${layer.join('-')}`,
    comment: `${layer.join(', ')} may not import a higher layer (${above.join(', ')}) or the cluster's root files`,
    severity: 'error',
    from: { path: folders(layer) },
    to: { path: [folders(above), `${embedded}[^/]+\\.ts$`] },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'modules may not import each other in a circle',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'embedded-folder-has-a-layer',
      comment: 'every folder of the embedded cluster is given a layer in .dependency-cruiser.mjs',
      severity: 'error',
      from: {},
      to: { path: `${embedded}[^/]+/`, pathNot: folders(embeddedLayers.flat()) },
    },
    {
      name: 'server-imports-only-contracts-from-src',
      comment: 'the server imports nothing from src/ but the contracts folder',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^src/', pathNot: '^src/contracts/' },
    },
    {
      name: 'site-never-imports-server',
      comment: 'the site (and the browser) import nothing from server/: shared code lives in src/contracts/',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^server/' },
    },
    {
      name: 'contracts-are-self-contained',
      comment: 'src/contracts/ imports only itself and npm packages, so both sides can use it',
      severity: 'error',
      from: { path: '^src/contracts/' },
      to: { path: '^(src|server)/', pathNot: '^src/contracts/' },
    },
    {
      name: 'labs-catalogue-below-lab-server',
      comment: 'server/labs/ (the lab catalogue) does not import the lab server (server/lab/)',
      severity: 'error',
      from: { path: '^server/labs/' },
      to: { path: '^server/lab/' },
    },
    {
      name: 'netpol-is-pure',
      comment:
        'server/netpol/ (the NetworkPolicy engine shared by the embedded cluster and the graders) imports only itself',
      severity: 'error',
      from: { path: '^server/netpol/' },
      to: { path: '^(server|src)/', pathNot: '^server/netpol/' },
    },
    {
      name: 'grading-below-lab-server',
      comment: 'graders get what they need in their context; they do not import the lab server or the embedded cluster',
      severity: 'error',
      from: { path: '^server/grading/' },
      to: { path: '^server/(lab|labs|cluster)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.astro)/' },
    // Type-only imports are dependencies too: they make cycles and upward arrows just the same.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.json'] },
  },
};
