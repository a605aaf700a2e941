import { join } from 'node:path';
import { Sandbox } from '../../server/lab/isolation/sandbox.ts';
import { learnerAccess, type LearnerAccess } from '../../server/lab/learner-access.ts';

/**
 * The learner side of a grader, in single-learner mode: the test's own user plays the learner
 * (the isolated path, as another uid in a sandbox, is tested in test/security). `path` replaces
 * PATH for scripts (recorded tool outputs).
 */
export function localLearner(
  home: string,
  kubeconfig: string,
  options: { commandLog?: string; path?: string } = {},
): LearnerAccess {
  const sandbox = Sandbox.singleUser();
  const session = {
    id: 'test',
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    home,
    runDir: home,
    image: '',
  };
  const commandLog = options.commandLog ?? join(home, '.lab', 'commands.log');
  const access = learnerAccess(sandbox, session, { home, kubeconfig, sandboxKubeconfig: kubeconfig, commandLog });
  if (!options.path) return access;
  const env = { KUBECONFIG: kubeconfig, PATH: options.path, LANG: 'C.UTF-8' };
  return { ...access, run: (argv, run) => sandbox.run(session, argv, { ...run, env, maxOutputBytes: 64 * 1024 }) };
}
