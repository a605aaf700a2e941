import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppServer } from './app.ts';
import { ConfigError, readConfig } from './config.ts';
import { buildSite, siteIsStale } from './site/build.ts';
import { createLabServer } from './lab/server.ts';
import { findBwrap, isLoopback } from './lab/sandbox.ts';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = join(projectRoot, 'dist');

async function main(): Promise<void> {
  const config = readConfig(process.argv.slice(2), process.env);
  if (!config.skipBuild && (await siteIsStale(projectRoot, distDir))) {
    console.log('Building the course site (first start or changed content)…');
    await buildSite(projectRoot);
  }
  // Learner shells must be confined when the server is reachable from other machines.
  let sandbox: string | undefined;
  if (!isLoopback(config.host)) {
    sandbox = findBwrap();
    if (!sandbox) {
      throw new ConfigError(
        `refusing to serve on ${config.host} without the learner-shell sandbox: install bubblewrap (apt-get install -y bubblewrap) or bind to 127.0.0.1`,
      );
    }
  }
  const lab = await createLabServer({
    sandbox,
    dataDir: resolve(projectRoot, config.dataDir),
    labsDir: join(projectRoot, 'labs'),
    backend: config.backend,
  });
  const server = createAppServer(distDir, lab.http);
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
