import { clusterUp, clusterUpUsage } from './cluster-up.ts';

const usage = `Usage: labs <command>

Commands:
  cluster up    start one embedded cluster and write its kubeconfig

${clusterUpUsage}`;

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === 'cluster' && sub === 'up') {
    await clusterUp(rest);
    return -1; // keeps running
  }
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(usage);
    return 0;
  }
  console.error(`labs: unknown command "${[command, sub].filter(Boolean).join(' ')}"\n\n${usage}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    console.error(`labs: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
