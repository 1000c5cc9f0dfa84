import { describe, expect, it } from 'vitest';
import { HeapGuard } from '../../../src/shared/heap-guard.js';
import { ManualClock } from '../../fakes/manual-clock.js';

const MiB = 1024 * 1024;

/** A heap that grows when told to and keeps `survivors` after a collection. */
class FakeHeap {
  used: number;
  survivors: number;
  looks = 0;
  collections = 0;
  constructor(used: number) {
    this.used = used;
    this.survivors = used;
  }
  collect(): void {
    this.collections++;
    this.used = this.survivors;
  }
  usedBytes(): number {
    this.looks++;
    return this.used;
  }
}

function setup(startMiB = 9): { heap: FakeHeap; clock: ManualClock; guard: HeapGuard } {
  const heap = new FakeHeap(startMiB * MiB);
  const clock = new ManualClock();
  const guard = new HeapGuard({ runtime: heap, clock, slackBytes: 2 * MiB, minIntervalMs: 500, checkEveryMs: 50 });
  return { heap, clock, guard };
}

describe('HeapGuard', () => {
  it('leaves garbage within the slack alone', async () => {
    const { heap, clock, guard } = setup();
    heap.used += 2 * MiB;
    for (let i = 0; i < 20; i++) {
      guard.poke();
      await clock.advance(100);
    }
    expect(heap.collections).toBe(0);
  });

  it('collects once the heap is past the slack, and what survived becomes the new baseline', async () => {
    const { heap, clock, guard } = setup();
    heap.survivors = 12 * MiB; // the live heap really grew (more volumes indexed)
    heap.used = 14 * MiB;
    guard.poke();
    expect(heap.collections).toBe(1);
    expect(heap.used).toBe(12 * MiB);

    await clock.advance(1_000);
    heap.used = 13.5 * MiB; // within 2 MiB of the new baseline
    guard.poke();
    expect(heap.collections).toBe(1);

    await clock.advance(50);
    heap.used = 14.5 * MiB;
    guard.poke();
    expect(heap.collections).toBe(2);
    expect(guard.collected).toBe(2);
  });

  it('asks for at most one collection per interval even when the heap stays past the slack', async () => {
    const { heap, clock, guard } = setup();
    heap.survivors = 9 * MiB;
    for (let t = 0; t < 2_000; t += 10) {
      heap.used += 1 * MiB; // a burst that allocates faster than the guard may collect
      guard.poke();
      await clock.advance(10);
    }
    expect(heap.collections).toBe(4); // 2 s at one per 500 ms
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
});
