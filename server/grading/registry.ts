import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import { checkCommon, labSchemaFor, type Check } from '../../src/contracts/lab.ts';
import type { CheckPlugin } from './plugin.ts';

/**
 * The check kinds: every file in checks/ is one plug-in, named after its kind, so adding a
 * kind is adding one file. They are found at startup, the way Chainsaw registers operations.
 */
const checksDir = new URL('./checks/', import.meta.url);
const files = readdirSync(checksDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .sort();

export const checkPlugins: readonly CheckPlugin[] = await Promise.all(
  files.map(async (file) => {
    const module = (await import(new URL(file, checksDir).href)) as { default?: CheckPlugin };
    const plugin = module.default;
    const kind = basename(file, '.ts');
    if (!plugin || plugin.kind !== kind)
      throw new Error(`server/grading/checks/${file} must default-export the check plug-in of kind "${kind}"`);
    return plugin;
  }),
);

const byKind = new Map(checkPlugins.map((p) => [p.kind, p]));

export const checkKinds: readonly string[] = checkPlugins.map((p) => p.kind);

export function pluginFor(kind: string): CheckPlugin | undefined {
  return byKind.get(kind);
}

/** A check with its kind's own fields validated: the union of every plug-in's schema. */
export const checkSchema = z.discriminatedUnion(
  'kind',
  checkPlugins.map((p) => p.schema.extend(checkCommon).strict()) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<Check>;

/** lab.yaml with every check validated by its plug-in (the server's and `labs validate`'s schema). */
export const fullLabSchema = labSchemaFor(checkSchema);
