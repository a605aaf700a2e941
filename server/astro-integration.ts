import type { AstroIntegration } from 'astro';
import { handleApi } from './http/api.ts';

/** Attaches the lab server's endpoints to `astro dev`, so dev and production serve the same API. */
export default function labServer(): AstroIntegration {
  return {
    name: 'lab-server',
    hooks: {
      'astro:server:setup': ({ server }) => {
        server.middlewares.use((req, res, next) => {
          if (!handleApi(req, res)) next();
        });
      },
    },
  };
}
