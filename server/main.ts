import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppServer } from './app.ts';
import { ConfigError, readConfig } from './config.ts';
import { buildSite, siteIsStale } from './site/build.ts';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = join(projectRoot, 'dist');

async function main(): Promise<void> {
  const config = readConfig(process.argv.slice(2), process.env);
  if (!config.skipBuild && (await siteIsStale(projectRoot, distDir))) {
    console.log('Building the course site (first start or changed content)…');
    await buildSite(projectRoot);
  }
  const server = createAppServer(distDir);
  server.listen(config.port, config.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  console.log(`Course and lab server ready at http://${shownHost}:${port}/`);

  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `error: ${error.message}` : error);
  process.exit(1);
});
