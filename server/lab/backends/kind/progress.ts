/**
 * kind's plain (non-TTY) progress lines on stderr, as pkg/internal/cli/status.go prints them:
 * " • <step>  ..." when a step starts, " ✓ <step>" or " ✗ <step>" when it ends. The steps come
 * from pkg/cluster/internal/create (images.go, provider.go, actions/*).
 */
const steps = [
  'Ensuring node image',
  'Preparing nodes',
  'Writing configuration',
  'Starting control-plane',
  'Installing CNI',
  'Installing StorageClass',
  'Joining worker nodes',
  'Waiting ≤',
];

export interface KindProgress {
  step: string;
  done: boolean;
  failed: boolean;
  /** 0..1 through kind's steps. */
  progress: number;
}

export function parseKindProgress(line: string): KindProgress | undefined {
  const m = /^\s*([•✓✗])\s+(.+?)\s*$/u.exec(line);
  if (!m) return undefined;
  // Drop kind's trailing "  ..." and the step's emoji (🖼️ 📦 📜 🕹️ 🔌 💾 🚜 ⏳).
  const text = m[2]!
    .replace(/\s*\.\.\.$/, '')
    .replace(/[\s\p{Extended_Pictographic}\uFE0F]+$/u, '')
    .trim();
  const index = steps.findIndex((s) => text.startsWith(s));
  if (index < 0) return undefined;
  const ended = m[1] !== '•';
  return { step: text, done: m[1] === '✓', failed: m[1] === '✗', progress: (index + (ended ? 1 : 0.5)) / steps.length };
}
