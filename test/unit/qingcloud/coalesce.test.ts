import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../../src/qingcloud/coalesce.js';
import { ManualClock } from '../../fakes/manual-clock.js';

function setup(options: { windowMs?: number; maxBatch?: number } = {}) {
  const clock = new ManualClock();
  const calls: string[][] = [];
  let failure: Error | undefined;
  const coalescer = new Coalescer<string, string>(
    async (keys) => {
      calls.push(keys);
      if (failure !== undefined) throw failure;
      return new Map(keys.filter((k) => !k.includes('missing')).map((k) => [k, `value of ${k}`]));
    },
    { clock, windowMs: 10, ...options },
  );
  return { clock, calls, coalescer, fail: (err: Error) => (failure = err) };
}

describe('Coalescer', () => {
  it('turns concurrent lookups within the window into one call with unique keys', async () => {
    const { clock, calls, coalescer } = setup();
    const results = Promise.all([coalescer.get('vol-a'), coalescer.get('vol-b'), coalescer.get('vol-a'), coalescer.get('vol-missing')]);
    await clock.advance(9);
    expect(calls).toHaveLength(0);
    await clock.advance(1);
    expect(calls).toEqual([['vol-a', 'vol-b', 'vol-missing']]);
    await expect(results).resolves.toEqual(['value of vol-a', 'value of vol-b', 'value of vol-a', undefined]);
  });

  it('starts a new batch for lookups after the window', async () => {
    const { clock, calls, coalescer } = setup();
    const first = coalescer.get('vol-a');
    await clock.advance(10);
    await first;
    const second = coalescer.get('vol-b');
    await clock.advance(10);
    await second;
    expect(calls).toEqual([['vol-a'], ['vol-b']]);
  });

  it('sends a full batch at once', async () => {
    const { clock, calls, coalescer } = setup({ maxBatch: 100 });
    const keys = Array.from({ length: 150 }, (_, i) => `vol-${i}`);
    const results = Promise.all(keys.map((k) => coalescer.get(k)));
    await clock.advance(0);
    expect(calls.map((c) => c.length)).toEqual([100]);
    await clock.advance(10);
    expect(calls.map((c) => c.length)).toEqual([100, 50]);
    await expect(results).resolves.toHaveLength(150);
    expect(clock.pendingSleeps()).toBe(0);
  });

  it('rejects every lookup of a failed batch', async () => {
    const { clock, coalescer, fail } = setup();
    fail(new Error('DescribeVolumes failed'));
    const a = coalescer.get('vol-a').catch((e: unknown) => e);
    const b = coalescer.get('vol-b').catch((e: unknown) => e);
    await clock.advance(10);
    expect(await a).toEqual(new Error('DescribeVolumes failed'));
    expect(await b).toEqual(new Error('DescribeVolumes failed'));
  });

  it('detaches an aborted caller without cancelling the batch', async () => {
    const { clock, calls, coalescer } = setup();
    const controller = new AbortController();
    const aborted = coalescer.get('vol-a', controller.signal).catch((e: unknown) => e);
    const other = coalescer.get('vol-b');
    controller.abort(new Error('cancelled'));
    expect(await aborted).toEqual(new Error('cancelled'));
    await clock.advance(10);
    await expect(other).resolves.toBe('value of vol-b');
    expect(calls).toEqual([['vol-b']]);
  });
});
