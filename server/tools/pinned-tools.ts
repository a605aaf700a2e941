/**
 * The host tools the tool labs run, pinned with the release assets they come from. Asset and
 * checksum-file names follow each project's goreleaser config: trivy
 * `trivy_<v>_Linux-64bit.tar.gz` + `trivy_<v>_checksums.txt`, cosign `cosign-linux-amd64` +
 * `cosign_checksums.txt`, go-containerregistry `go-containerregistry_Linux_x86_64.tar.gz` +
 * `checksums.txt`; each checksum line is "<sha256>  <file name>".
 */
import { pinnedVersions } from '../../src/contracts/versions.ts';

const { trivy, cosign, crane } = pinnedVersions.tools;
const bare = (version: string) => version.replace(/^v/, '');

export interface PinnedTool {
  name: string;
  version: string;
  /** GitHub owner/repo whose releases serve it. */
  repo: string;
  asset(arch: 'x64' | 'arm64'): string;
  checksums: string;
  /** A raw binary, or a tar.gz holding the binary at `member`. */
  archive: 'binary' | 'tar.gz';
  member?: string;
  /** Arguments that print the version (the doctor compares it). */
  versionArgs: string[];
}

export const pinnedTools: PinnedTool[] = [
  {
    name: 'trivy',
    version: trivy,
    repo: 'aquasecurity/trivy',
    asset: (arch) => `trivy_${bare(trivy)}_Linux-${arch === 'x64' ? '64bit' : 'ARM64'}.tar.gz`,
    checksums: `trivy_${bare(trivy)}_checksums.txt`,
    archive: 'tar.gz',
    member: 'trivy',
    versionArgs: ['--version'],
  },
  {
    name: 'cosign',
    version: cosign,
    repo: 'sigstore/cosign',
    asset: (arch) => `cosign-linux-${arch === 'x64' ? 'amd64' : 'arm64'}`,
    checksums: 'cosign_checksums.txt',
    archive: 'binary',
    versionArgs: ['version'],
  },
  {
    name: 'crane',
    version: crane,
    repo: 'google/go-containerregistry',
    asset: (arch) => `go-containerregistry_Linux_${arch === 'x64' ? 'x86_64' : 'arm64'}.tar.gz`,
    checksums: 'checksums.txt',
    archive: 'tar.gz',
    member: 'crane',
    versionArgs: ['version'],
  },
];

export function releaseUrl(base: string, tool: PinnedTool, file: string): string {
  return `${base.replace(/\/$/, '')}/${tool.repo}/releases/download/${tool.version}/${file}`;
}
