import { join } from 'node:path';
import { adminCommand, adminUsage } from './admin.ts';
import { certificatesCommand, certificatesUsage } from './certificates.ts';
import { clusterUp, clusterUpUsage } from './cluster-up.ts';
import { formatProblem, validateLabs } from '../labs/validate.ts';
import { formatTable, testLabs } from './lab-tests.ts';
import { loadLabs } from '../labs/catalog.ts';
import { writeLabImages } from '../labs/lab-images.ts';
import { parseArgs } from 'node:util';
import { execaRunner } from '../lab/backends/command-runner.ts';
import { doctor, formatDoctor } from '../tools/doctor.ts';
import { fetchTools } from '../tools/fetch-tools.ts';
import { toolsLockPath, vendoredToolsDir } from '../tools/location.ts';
import { renderKyverno } from '../tools/render-kyverno.ts';
import { mkdir } from 'node:fs/promises';
import { defaultKyvernoManifest, verifiedKyvernoManifest } from '../lab/backends/kind/addons/kyverno.ts';
import { manifestImages, saveImages } from '../lab/backends/kind/image-cache.ts';

const defaultLabsDir = join(import.meta.dirname, '..', '..', 'labs');

const usage = `Usage: labs <command>

Commands:
  validate [path]   check lab folders (schema, files, hints, solutions, both locales)
  test [lab...]     on fresh sessions: exercises fail, then pass with the solution
                    (--backend kind: on real kind clusters; needs Docker and kind)
  list              list the labs
  images            rebuild the image archives labs ship (labs/<lab>/image/*.yaml)
  cluster up        start one embedded cluster and write its kubeconfig
  doctor            check Docker, kind, the node image, add-ons and tools; say how to fix each
  tools fetch [t..] download the pinned trivy, cosign and crane, verify their checksums, lock them
                    (--base-url URL, --dir DIR, --lock FILE)
  kind images save  pull the images of the Kyverno manifest and save them to var/kind-images, which
                    every new kind cluster then loads (kind load image-archive) instead of pulling
  addons render     render the Kyverno manifest from its Helm chart and record its checksum (needs helm)
  admin create      create an admin account (see below)
  certificates      list an account's certificates, revoke one (see below)

${adminUsage}

${certificatesUsage}

${clusterUpUsage}`;

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === 'cluster' && sub === 'up') {
    await clusterUp(rest);
    return -1; // keeps running
  }
  if (command === 'admin') {
    console.log(await adminCommand(sub, rest, join(import.meta.dirname, '..', '..')));
    return 0;
  }
  if (command === 'certificates') {
    console.log(await certificatesCommand(sub, rest, join(import.meta.dirname, '..', '..')));
    return 0;
  }
  if (command === 'doctor') {
    const checks = await doctor({ runner: execaRunner });
    console.log(formatDoctor(checks));
    return sub === '--strict' && checks.some((c) => !c.ok) ? 1 : 0;
  }
  if (command === 'tools' && sub === 'fetch') {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { 'base-url': { type: 'string' }, dir: { type: 'string' }, lock: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const fetched = await fetchTools({
      baseUrl: values['base-url'],
      dir: values.dir ?? vendoredToolsDir(),
      lockPath: values.lock ?? toolsLockPath(),
      only: positionals,
      log: (line) => console.log(line),
    });
    console.log(`${fetched.length} tool(s) verified and installed; lock: ${values.lock ?? toolsLockPath()}`);
    return 0;
  }
  if (command === 'kind' && sub === 'images' && rest[0] === 'save') {
    const manifest = await verifiedKyvernoManifest(defaultKyvernoManifest);
    const images = [...(await manifestImages(manifest)), 'registry.k8s.io/pause:3.10'];
    const dir = process.env.LAB_KIND_IMAGES ?? join(defaultLabsDir, '..', 'var', 'kind-images');
    await mkdir(dir, { recursive: true });
    const saved = await saveImages((c, a, o) => execaRunner.run(c, a, { env: process.env, ...o }), images, dir);
    for (const path of saved) console.log(`saved ${path}`);
    return 0;
  }
  if (command === 'addons' && sub === 'render') {
    const rendered = await renderKyverno(execaRunner);
    console.log(`wrote ${rendered.path} (${rendered.bytes} bytes, sha256 ${rendered.sha256})`);
    return 0;
  }
  if (command === 'validate') {
    const { labs, problems } = await validateLabs(sub ?? defaultLabsDir);
    for (const p of problems) console.error(formatProblem(p));
    console.log(problems.length ? `${problems.length} problem(s) in ${labs} lab(s)` : `${labs} lab(s) valid`);
    return problems.length ? 1 : 0;
  }
  if (command === 'test') {
    const { values, positionals } = parseArgs({
      args: [sub, ...rest].filter((x): x is string => Boolean(x)),
      options: { backend: { type: 'string', default: 'embedded' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.backend !== 'embedded' && values.backend !== 'kind')
      throw new Error(`--backend must be embedded or kind, got "${values.backend}"`);
    const rows = await testLabs(defaultLabsDir, positionals, { backend: values.backend });
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
