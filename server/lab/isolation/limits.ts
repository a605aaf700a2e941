/** What one session's shells and checks may use, together. */
export interface SessionResourceLimits {
  /** Processes (and threads) of the session at once. */
  processes: number;
  /** Open files per process. */
  openFiles: number;
  /** Largest file a process may write, in bytes. */
  fileSizeBytes: number;
  /** Memory of all the session's processes, in bytes. */
  memoryBytes: number;
  /** CPU: at most this many cores' worth of time. */
  cpus: number;
  /** The workspace (HOME) size, in bytes. */
  diskBytes: number;
}

const MiB = 1024 * 1024;

export const defaultResourceLimits: SessionResourceLimits = {
  processes: 256,
  openFiles: 1024,
  fileSizeBytes: 256 * MiB,
  memoryBytes: 1024 * MiB,
  cpus: 1,
  diskBytes: 1024 * MiB,
};

const units: Record<string, number> = { '': 1, k: 1024, m: MiB, g: 1024 * MiB };

/** Parses "512M", "1G", "1048576" (binary units, as ulimit and cgroups take them). */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) return undefined;
  const value = Math.round(Number(m[1]) * units[m[2]!.toLowerCase()]!);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** "512 MiB", "1 GiB": how limits are shown to learners and in the start-up banner. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MiB && bytes % (1024 * MiB) === 0) return `${bytes / (1024 * MiB)} GiB`;
  if (bytes >= MiB) return `${Math.round(bytes / MiB)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}
