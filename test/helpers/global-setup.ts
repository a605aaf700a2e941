import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The site must be built before the suites that serve it; `npm test` builds first. */
export default function setup(): void {
  process.env.ASTRO_TELEMETRY_DISABLED = '1';
  const index = join(import.meta.dirname, '..', '..', 'dist', 'es', 'index.html');
  if (!existsSync(index)) {
    throw new Error('dist/ is missing: run `npm run build` first (`npm test` does it for you).');
  }
}
