import type { Clock } from './clock.js';

/** What HeapGuard needs of the runtime: a full garbage collection, and the bytes the heap uses now. */
export interface HeapRuntime {
  collect(): void;
  usedBytes(): number;
}

/** Options of HeapGuard. */
export interface HeapGuardOptions {
  runtime: HeapRuntime;
  clock: Pick<Clock, 'now'>;
  /** Garbage allowed above what survived the last full collection (default 3 MiB). */
  slackBytes?: number;
  /** Least time between two collections it asks for (default 1 s): bounds what it costs in CPU. */
  minIntervalMs?: number;
  /** Least time between two looks at the heap (default 50 ms): on a busy path `poke` is one clock read. */
  checkEveryMs?: number;
}

/**
 * Keeps the garbage of a long-running process within `slackBytes` of its live heap by asking for a full collection
 * when the heap has grown past that. V8 (Node 20) starts its own full collection only when the heap has grown ~8 MB past
 * what survived the last one, whatever --heap-growing-percent says (seen with --trace-gc): an eighth of the CSI
 * driver's 60 MiB budget spent on garbage under bursts. A full collection of the driver's ~9 MB heap takes ~5 ms, and
 * `minIntervalMs` caps how often one runs, so a heap that really grows costs at most one collection per interval.
 */
export class HeapGuard {
  private readonly runtime: HeapRuntime;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly slackBytes: number;
  private readonly minIntervalMs: number;
  private readonly checkEveryMs: number;
  private live: number;
  private lastCollect = Number.NEGATIVE_INFINITY;
  private lastCheck = Number.NEGATIVE_INFINITY;
  private collections = 0;

  constructor(options: HeapGuardOptions) {
    this.runtime = options.runtime;
    this.clock = options.clock;
    this.slackBytes = options.slackBytes ?? 3 * 1024 * 1024;
    this.minIntervalMs = options.minIntervalMs ?? 1_000;
    this.checkEveryMs = options.checkEveryMs ?? 50;
    this.live = options.runtime.usedBytes();
  }

  /** Call on activity (an answered request, a finished cloud call); collects when the heap is past its slack. */
  poke(): void {
    const now = this.clock.now();
    if (now - this.lastCheck < this.checkEveryMs || now - this.lastCollect < this.minIntervalMs) return;
    this.lastCheck = now;
    if (this.runtime.usedBytes() <= this.live + this.slackBytes) return;
    this.runtime.collect();
    this.collections++;
    this.lastCollect = now;
    // What survived is the new baseline: a heap that really grew (more volumes indexed) moves the threshold with it.
    this.live = this.runtime.usedBytes();
  }

  /** Full collections asked for so far. */
  get collected(): number {
    return this.collections;
  }
}
