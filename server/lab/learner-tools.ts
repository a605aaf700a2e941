/**
 * The programs every learner shell has, on a server `labs doctor` approves: the base system
 * (Debian's essential packages), kubectl (pinned per session), and the editors and pager
 * that lab instructions name. Anything else a lab runs goes in its `tools` field, which the
 * lab page turns into what to install. test/labs/lab-tools.test.ts holds labs to this.
 */
export interface LearnerTool {
  name: string;
  /** The Debian package that provides it, for `labs doctor`'s fix line; absent for the base system. */
  package?: string;
}

const baseSystem =
  'awk base64 basename bash cat chmod cp cut date diff dirname echo env find grep head id ln ls mkdir mktemp mv ' +
  'printf realpath rm sed sh sha256sum sha512sum sleep sort stat tail tar tee touch tr uniq wc xargs';

export const learnerShellTools: LearnerTool[] = [
  ...baseSystem.split(' ').map((name) => ({ name })),
  { name: 'kubectl' },
  // Editors and a pager: labs say "edit it with nano or vi".
  { name: 'nano', package: 'nano' },
  { name: 'vi', package: 'vim-tiny' },
  { name: 'less', package: 'less' },
];

/** What the learner shell adds by itself: the `k` alias for kubectl. */
export const learnerShellAliases = ['k'];

export const learnerShellToolNames = new Set([...learnerShellTools.map((t) => t.name), ...learnerShellAliases]);
