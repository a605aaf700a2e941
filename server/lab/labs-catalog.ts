import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface LabPersona {
  name: string;
  groups?: string[];
}

/** What the lab server needs from a lab (the full format is checked by `labs validate`). */
export interface LabSummary {
  id: string;
  dir: string;
  backends: string[];
  personas: LabPersona[];
  addons: string[];
  tools: string[];
}

function frontmatter(text: string): Record<string, unknown> {
  const m = /^---\n([\s\S]*?)\n---/.exec(text);
  return m ? ((parseYaml(m[1]!) as Record<string, unknown>) ?? {}) : {};
}

/** Reads labs/<id>/lab.mdx frontmatter for every lab folder. */
export async function loadLabs(labsDir: string): Promise<Map<string, LabSummary>> {
  const labs = new Map<string, LabSummary>();
  let entries: string[];
  try {
    entries = await readdir(labsDir);
  } catch {
    return labs;
  }
  for (const entry of entries.sort()) {
    let text: string;
    try {
      text = await readFile(join(labsDir, entry, 'lab.mdx'), 'utf8');
    } catch {
      continue;
    }
    const fm = frontmatter(text);
    const id = String(fm.id ?? entry);
    labs.set(id, {
      id,
      dir: join(labsDir, entry),
      backends: (fm.backends as string[] | undefined) ?? ['embedded'],
      personas: (fm.personas as LabPersona[] | undefined) ?? [],
      addons: (fm.addons as string[] | undefined) ?? [],
      tools: (fm.tools as string[] | undefined) ?? [],
    });
  }
  return labs;
}
