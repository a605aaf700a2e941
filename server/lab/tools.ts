import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { vendoredTool } from '../tools/location.ts';

/** Whether a command is on the server's PATH (labs tell learners what to install). */
export function toolInstalled(name: string): boolean {
  if (vendoredTool(name)) return true;
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, name)));
}
