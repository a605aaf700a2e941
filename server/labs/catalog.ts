import type { Lab } from '../../src/contracts/lab.ts';
import { labDirs, loadLab } from './load.ts';

export interface LabPersona {
  name: string;
  groups?: string[];
}

/** What the lab server needs from a lab. */
export interface LabSummary {
  id: string;
  dir: string;
  backends: string[];
  personas: LabPersona[];
  addons: string[];
  tools: string[];
  setup: string[];
}

/** A lab of the catalogue: what the lab server needs, with its full definition. */
export interface CatalogLab extends LabSummary {
  definition: Lab;
}

/** Loads every valid lab under labsDir; invalid ones are reported and skipped (see `labs validate`). */
export async function loadLabs(labsDir: string): Promise<Map<string, CatalogLab>> {
  const labs = new Map<string, CatalogLab>();
  for (const dir of await labDirs(labsDir)) {
    const { lab, problems } = await loadLab(dir, labsDir);
    if (!lab) {
      console.error(
        `lab in ${dir} skipped: ${problems.map((p) => `${p.file}:${p.line} ${p.field}: ${p.message}`).join('; ')}`,
      );
      continue;
    }
    const def = lab.lab;
    labs.set(def.id, {
      id: def.id,
      dir,
      backends: def.backends,
      personas: def.personas,
      addons: def.addons,
      tools: def.tools,
      setup: def.setup,
      definition: def,
    });
  }
  return labs;
}
