import { describe, expect, it } from 'vitest';
import { chooseVxnet, decidePool, freeNicSlots, type PoolPolicyConfig, type PoolStats } from '../../../../src/cni/daemon/pool-policy.js';

const config: PoolPolicyConfig = { low: 3, high: 5, cooldownMs: 60_000, maxPods: 60, maxSecondaryNics: 63 };
const idle = (n: number, since = 0): PoolStats['idle'] => Array.from({ length: n }, (_, i) => ({ nicId: `n${i}`, idleSinceMs: since + i }));
const stats = (s: Partial<PoolStats>): PoolStats => ({ idle: [], inFlight: 0, ownedNics: 0, foreignNics: 0, pods: 0, ...s });

describe('decidePool', () => {
  it('refills up to the high mark in one batch when below the low mark', () => {
    expect(decidePool(stats({ idle: idle(2), ownedNics: 2 }), config, 0).actions).toEqual([{ kind: 'refill', count: 3 }]);
  });

  it('counts NICs in flight as on their way into the pool', () => {
    expect(decidePool(stats({ idle: idle(1), inFlight: 2, ownedNics: 3 }), config, 0).actions).toEqual([]);
  });

  it('does nothing between the marks', () => {
    expect(decidePool(stats({ idle: idle(4), ownedNics: 4 }), config, 0)).toEqual({ actions: [], recheckAtMs: undefined });
  });

  it('never refills beyond the free NIC slots of the instance', () => {
    expect(decidePool(stats({ idle: idle(0), ownedNics: 60, foreignNics: 1, pods: 59 }), { ...config, maxPods: 63 }, 0).actions).toEqual([{ kind: 'refill', count: 2 }]);
    expect(freeNicSlots({ ownedNics: 62, foreignNics: 1 }, config)).toBe(0);
  });

  it('does not refill NICs that no pod could use at the pod limit', () => {
    expect(decidePool(stats({ idle: idle(1), ownedNics: 59, pods: 58 }), config, 0).actions).toEqual([{ kind: 'refill', count: 1 }]);
    expect(decidePool(stats({ idle: idle(0), ownedNics: 60, pods: 60 }), config, 0).actions).toEqual([]);
  });

  it('shrinks only the surplus idle longest, once their cooldown passed, and says when to look again', () => {
    const s = stats({ idle: [{ nicId: 'old', idleSinceMs: 0 }, { nicId: 'new', idleSinceMs: 50_000 }, ...idle(5, 100_000)], ownedNics: 7 });
    expect(decidePool(s, config, 59_999)).toEqual({ actions: [], recheckAtMs: 60_000 });
    expect(decidePool(s, config, 60_000)).toEqual({ actions: [{ kind: 'shrink', nicIds: ['old'] }], recheckAtMs: 110_000 });
    expect(decidePool(s, config, 110_000).actions).toEqual([{ kind: 'shrink', nicIds: ['old', 'new'] }]);
  });
});

describe('chooseVxnet', () => {
  it('picks the vxnet with the most free addresses, ties in config order', () => {
    expect(chooseVxnet(['a', 'b', 'c'], new Map([['a', 3], ['b', 9], ['c', 9]]))).toBe('b');
  });

  it('skips full vxnets and those marked full, and answers undefined when all are', () => {
    expect(chooseVxnet(['a', 'b'], new Map([['a', 0], ['b', 2]]))).toBe('b');
    expect(chooseVxnet(['a', 'b'], new Map([['a', 1], ['b', 2]]), new Set(['b']))).toBe('a');
    expect(chooseVxnet(['a', 'b'], new Map([['a', 0]]))).toBeUndefined();
  });
});
