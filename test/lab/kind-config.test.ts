import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../server/config.ts';

describe('kind server flags', () => {
  it('reads the warm pool, create slots, memory budget and the shared-host opt-in', () => {
    const c = readConfig(
      [
        '--kind-warm-pool',
        'sign-and-verify=2,etcd-encryption=1',
        '--kind-max-creates',
        '3',
        '--kind-memory-budget',
        '12G',
        '--kind-shared-host',
      ],
      {},
    );
    expect(c.kindWarmPool).toEqual({ 'sign-and-verify': 2, 'etcd-encryption': 1 });
    expect(c.kindMaxCreates).toBe(3);
    expect(c.kindMemoryBudget).toBe(12 * 1024 ** 3);
    expect(c.kindSharedHost).toBe(true);
    const defaults = readConfig([], {});
    expect([defaults.kindSharedHost, defaults.kindMaxCreates, defaults.kindMemoryBudget]).toEqual([
      false,
      2,
      undefined,
    ]);
    expect(readConfig([], { LAB_KIND_SHARED_HOST: '1' }).kindSharedHost).toBe(true);
  });

  it('refuses a malformed warm pool', () => {
    expect(() => readConfig(['--kind-warm-pool', 'sign-and-verify'], {})).toThrow(ConfigError);
  });
});
