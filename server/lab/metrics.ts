import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SessionManager } from './sessions.ts';

/** Prometheus metrics of the lab server. */
export function createMetrics(sessions: SessionManager): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'lab_sessions',
    help: 'Lab sessions by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      for (const [state, n] of Object.entries(sessions.counts())) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'lab_terminals',
    help: 'Open learner terminals',
    registers: [registry],
    collect() {
      this.set(sessions.terminals.count());
    },
  });
  const provisioning = new Histogram({
    name: 'lab_provisioning_seconds',
    help: 'Time to provision a session, per backend',
    labelNames: ['backend'],
    buckets: [0.01, 0.05, 0.1, 0.3, 1, 3, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const graderRuns = new Counter({
    name: 'lab_grader_runs_total',
    help: 'Exercise checks run',
    labelNames: ['result'],
    registers: [registry],
  });
  sessions.metrics.on('provisioned', (backend: string, seconds: number) => provisioning.observe({ backend }, seconds));
  sessions.metrics.on('grader', (result: string) => graderRuns.inc({ result }));
  return registry;
}
