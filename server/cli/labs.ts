import { join } from 'node:path';
import { clusterUp, clusterUpUsage } from './cluster-up.ts';
import { formatProblem, validateLabs } from '../labs/validate.ts';
import { formatTable, testLabs } from './lab-tests.ts';
import { loadLabs } from '../labs/catalog.ts';
import { writeLabImages } from '../labs/lab-images.ts';

const defaultLabsDir = join(import.meta.dirname, '..', '..', 'labs');

const usage = `Usage: labs <command>

Commands:
  validate [path]   check lab folders (schema, files, hints, solutions, both locales)
  test [lab...]     on fresh embedded sessions: exercises fail, then pass with the solution
  list              list the labs
  images            rebuild the image archives labs ship (labs/<lab>/image/*.yaml)
  cluster up        start one embedded cluster and write its kubeconfig

${clusterUpUsage}`;

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === 'cluster' && sub === 'up') {
    await clusterUp(rest);
    return -1; // keeps running
  }
  if (command === 'validate') {
    const { labs, problems } = await validateLabs(sub ?? defaultLabsDir);
    for (const p of problems) console.error(formatProblem(p));
    console.log(problems.length ? `${problems.length} problem(s) in ${labs} lab(s)` : `${labs} lab(s) valid`);
    return problems.length ? 1 : 0;
  }
  if (command === 'test') {
    const rows = await testLabs(
      defaultLabsDir,
      [sub, ...rest].filter((x): x is string => Boolean(x)),
    );
    console.log(formatTable(rows));
    const tested = rows.filter((r) => !r.skipped);
    const bad = tested.filter((r) => !r.failsBefore || !r.passesAfter);
    const skipped = rows.length - tested.length;
    const note = skipped ? `, ${skipped} skipped` : '';
    const labsTested = new Set(tested.map((r) => r.lab)).size;
    console.log(
      bad.length
        ? `${bad.length} exercise(s) failed the lab test${note}`
        : `${tested.length} exercise(s) in ${labsTested} lab(s) OK${note}`,
    );
    return bad.length ? 1 : 0;
  }
  if (command === 'images') {
    for (const image of await writeLabImages(defaultLabsDir))
      console.log(`${image.lab}: ${image.repoTags.join(', ')} ${image.imageId}`);
    return 0;
  }
  if (command === 'list') {
    for (const lab of (await loadLabs(defaultLabsDir)).values()) {
      console.log(
        `${lab.id.padEnd(28)} ${lab.backends.join(',').padEnd(16)} ${lab.definition.exercises.length} exercise(s)  ${lab.definition.title.en}`,
      );
    }
    return 0;
  }
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(usage);
    return 0;
  }
  console.error(`labs: unknown command "${[command, sub].filter(Boolean).join(' ')}"\n\n${usage}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    console.error(`labs: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
