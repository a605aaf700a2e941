import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pinnedVersions } from '../../src/contracts/versions.ts';
import { pinnedTools } from '../../server/tools/pinned-tools.ts';
import { pinnedKind } from '../../server/lab/backends/kind/pinned.ts';
import { distDir, projectRoot } from '../helpers/project.ts';

const page = (locale: string, lab: string) => readFileSync(join(distDir, locale, 'labs', lab, 'index.html'), 'utf8');
const versionsLine = (html: string) => /<p class="lab-versions"[^>]*>([^<]*)<\/p>/.exec(html)?.[1];

describe('one pinned set: what lab pages show is what the backends and the tool fetcher use', () => {
  it('both backends run the pinned Kubernetes minor, and kind installs the pinned Kyverno', async () => {
    const { kubernetesVersion } = await import('../../server/cluster/embedded/api/version.ts');
    expect(kubernetesVersion.gitVersion.startsWith(`v${pinnedVersions.kubernetes}.`)).toBe(true);
    expect(pinnedKind.kubernetesVersion.startsWith(`v${pinnedVersions.kubernetes}.`)).toBe(true);
    const lock = JSON.parse(
      readFileSync(join(projectRoot, 'server/lab/backends/kind/addons/kyverno.lock.json'), 'utf8'),
    ) as { appVersion: string };
    expect(lock.appVersion).toBe(pinnedVersions.kyverno);
    expect(Object.fromEntries(pinnedTools.map((t) => [t.name, t.version]))).toEqual(pinnedVersions.tools);
  });

  it('every lab page says what it was tested with, naming its add-ons and tools', () => {
    expect(versionsLine(page('en', 'security-basics'))).toBe(`Tested with Kubernetes ${pinnedVersions.kubernetes}.`);
    expect(versionsLine(page('es', 'trusted-registries'))).toBe(
      `Probado con Kubernetes ${pinnedVersions.kubernetes} · Kyverno ${pinnedVersions.kyverno}.`,
    );
    expect(versionsLine(page('en', 'trivy-scan'))).toContain(`trivy ${pinnedVersions.tools.trivy}`);
  });
});
