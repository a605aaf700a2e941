// @ts-check
import { defineConfig } from 'astro/config';
import mdx from '@astrojs/mdx';
import labServer from './server/astro-integration.ts';
import { defaultLocale, locales } from './src/contracts/locales.ts';

export default defineConfig({
  output: 'static',
  // Tests that build fixture content keep their cache out of the project's.
  ...(process.env.ASTRO_CACHE_DIR ? { cacheDir: process.env.ASTRO_CACHE_DIR } : {}),
  trailingSlash: 'ignore',
  i18n: {
    defaultLocale,
    locales: [...locales],
    routing: { prefixDefaultLocale: true, redirectToDefaultLocale: false },
  },
  // Smart punctuation would turn `--flag` into an en dash inside runnable commands.
  markdown: { smartypants: false },
  integrations: [mdx(), labServer()],
});
