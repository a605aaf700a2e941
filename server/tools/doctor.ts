import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandRunner } from '../lab/backends/command-runner.ts';
import { pinnedKubectl } from '../lab/isolation/kubectl-pin.ts';
import {
  defaultKyvernoManifest,
  verifiedKyvernoManifest,
  type KyvernoManifest,
} from '../lab/backends/kind/addons/kyverno.ts';
import { parseKindVersion, pinnedKind } from '../lab/backends/kind/pinned.ts';
import { kindImageCache, vendoredToolsDir } from './location.ts';
import { pinnedTools } from './pinned-tools.ts';
import { learnerShellTools } from '../lab/learner-tools.ts';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  /** What was found (a version), or what is wrong. */
  detail: string;
  /** How to fix it, when not ok. */
  fix?: string;
  /** What needs it: every lab, the kind backend, the tool labs, or the learner shell (editors labs name). */
  for: 'server' | 'kind' | 'tool labs' | 'learner shell';
}

export interface DoctorOptions {
  runner: CommandRunner;
  env?: NodeJS.ProcessEnv;
  readSysctl?: (path: string) => Promise<string>;
  kyverno?: KyvernoManifest;
}

const firstLine = (text: string) => text.trim().split('\n')[0] ?? '';

/** `labs doctor`: everything the lab server and the kind backend need, each missing piece with its fix. */
export async function doctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const env = options.env ?? process.env;
  const path = `${join(vendoredToolsDir(env), 'bin')}:${env.PATH ?? ''}`;
  const run = (cmd: string, args: string[]) =>
    options.runner.run(cmd, args, { env: { ...env, PATH: path }, timeoutMs: 15_000 });
  const checks: DoctorCheck[] = [];
  const add = (c: DoctorCheck) => checks.push(c);

  const major = Number(process.versions.node.split('.')[0]);
  add({ name: 'Node.js', for: 'server', ok: major >= 20, detail: process.version, fix: 'install Node.js 20 or newer' });

  const kubectl = pinnedKubectl(env.PATH ?? '');
  add({
    name: 'kubectl',
    for: 'server',
    ok: Boolean(kubectl),
    detail: kubectl ?? 'no kubectl.1.33–1.35 beside the kubectl on PATH',
    fix: 'install kubectl 1.33–1.35 (https://kubernetes.io/docs/tasks/tools/)',
  });

  const bwrap = await run('bwrap', ['--version']);
  add({
    name: 'bubblewrap',
    for: 'server',
    ok: bwrap.exitCode === 0,
    detail:
      bwrap.exitCode === 0 ? firstLine(bwrap.stdout) : 'not installed (needed to serve on a non-loopback address)',
    fix: 'apt-get install -y bubblewrap',
  });

  const dockerCli = await run('docker', ['version', '--format', '{{.Client.Version}}']);
  const dockerInfo = await run('docker', ['info', '--format', '{{json .ServerVersion}}']);
  add({
    name: 'Docker CLI',
    for: 'kind',
    ok: !dockerCli.notFound,
    detail: dockerCli.notFound ? 'not installed' : firstLine(dockerCli.stdout) || 'installed',
    fix: 'install Docker Engine (https://docs.docker.com/engine/install/)',
  });
  const daemonUp = dockerInfo.exitCode === 0;
  add({
    name: 'Docker engine',
    for: 'kind',
    ok: daemonUp,
    detail: daemonUp
      ? `running, version ${dockerInfo.stdout.trim().replace(/"/g, '')}`
      : dockerCli.notFound
        ? 'no Docker'
        : `not reachable: ${firstLine((dockerInfo.stderr || dockerInfo.stdout).split('\n').pop() ?? '')}`,
    fix: dockerCli.notFound ? 'install Docker Engine, then start it' : 'start it: systemctl start docker',
  });

  const kind = await run('kind', ['version']);
  const kindVersion = parseKindVersion(kind.stdout);
  add({
    name: 'kind',
    for: 'kind',
    ok: kindVersion === pinnedKind.kindVersion,
    detail: kind.notFound
      ? 'not installed'
      : kindVersion
        ? `${kindVersion}${kindVersion === pinnedKind.kindVersion ? '' : ` (the tested version is ${pinnedKind.kindVersion})`}`
        : firstLine(kind.stderr),
    fix: `install kind ${pinnedKind.kindVersion}: https://kind.sigs.k8s.io/docs/user/quick-start/#installation`,
  });

  if (daemonUp) {
    const image = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', pinnedKind.nodeImage]);
    add({
      name: 'kind node image',
      for: 'kind',
      ok: image.exitCode === 0,
      detail: image.exitCode === 0 ? `${pinnedKind.nodeImageTag} present` : `${pinnedKind.nodeImageTag} not pulled yet`,
      fix: `docker pull ${pinnedKind.nodeImage}`,
    });
  } else {
    add({
      name: 'kind node image',
      for: 'kind',
      ok: false,
      detail: `${pinnedKind.nodeImage}: cannot check without a running Docker engine`,
      fix: `once Docker runs: docker pull ${pinnedKind.nodeImage}`,
    });
  }

  const read = options.readSysctl ?? ((p: string) => readFile(p, 'utf8'));
  try {
    const watches = Number((await read('/proc/sys/fs/inotify/max_user_watches')).trim());
    const instances = Number((await read('/proc/sys/fs/inotify/max_user_instances')).trim());
    add({
      name: 'inotify limits',
      for: 'kind',
      ok: watches >= 524288 && instances >= 512,
      detail: `max_user_watches=${watches}, max_user_instances=${instances}`,
      fix: 'sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512 (and in /etc/sysctl.d/ to keep it)',
    });
  } catch {
    /* not Linux */
  }

  try {
    await verifiedKyvernoManifest(options.kyverno ?? defaultKyvernoManifest);
    add({ name: 'Kyverno manifest', for: 'kind', ok: true, detail: 'rendered, checksum matches the lock' });
  } catch (error) {
    add({
      name: 'Kyverno manifest',
      for: 'kind',
      ok: false,
      detail: (error as Error).message.split(':')[0]!,
      fix: 'npm run labs -- addons render (needs helm)',
    });
  }
  const cache = kindImageCache(env);
  add({
    name: 'kind image cache',
    for: 'kind',
    ok: true,
    detail: cache
      ? `${cache} (loaded into every new cluster)`
      : "none: each cluster pulls Kyverno's images (optional: npm run labs -- kind images save)",
  });
  const helm = await run('helm', ['version', '--short']);
  add({
    name: 'helm',
    for: 'kind',
    ok: helm.exitCode === 0,
    detail: helm.exitCode === 0 ? firstLine(helm.stdout) : 'not installed (only `labs addons render` needs it)',
    fix: 'install helm 3 (https://helm.sh/docs/intro/install/)',
  });

  for (const tool of pinnedTools) {
    const r = await run(tool.name, tool.versionArgs);
    const text = `${r.stdout}\n${r.stderr}`;
    const found = !r.notFound && r.exitCode === 0;
    const pinned = text.includes(tool.version.slice(1));
    add({
      name: tool.name,
      for: 'tool labs',
      ok: found && pinned,
      detail: !found ? 'not installed' : pinned ? `${tool.version}` : `${firstLine(text)} (pinned: ${tool.version})`,
      fix: `npm run labs -- tools fetch (installs the pinned ${tool.name} ${tool.version}, checksum-verified)`,
    });
  }
  const jq = await run('jq', ['--version']);
  add({
    name: 'jq',
    for: 'tool labs',
    ok: jq.exitCode === 0,
    detail: jq.exitCode === 0 ? firstLine(jq.stdout) : 'not installed',
    fix: 'apt-get install -y jq',
  });
  // The editors and pager lab instructions tell every learner to use.
  for (const tool of learnerShellTools.filter((t) => t.package)) {
    const r = await run(tool.name, ['--version']);
    add({
      name: tool.name,
      for: 'learner shell',
      ok: !r.notFound,
      detail: r.notFound ? 'not installed' : firstLine(r.stdout) || 'installed',
      fix: `apt-get install -y ${tool.package}`,
    });
  }
  return checks;
}

export function formatDoctor(checks: DoctorCheck[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.map((c) => {
    const head = `${c.ok ? '✓' : '✗'} ${c.name.padEnd(width)}  ${c.detail}`;
    return c.ok ? head : `${head}\n  ${' '.repeat(width)}  fix (${c.for}): ${c.fix}`;
  });
  const missing = checks.filter((c) => !c.ok);
  const kindReady = !missing.some((c) => c.for === 'kind');
  lines.push(
    '',
    missing.length ? `${missing.length} missing piece(s).` : 'Everything is in place.',
    kindReady
      ? 'The kind backend can run here.'
      : 'The kind backend cannot run here yet: the lab server uses the embedded cluster only.',
  );
  return lines.join('\n');
}
