import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppServer, type AppOptions } from '../../server/app.ts';
import { createLabServer, type LabServer, type LabServerOptions } from '../../server/lab/server.ts';
import { distDir, projectRoot } from './project.ts';

export interface RunningAppServer {
  /** http://127.0.0.1:<port>, no trailing slash. */
  base: string;
  dataDir: string;
  labServer: LabServer;
  server: Server;
  close: () => Promise<void>;
}

/**
 * The site and the lab server in this process, on a free loopback port, with a fresh data folder:
 * the embedded backend, no bubblewrap and the repository's labs unless the options say otherwise.
 */
export async function startAppServer(
  prefix: string,
  options: Partial<LabServerOptions> = {},
  appOptions: AppOptions = {},
): Promise<RunningAppServer> {
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  const labServer = await createLabServer({
    labsDir: join(projectRoot, 'labs'),
    backend: 'embedded',
    bwrap: false,
    ...options,
    dataDir,
  });
  const server = createAppServer(distDir, labServer.http, appOptions);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    dataDir,
    labServer,
    server,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await labServer.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
