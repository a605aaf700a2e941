import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LabStore } from '../lab/store.ts';
import { openClassroomStore } from '../lab/store/open.ts';

export const certificatesUsage = `labs certificates list --username NAME [--data-dir DIR] [--database URL]
  Lists an account's certificates: id, module, issue date, and whether revoked.
labs certificates revoke ID [--data-dir DIR] [--database URL]
  Revokes a certificate (the 16-character id before the dot of its verification id):
  its verification URL then says it was revoked.`;

/** `labs certificates list|revoke`: what it did, as lines. */
export async function certificatesCommand(
  sub: string | undefined,
  args: string[],
  projectRoot: string,
): Promise<string> {
  if (sub !== 'list' && sub !== 'revoke')
    throw new Error(`unknown certificates command "${sub ?? ''}"\n${certificatesUsage}`);
  const { values, positionals } = parseArgs({
    args,
    options: { username: { type: 'string' }, 'data-dir': { type: 'string' }, database: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const dataDir = resolve(projectRoot, values['data-dir'] ?? process.env.LAB_DATA_DIR ?? 'var');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const local = new LabStore(join(dataDir, 'lab.sqlite'));
  const store = await openClassroomStore(values.database ?? process.env.LAB_DATABASE, local);
  try {
    if (sub === 'list') {
      if (!values.username) throw new Error(`--username is required\n${certificatesUsage}`);
      const account = await store.accountByLogin(values.username);
      if (!account) throw new Error(`No account "${values.username}".`);
      const mine = await store.certificatesOf(account.id);
      if (mine.length === 0) return `"${account.username}" has no certificates.`;
      return mine
        .map((c) =>
          [c.id, c.module, new Date(c.issuedAt).toISOString(), c.revokedAt === null ? 'valid' : 'revoked'].join('\t'),
        )
        .join('\n');
    }
    // A full verification id is accepted too: its part before the dot is the certificate id.
    const id = (positionals[0] ?? '').split('.')[0]!;
    if (!/^[A-Za-z0-9_-]{16}$/.test(id)) throw new Error(`revoke takes a certificate id\n${certificatesUsage}`);
    if (!(await store.revokeCertificate(id))) throw new Error(`No certificate ${id}, or it is revoked already.`);
    return `Certificate ${id} revoked.`;
  } finally {
    await store.close();
    local.close();
  }
}
