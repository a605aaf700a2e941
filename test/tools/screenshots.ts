// Takes screenshots of the home, a module and a lab page at desktop and mobile
// widths, in both locales, into test-results/screenshots/ (ignored by git).
// Run with `npm run screenshots`; it builds the site first.
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../helpers/chromium.ts';
import { projectRoot } from '../helpers/project.ts';
import { startServer } from '../helpers/server.ts';

const outDir = join(projectRoot, 'test-results', 'screenshots');
const viewports = {
  desktop: { width: 1440, height: 900 },
  mobile: { width: 390, height: 844 },
} as const;
const pages = [
  { name: 'home', path: '' },
  { name: 'module', path: 'modules/supply-chain-build/' },
  // The lab is shot once its terminal shows the shell prompt.
  { name: 'lab', path: 'labs/trusted-registries/', waitFor: '.terminal-screen:not([hidden]) .xterm-rows' },
];

const dataDir = await mkdtemp(join(tmpdir(), 'screenshots-'));
const server = await startServer(['--data-dir', dataDir]);
const browser = await launchChromium();
await mkdir(outDir, { recursive: true });
const written: string[] = [];
try {
  for (const locale of ['es', 'en']) {
    for (const [viewportName, viewport] of Object.entries(viewports)) {
      const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
      for (const page of pages) {
        const tab = await context.newPage();
        await tab.goto(`${server.url}${locale}/${page.path}`);
        if (page.waitFor) {
          // xterm.js only paints while on screen; on mobile the terminal sits below the instructions.
          await tab.locator(page.waitFor).scrollIntoViewIfNeeded();
          await tab.locator(page.waitFor, { hasText: '$' }).waitFor({ timeout: 30_000 });
          await tab.evaluate(() => window.scrollTo(0, 0));
        }
        await tab.waitForLoadState('networkidle');
        const file = join(outDir, `${page.name}-${locale}-${viewportName}.png`);
        await tab.screenshot({ path: file, fullPage: page.name !== 'lab' || viewportName === 'mobile' });
        written.push(file);
        await tab.close();
      }
      await context.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
console.log(`${written.length} screenshots in ${outDir}:`);
for (const file of written) console.log(`  ${file}`);
