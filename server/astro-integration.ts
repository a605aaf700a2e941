import { resolve } from 'node:path';
import type { AstroIntegration } from 'astro';
import { handleApi } from './http/api.ts';
import { labDirs, loadLab } from './labs/load.ts';
import { findBwrap, isLoopback } from './lab/sandbox.ts';

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
        const exposed = host === true || (typeof host === 'string' && !isLoopback(host));
        const sandbox = exposed ? findBwrap() : undefined;
        if (exposed && !sandbox)
          throw new Error('refusing to expose the dev server without the learner-shell sandbox: install bubblewrap');
        const backend = process.env.LAB_BACKEND ?? 'auto';
        // Loaded here, not at the top: builds and `astro sync` need no sessions or shells.
        const { createLabServer } = await import('./lab/server.ts');
        const lab = await createLabServer({
          sandbox,
          dataDir: resolve(process.env.LAB_DATA_DIR ?? 'var'),
          labsDir: resolve(process.env.COURSE_LABS_DIR ?? './labs'),
          backend: backend === 'embedded' || backend === 'kind' ? backend : 'auto',
        });
        server.middlewares.use((req, res, next) => {
          if (!lab.http.handle(req, res) && !handleApi(req, res)) next();
        });
        // Terminal WebSockets share the port with Vite's own (HMR), which handleUpgrade leaves alone.
        server.httpServer?.on('upgrade', (req, socket, head) => void lab.http.handleUpgrade(req, socket, head));
        server.httpServer?.once('close', () => void lab.close());
        logger.info('lab server mounted: /api/sessions, terminals, checks');
      },
    },
  };
}
