import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppServer } from './app.ts';
import { ConfigError, readConfig } from './config.ts';
import { isLoopback, webSecurity } from './http/security.ts';
import { buildSite, siteIsStale } from './site/build.ts';
import { createLabServer } from './lab/server.ts';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = join(projectRoot, 'dist');

async function main(): Promise<void> {
  const config = readConfig(process.argv.slice(2), process.env);
  if (!config.skipBuild && (await siteIsStale(projectRoot, distDir))) {
    console.log('Building the course site (first start or changed content)…');
    await buildSite(projectRoot);
  }
  const security = webSecurity({
    bindHost: config.host,
    publicUrls: config.publicUrls,
    trustProxy: config.trustProxy,
    adminToken: config.adminToken,
  });
  const lab = await createLabServer({
    dataDir: resolve(projectRoot, config.dataDir),
    database: config.database,
    oidc: config.oidc,
    labsDir: join(projectRoot, 'labs'),
    contentDir: join(projectRoot, 'content'),
    backend: config.backend,
    host: config.host,
    kindSharedHost: config.kindSharedHost,
    kindWarmPool: config.kindWarmPool,
    kind: { maxConcurrentCreates: config.kindMaxCreates, memoryBudgetBytes: config.kindMemoryBudget },
    security,
    // LAB_BWRAP=off isolates without bubblewrap (uids, namespaces and limits still apply).
    bwrap: process.env.LAB_BWRAP === 'off' ? false : undefined,
    resources: config.resources,
    apiLimits: {
      createsPerAddress: { burst: config.createsPerIpPerMinute, perMinute: config.createsPerIpPerMinute },
      createsPerLearner: { burst: config.createsPerLearnerPerMinute, perMinute: config.createsPerLearnerPerMinute },
      // Half a minute's worth at once: a learner clicking Check repeatedly, not a script.
      checksPerLearner: {
        burst: Math.max(1, Math.ceil(config.checksPerLearnerPerMinute / 2)),
        perMinute: config.checksPerLearnerPerMinute,
      },
      newLearnersPerAddress: {
        burst: config.newLearnersPerIpPerMinute * 2,
        perMinute: config.newLearnersPerIpPerMinute,
      },
      streamsPerLearner: config.streamsPerLearner,
      socketsPerSession: config.socketsPerSession,
    },
    clusterQuota: config.cluster,
    limits: {
      maxSessions: config.maxSessions,
      maxPerLearner: config.maxSessionsPerLearner,
      maxPerAddress: config.maxSessionsPerAddress,
      idleTtlMs: config.idleTtlMinutes * 60_000,
      absoluteTtlMs: config.sessionTtlMinutes * 60_000,
      extendMs: config.extendMinutes * 60_000,
      maxExtensions: config.maxExtensions,
    },
  });
  for (const line of lab.sandbox.describe()) console.log(line);
  console.log(lab.kindStatus);
  if (!lab.sandbox.isolated && !isLoopback(config.host))
    console.log(`Warning: serving on ${config.host} in single-learner mode; every learner's shell is your user.`);
  const server = createAppServer(distDir, lab.http, { security, maxConnections: config.maxConnections });
  server.listen(config.port, config.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  console.log(`Course and lab server ready at http://${shownHost}:${port}/`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('Shutting down: ending terminals and saving clusters…');
    server.close();
    server.closeAllConnections();
    void lab.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `error: ${error.message}` : error);
  process.exit(1);
});
