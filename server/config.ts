import { parseArgs } from 'node:util';

export interface ServerConfig {
  port: number;
  host: string;
  /** Sessions, workspaces and the SQLite database. */
  dataDir: string;
  backend: 'embedded' | 'kind' | 'auto';
  /** Skip the "build the site if needed" step (tests build once up front). */
  skipBuild: boolean;
}

export class ConfigError extends Error {}

function parsePort(value: string, source: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new ConfigError(`${source} must be a port number from 0 to 65535, got "${value}"`);
  return port;
}

/** Reads --port/--host/--no-build, falling back to PORT/HOST, then 4321 on 127.0.0.1. */
export function readConfig(argv: string[], env: NodeJS.ProcessEnv): ServerConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      backend: { type: 'string' },
    },
    strict: true,
  });
  const port =
    values.port !== undefined ? parsePort(values.port, '--port') : env.PORT ? parsePort(env.PORT, 'PORT') : 4321;
  const backend = values.backend ?? env.LAB_BACKEND ?? 'auto';
  if (!['embedded', 'kind', 'auto'].includes(backend))
    throw new ConfigError(`--backend must be embedded, kind or auto, got "${backend}"`);
  return {
    port,
    host: values.host ?? env.HOST ?? '127.0.0.1',
    skipBuild: values['no-build'] ?? false,
    dataDir: values['data-dir'] ?? env.LAB_DATA_DIR ?? 'var',
    backend: backend as ServerConfig['backend'],
  };
}
