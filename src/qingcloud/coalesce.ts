import { systemClock, type Clock } from '../shared/clock.js';

/** Fetches many keys in one call; keys missing from the result resolve as undefined. */
export type BatchFetch<K, V> = (keys: K[], signal: AbortSignal) => Promise<ReadonlyMap<K, V>>;

/** Tuning of a Coalescer. */
export interface CoalescerOptions {
  clock?: Clock;
  /** How long the first lookup waits for company (default 10 ms). */
  windowMs?: number;
  /** Keys per call (default and API maximum 100); a full batch goes at once. */
  maxBatch?: number;
}

interface Pending<V> {
  resolve: (value: V | undefined) => void;
  reject: (err: unknown) => void;
}

/**
 * Turns concurrent single-key lookups within a short window into one batched call (e.g. DescribeVolumes
 * with volumes.1..N). A lookup's abort only detaches that caller; the batch still runs for the others.
 */
export class Coalescer<K, V> {
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly maxBatch: number;
  private batch = new Map<K, Pending<V>[]>();
  private timer: AbortController | undefined;

  constructor(
    private readonly fetch: BatchFetch<K, V>,
    options: CoalescerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.windowMs = options.windowMs ?? 10;
    this.maxBatch = Math.max(1, Math.min(100, options.maxBatch ?? 100));
  }

  /** The value for `key` from the next batched call, or undefined when the call did not return it. */
  get(key: K, signal?: AbortSignal): Promise<V | undefined> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<V | undefined>((resolve, reject) => {
      const onAbort = (): void => {
        const list = this.batch.get(key);
        if (list !== undefined) {
          const rest = list.filter((p) => p !== pending);
          if (rest.length > 0) this.batch.set(key, rest);
          else this.batch.delete(key);
        }
        reject(signal?.reason);
      };
      const pending: Pending<V> = {
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const list = this.batch.get(key);
      if (list !== undefined) {
        list.push(pending);
        return;
      }
      this.batch.set(key, [pending]);
      if (this.batch.size >= this.maxBatch) {
        this.flush();
      } else if (this.timer === undefined) {
        const timer = new AbortController();
        this.timer = timer;
        this.clock.sleep(this.windowMs, timer.signal).then(
          () => {
            if (this.timer === timer) this.flush();
          },
          () => undefined, // cancelled: the batch filled up and went early
        );
      }
    });
  }

  /** Sends the current batch now. */
  flush(): void {
    this.timer?.abort();
    this.timer = undefined;
    const batch = this.batch;
    this.batch = new Map();
    if (batch.size === 0) return;
    // The fetch is shared, so no single caller's signal may cancel it.
    this.fetch([...batch.keys()], new AbortController().signal).then(
      (values) => {
        for (const [key, list] of batch) for (const p of list) p.resolve(values.get(key));
      },
      (err: unknown) => {
        for (const list of batch.values()) for (const p of list) p.reject(err);
      },
    );
  }
}
