import { benchAdmission } from './admission.ts';
import { benchCelAdmission } from './cel-admission.ts';
import { benchEmbeddedCluster } from './embedded-cluster.ts';
import { benchLabSessions } from './lab-sessions.ts';
import { benchNoisyNeighbour } from './noisy-neighbour.ts';

// Benchmarks print their figures and targets; the exit code says whether every target held.
const results = [
  await benchEmbeddedCluster(),
  await benchAdmission(),
  await benchCelAdmission(),
  await benchLabSessions(),
  await benchNoisyNeighbour(),
];
process.exit(results.every(Boolean) ? 0 : 1);
