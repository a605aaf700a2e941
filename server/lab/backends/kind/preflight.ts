import { readFile } from 'node:fs/promises';
import type { CommandRunner } from '../command-runner.ts';
import { parseKindVersion, pinnedKind } from './pinned.ts';

/** What is missing for the kind backend, as codes the lab page explains in the learner's language. */
export type KindMissing = 'kind' | 'docker' | 'docker-daemon' | 'inotify';

export type Preflight = { ok: true; kindVersion?: string } | { ok: false; reason: string; missing: KindMissing[] };

/** Docker reachable, kind present, inotify limits high enough for several clusters (kind's known issues). */
export async function kindPreflight(
  runner: CommandRunner,
  env: Record<string, string | undefined>,
  readSysctl: (path: string) => Promise<string> = (p) => readFile(p, 'utf8'),
): Promise<Preflight> {
  const missing: KindMissing[] = [];
  const reasons: string[] = [];
  const kind = await runner.run('kind', ['version'], { env, timeoutMs: 10_000 });
  const kindVersion = parseKindVersion(kind.stdout);
  if (kind.notFound || kind.exitCode !== 0) {
    missing.push('kind');
    reasons.push(
      `kind is not installed: install kind ${pinnedKind.kindVersion} (https://kind.sigs.k8s.io/docs/user/quick-start/#installation).`,
    );
  }
  const docker = await runner.run('docker', ['info', '--format', '{{json .ServerVersion}}'], {
    env,
    timeoutMs: 15_000,
  });
  if (docker.notFound) {
    missing.push('docker');
    reasons.push(
      'Docker is not installed: the kind backend needs a running Docker engine (https://docs.docker.com/engine/install/).',
    );
  } else if (docker.exitCode !== 0) {
    missing.push('docker-daemon');
    const last = (docker.stderr || docker.stdout).trim().split('\n').pop();
    reasons.push(`Docker is not running (docker info: ${last}). Start it, e.g. \`systemctl start docker\`.`);
  }
  try {
    const watches = Number((await readSysctl('/proc/sys/fs/inotify/max_user_watches')).trim());
    const instances = Number((await readSysctl('/proc/sys/fs/inotify/max_user_instances')).trim());
    if (watches < 524288 || instances < 512) {
      missing.push('inotify');
      reasons.push(
        `inotify limits are too low for several kind clusters (max_user_watches=${watches}, max_user_instances=${instances}): run \`sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512\`.`,
      );
    }
  } catch {
    /* not Linux: nothing to check */
  }
  return missing.length ? { ok: false, reason: reasons.join(' '), missing } : { ok: true, kindVersion };
}
