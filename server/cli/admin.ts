import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { passwordProblem, hashPassword } from '../classroom/passwords.ts';
import { LabStore } from '../lab/store.ts';
import { openClassroomStore } from '../lab/store/open.ts';

export const adminUsage = `labs admin create --username NAME [--email ADDRESS] [--data-dir DIR] [--database URL]
  Creates an admin account (the first one, or another), or makes an existing account admin.
  The password is read from LAB_ADMIN_PASSWORD or the first line of standard input.
  --data-dir and --database name the same store the server uses (default var/, SQLite).`;

async function readPassword(): Promise<string> {
  if (process.env.LAB_ADMIN_PASSWORD) return process.env.LAB_ADMIN_PASSWORD;
  if (process.stdin.isTTY) process.stderr.write('Password (at least 10 characters): ');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return '';
}

/** `labs admin create`: what it did, in one line. */
export async function adminCommand(sub: string | undefined, args: string[], projectRoot: string): Promise<string> {
  if (sub !== 'create') throw new Error(`unknown admin command "${sub ?? ''}"\n${adminUsage}`);
  const { values } = parseArgs({
    args,
    options: {
      username: { type: 'string' },
      email: { type: 'string' },
      'data-dir': { type: 'string' },
      database: { type: 'string' },
    },
    strict: true,
  });
  if (!values.username) throw new Error(`--username is required\n${adminUsage}`);
  const dataDir = resolve(projectRoot, values['data-dir'] ?? process.env.LAB_DATA_DIR ?? 'var');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const local = new LabStore(join(dataDir, 'lab.sqlite'));
  const store = await openClassroomStore(values.database ?? process.env.LAB_DATABASE, local);
  try {
    const existing = await store.accountByLogin(values.username);
    if (existing) {
      await store.setRole(existing.id, 'admin');
      return `Account "${existing.username}" is an admin now (its password is unchanged).`;
    }
    const password = await readPassword();
    const problem = passwordProblem(password);
    if (problem) throw new Error(problem);
    const account = await store.createAccount({
      username: values.username,
      email: values.email,
      passwordHash: await hashPassword(password),
      role: 'admin',
      learnerId: crypto.randomUUID().replaceAll('-', ''),
    });
    return `Admin account "${account.username}" created.`;
  } finally {
    await store.close();
    local.close();
  }
}
