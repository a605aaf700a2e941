/** The lab server's side of LearnerAccess (the graders' view of a learner, in grading/types.ts). */
import type { LearnerAccess } from '../grading/types.ts';
import type { Sandbox, SandboxSession } from './isolation/sandbox.ts';
import { learnerEnv, readCommandLog, type Workspace } from './workspace.ts';

export type { LearnerAccess };

/** The paths learner access needs (a session's Workspace, or a test's folders). */
export type LearnerPaths = Pick<Workspace, 'home' | 'kubeconfig' | 'commandLog' | 'sandboxKubeconfig'>;

export function learnerAccess(sandbox: Sandbox, session: SandboxSession, ws: LearnerPaths): LearnerAccess {
  return {
    home: ws.home,
    readFile: (path, maxBytes) => sandbox.readFile(session, path, maxBytes),
    run: (argv, options) =>
      sandbox.run(session, argv, {
        ...options,
        // The learner may edit ~/.kube/config and its cache; a check uses neither.
        env: {
          // The sandbox sets its own PATH as root; without isolation the server's PATH applies.
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ...learnerEnv(ws),
          KUBECONFIG: ws.sandboxKubeconfig,
          ...(sandbox.isolated ? { KUBECACHEDIR: '/tmp/.kube-cache' } : {}),
        },
        maxOutputBytes: 64 * 1024,
      }),
    commands: () => readCommandLog(ws, session, sandbox),
  };
}
