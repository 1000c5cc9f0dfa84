import type { Clock } from '../../src/shared/clock.js';

interface Sleeper {
  due: number;
  seq: number;
  resolve: () => void;
}

/** Lets every promise continuation that is already queued run (one macrotask turn; nothing waits on time). */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A Clock that only moves when a test calls advance(): sleeps resolve in due order, and code woken by one
 * sleep may start new sleeps that also resolve within the same advance. sleep(≤0) resolves at once.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private sleepers: Sleeper[] = [];

  constructor(startMs: number = Date.UTC(2024, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        due: this.current + ms,
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** Number of sleeps not yet resolved or aborted. */
  pendingSleeps(): number {
    return this.sleepers.length;
  }

  /** When the earliest pending sleep is due, or undefined when none is pending. */
  nextDue(): number | undefined {
    return this.earliest()?.due;
  }

  /** Moves time forward by `ms`, resolving due sleeps in order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.current + Math.max(0, ms);
    await flushPromises();
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.due > target) break;
      this.current = Math.max(this.current, next.due);
      this.sleepers = this.sleepers.filter((s) => s !== next);
      next.resolve();
      await flushPromises();
    }
    this.current = target;
    await flushPromises();
  }

  /** Advances to the next pending sleep (if any) and returns the ms advanced. */
  async advanceToNext(): Promise<number> {
    const next = this.earliest();
    if (next === undefined) return 0;
    const step = Math.max(0, next.due - this.current);
    await this.advance(step);
    return step;
  }

  private earliest(): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.sleepers) {
      if (best === undefined || s.due < best.due || (s.due === best.due && s.seq < best.seq)) best = s;
    }
    return best;
  }
}
