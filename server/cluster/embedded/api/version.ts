/** What /version answers (k8s.io/apimachinery/pkg/version.Info). */
export interface VersionInfo {
  major: string;
  minor: string;
  emulationMajor?: string;
  emulationMinor?: string;
  minCompatibilityMajor?: string;
  minCompatibilityMinor?: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

/**
 * The Kubernetes release the embedded cluster reports and behaves as. The /version body
 * is what kube-apiserver v1.34.1 answers (k8s.io/apimachinery/pkg/version.Info, with the
 * emulation and min-compatibility fields compatibility versions added in 1.33).
 */
export const kubernetesVersion: VersionInfo = {
  major: '1',
  minor: '34',
  emulationMajor: '1',
  emulationMinor: '34',
  minCompatibilityMajor: '1',
  minCompatibilityMinor: '33',
  gitVersion: 'v1.34.1',
  gitCommit: '93248f9ae092f571eb870b7664c534bfc7d00f03',
  gitTreeState: 'clean',
  buildDate: '2025-09-09T19:37:20Z',
  goVersion: 'go1.24.6',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** The minor version: Pod Security "latest" evaluates at it. */
export const kubernetesMinor = Number(kubernetesVersion.minor);
