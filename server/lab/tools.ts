import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Whether a command is on the server's PATH (labs tell learners what to install). */
export function toolInstalled(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, name)));
}
