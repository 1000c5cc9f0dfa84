import { describe, expect, it } from 'vitest';
import { HeapGuard, type HeapGuardOptions } from '../../../src/shared/heap-guard.js';
import { ManualClock } from '../../fakes/manual-clock.js';

const MiB = 1024 * 1024;

/** A heap that grows when told to and keeps `survivors` after a collection. */
class FakeHeap {
  used: number;
  survivors: number;
  looks = 0;
  collections = 0;
  failLooks = false;
  constructor(used: number) {
    this.used = used;
    this.survivors = used;
  }
  collect(): void {
    this.collections++;
    this.used = this.survivors;
  }
  usedBytes(): number {
    if (this.failLooks) throw Object.assign(new Error('EMFILE: too many open files, open /proc/self/stat'), { code: 'EMFILE' });
    this.looks++;
    return this.used;
  }
}

function setup(startMiB = 9, options: Partial<HeapGuardOptions> = {}): { heap: FakeHeap; clock: ManualClock; guard: HeapGuard; deferred: (() => void)[]; runDeferred: () => void } {
  const heap = new FakeHeap(startMiB * MiB);
  const clock = new ManualClock();
  const deferred: (() => void)[] = [];
  const guard = new HeapGuard({ runtime: heap, clock, defer: (run) => deferred.push(run), slackBytes: 2 * MiB, minIntervalMs: 500, checkEveryMs: 50, ...options });
  const runDeferred = (): void => {
    for (const run of deferred.splice(0)) run();
  };
  return { heap, clock, guard, deferred, runDeferred };
}

describe('HeapGuard', () => {
  it('leaves garbage within the slack alone', async () => {
    const { heap, clock, guard, deferred } = setup();
    guard.poke(); // the first look sets the baseline
    heap.used += 2 * MiB;
    for (let i = 0; i < 20; i++) {
      await clock.advance(100);
      guard.poke();
    }
    expect(deferred).toHaveLength(0);
    expect(heap.collections).toBe(0);
  });

  it('collects after the work in progress, not within the call that noticed the heap past its slack', async () => {
    let collected = 0;
    const { heap, clock, guard, deferred, runDeferred } = setup(9, { onCollected: () => collected++ });
    guard.poke();
    await clock.advance(100);
    heap.used = 12 * MiB;
    guard.poke();
    expect(heap.collections).toBe(0); // the answer being written is not held up
    expect(deferred).toHaveLength(1);
    runDeferred();
    expect(heap.collections).toBe(1);
    expect(guard.collected).toBe(1);
    expect(collected).toBe(1);
  });

  it('takes what survived a collection as the new baseline, so a live heap that really grew does not collect again', async () => {
    const { heap, clock, guard, runDeferred } = setup();
    guard.poke();
    await clock.advance(100);
    heap.survivors = 12 * MiB; // more volumes indexed
    heap.used = 14 * MiB;
    guard.poke();
    runDeferred();
    expect(heap.used).toBe(12 * MiB);

    await clock.advance(1_000);
    heap.used = 13.5 * MiB; // within 2 MiB of the new baseline
    guard.poke();
    runDeferred();
    expect(heap.collections).toBe(1);

    await clock.advance(50);
    heap.used = 14.5 * MiB;
    guard.poke();
    runDeferred();
    expect(heap.collections).toBe(2);
  });

  it('lowers its baseline when V8 collected by itself, so garbage is bounded from what really survived', async () => {
    const { heap, clock, guard, runDeferred } = setup(12);
    guard.poke(); // baseline 12 MiB, start-up garbage included
    await clock.advance(100);
    heap.used = 8 * MiB; // V8's own collection
    guard.poke();
    await clock.advance(100);
    heap.used = 10.5 * MiB; // 2.5 MiB of garbage: past the slack from 8, not from 12
    guard.poke();
    runDeferred();
    expect(heap.collections).toBe(1);
  });

  it('asks for at most one collection per interval even when the heap stays past the slack', async () => {
    const { heap, clock, guard, runDeferred } = setup();
    heap.survivors = 9 * MiB;
    for (let t = 0; t < 2_000; t += 10) {
      heap.used += 1 * MiB; // a burst that allocates faster than the guard may collect
      guard.poke();
      runDeferred();
      await clock.advance(10);
    }
    expect(heap.collections).toBe(4); // 2 s at one per 500 ms
  });

  it('schedules one collection however often it is poked before that collection ran', async () => {
    const { heap, clock, guard, deferred } = setup(9, { minIntervalMs: 0 });
    guard.poke();
    await clock.advance(50);
    heap.used = 20 * MiB;
    for (let i = 0; i < 5; i++) {
      guard.poke();
      await clock.advance(50);
    }
    expect(deferred).toHaveLength(1);
  });

  it('looks at the heap at most once per check period on a busy path', async () => {
    const { heap, clock, guard } = setup();
    const before = heap.looks;
    for (let i = 0; i < 1_000; i++) guard.poke(); // a thousand answers within one millisecond
    expect(heap.looks - before).toBe(1);
    await clock.advance(50);
    guard.poke();
    expect(heap.looks - before).toBe(2);
  });

  it('skips a look that fails and never throws into the caller', async () => {
    const { heap, clock, guard, deferred } = setup();
    heap.failLooks = true;
    expect(() => guard.poke()).not.toThrow();
    heap.failLooks = false;
    await clock.advance(50);
    guard.poke();
    await clock.advance(50);
    heap.used += 3 * MiB;
    guard.poke();
    expect(deferred).toHaveLength(1);
  });

  it('keeps looking after the wall clock was set back', () => {
    const heap = new FakeHeap(9 * MiB);
    let now = 1_000_000;
    const deferred: (() => void)[] = [];
    const guard = new HeapGuard({ runtime: heap, clock: { now: () => now }, defer: (run) => deferred.push(run), slackBytes: 2 * MiB, minIntervalMs: 500, checkEveryMs: 50 });
    guard.poke();
    now -= 3_600_000; // NTP stepped the clock an hour back
    heap.used += 3 * MiB;
    guard.poke();
    expect(deferred).toHaveLength(1);
  });
});
