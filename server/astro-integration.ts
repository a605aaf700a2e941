import { resolve } from 'node:path';
import type { AstroIntegration } from 'astro';
import { handleApi } from './http/api.ts';
import { labDirs, loadLab } from './labs/load.ts';

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

/** Attaches the lab server's endpoints to `astro dev`, so dev and production serve the same API. */
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
      'astro:server:setup': ({ server }) => {
        server.middlewares.use((req, res, next) => {
          if (!handleApi(req, res)) next();
        });
      },
    },
  };
}
