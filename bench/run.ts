import { benchEmbeddedCluster } from './embedded-cluster.ts';

// Benchmarks print their figures and targets; the exit code says whether every target held.
const ok = await benchEmbeddedCluster();
process.exit(ok ? 0 : 1);
