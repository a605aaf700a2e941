import type { Store } from '../storage/store.ts';
import { yieldToOthers, type Controller } from './context.ts';

/**
 * Runs controllers when the resources they watch change. Changes are coalesced:
 * a burst of writes wakes each controller once, after the burst.
 */
export class ControllerManager {
  private readonly controllers: Controller[];
  private readonly dirty = new Set<Controller>();
  private scheduled = false;
  private running = false;
  private stopped = false;
  private unsubscribe: () => void = () => {};
  private idleWaiters: Array<() => void> = [];

  constructor(controllers: Controller[]) {
    this.controllers = controllers;
  }

  start(store: Store): void {
    this.unsubscribe = store.subscribe((event) => {
      for (const c of this.controllers) {
        if (c.watches.includes('*') || c.watches.includes(event.resource)) this.dirty.add(c);
      }
      this.schedule();
    });
    for (const c of this.controllers) this.dirty.add(c);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    this.dirty.clear();
    this.resolveIdle();
  }

  /** Resolves when no controller has pending work (tests and persistence use it). */
  idle(): Promise<void> {
    if (!this.scheduled && !this.running && this.dirty.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private resolveIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private schedule(): void {
    if (this.scheduled || this.running || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      for (let round = 0; this.dirty.size > 0 && !this.stopped; round++) {
        // Controllers that keep waking each other must not starve requests and timers.
        if (round > 0 && round % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
        const batch = [...this.dirty];
        this.dirty.clear();
        for (const controller of batch) {
          try {
            await controller.sync();
          } catch (error) {
            console.error(`embedded cluster: controller ${controller.name} failed`, error);
          }
          await yieldToOthers();
        }
      }
    } finally {
      this.running = false;
      if (this.dirty.size > 0 && !this.stopped) this.schedule();
      else this.resolveIdle();
    }
  }
}
