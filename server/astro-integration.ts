import { resolve } from 'node:path';
import type { AstroIntegration } from 'astro';
import { handleApi } from './http/api.ts';
import { labDirs, loadLab } from './labs/load.ts';
import { hostAllowed, webSecurity } from './http/security.ts';

/**
 * Problems in lab.yaml files that the site's content collection cannot see: the site
 * validates the lab format with the check envelope, and each check kind's own fields are
 * validated by its grader plug-in (server/grading/checks/), run here for the site build.
 */
async function labYamlProblems(labsDir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const dir of await labDirs(labsDir)) {
    const { problems } = await loadLab(dir, labsDir);
    for (const p of problems.filter((p) => p.file.endsWith('lab.yaml')))
      lines.push(`${p.file}:${p.line}: ${p.field}: ${p.message}`);
  }
  return lines;
}

/**
 * Runs the lab server inside `astro dev` (sessions, terminals, checks on the same port), so dev
 * and production serve the same API; and validates every lab.yaml's checks for builds.
 */
export default function labServer(): AstroIntegration {
  return {
    name: 'lab-server',
    hooks: {
      'astro:config:setup': async ({ command, logger }) => {
        const problems = await labYamlProblems(resolve(process.env.COURSE_LABS_DIR ?? './labs'));
        if (problems.length === 0) return;
        const text = `lab.yaml problems (run npm run labs -- validate):\n${problems.join('\n')}`;
        // A typo in a lab should not stop the dev server, but it must fail a build.
        if (command === 'dev') logger.error(text);
        else throw new Error(text);
      },
      'astro:server:setup': async ({ server, logger }) => {
        const host = server.config.server.host;
        const bindHost = host === true ? '0.0.0.0' : typeof host === 'string' ? host : '127.0.0.1';
        const security = webSecurity({ bindHost });
        const backend = process.env.LAB_BACKEND ?? 'auto';
        // Loaded here, not at the top: builds and `astro sync` need no sessions or shells.
        const { createLabServer } = await import('./lab/server.ts');
        // Isolation is the same as `npm start` (on when the dev server runs as root), except HOME's
        // disk image: Vite may exit without closing the lab server, which would leave it mounted.
        const lab = await createLabServer({
          security,
          host: bindHost,
          diskLimits: false,
          dataDir: resolve(process.env.LAB_DATA_DIR ?? 'var'),
          labsDir: resolve(process.env.COURSE_LABS_DIR ?? './labs'),
          backend: backend === 'embedded' || backend === 'kind' ? backend : 'auto',
        });
        for (const line of lab.sandbox.describe()) logger.info(line);
        logger.info(lab.kindStatus);
        server.middlewares.use((req, res, next) => {
          if (!hostAllowed(req.headers.host, security)) {
            res.writeHead(421, { 'content-type': 'text/plain' });
            res.end('This server does not answer to that host name.\n');
            return;
          }
          if (!lab.http.handle(req, res) && !handleApi(req, res)) next();
        });
        // Terminal WebSockets share the port with Vite's own (HMR), which handleUpgrade leaves alone.
        server.httpServer?.on('upgrade', (req, socket, head) => {
          if (hostAllowed(req.headers.host, security)) void lab.http.handleUpgrade(req, socket, head);
        });
        server.httpServer?.once('close', () => void lab.close());
        logger.info('lab server mounted: /api/sessions, terminals, checks');
      },
    },
  };
}
