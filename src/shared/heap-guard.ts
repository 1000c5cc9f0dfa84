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
  /** Runs a collection after the work in progress (default setImmediate): an answer being written is not held up. */
  defer?: (run: () => void) => void;
  /** Garbage allowed above what survived the last full collection (default 3 MiB). */
  slackBytes?: number;
  /** Least time between two collections it asks for (default 1 s): bounds what it costs in CPU. */
  minIntervalMs?: number;
  /** Least time between two looks at the heap (default 50 ms): on a busy path `poke` is one clock read. */
  checkEveryMs?: number;
  /** Called after each collection it asked for (metrics). */
  onCollected?: () => void;
}

/**
 * Keeps the garbage of a long-running process within `slackBytes` of its live heap by asking for a full collection
 * when the heap has grown past that. V8 (Node 20) starts its own full collection only when the heap has grown ~8 MB past
 * what survived the last one, whatever --heap-growing-percent says (seen with --trace-gc): an eighth of the CSI
 * driver's 60 MiB budget spent on garbage under bursts. A full collection of the driver's ~9 MB heap takes ~5-15 ms,
 * and `minIntervalMs` caps how often one runs, so a heap that really grows costs at most one collection per interval.
 * Never throws: a look at the heap that fails is skipped.
 */
export class HeapGuard {
  private readonly runtime: HeapRuntime;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly defer: (run: () => void) => void;
  private readonly slackBytes: number;
  private readonly minIntervalMs: number;
  private readonly checkEveryMs: number;
  private readonly onCollected: () => void;
  /** The smallest heap seen since the last collection it asked for: what survived, or less after V8's own. */
  private live = Number.POSITIVE_INFINITY;
  private lastCollect = Number.NEGATIVE_INFINITY;
  private lastCheck = Number.NEGATIVE_INFINITY;
  private scheduled = false;
  private collections = 0;

  constructor(options: HeapGuardOptions) {
    this.runtime = options.runtime;
    this.clock = options.clock;
    this.defer = options.defer ?? ((run) => void setImmediate(run));
    this.slackBytes = options.slackBytes ?? 3 * 1024 * 1024;
    this.minIntervalMs = options.minIntervalMs ?? 1_000;
    this.checkEveryMs = options.checkEveryMs ?? 50;
    this.onCollected = options.onCollected ?? (() => undefined);
  }

  /** Call on activity (an answered request, a finished cloud call); schedules a collection when the heap is past its slack. */
  poke(): void {
    const now = this.clock.now();
    if (now < this.lastCheck) this.lastCheck = this.lastCollect = Number.NEGATIVE_INFINITY; // the wall clock was set back
    if (this.scheduled || now - this.lastCheck < this.checkEveryMs || now - this.lastCollect < this.minIntervalMs) return;
    this.lastCheck = now;
    const used = this.used();
    if (used === undefined) return;
    // heapUsed is never below the live heap, so the smallest reading is the best baseline (V8 may have collected itself)
    this.live = Math.min(this.live, used);
    if (used <= this.live + this.slackBytes) return;
    this.scheduled = true;
    this.lastCollect = now;
    this.defer(() => this.collectNow());
  }

  /** Full collections asked for so far. */
  get collected(): number {
    return this.collections;
  }

  private collectNow(): void {
    this.scheduled = false;
    try {
      this.runtime.collect();
    } catch {
      return; // a runtime without gc after all: nothing to bound, nothing to count
    }
    this.collections++;
    // What survived is the new baseline: a heap that really grew (more volumes indexed) moves the threshold with it.
    this.live = this.used() ?? Number.POSITIVE_INFINITY;
    this.onCollected();
  }

  private used(): number | undefined {
    try {
      return this.runtime.usedBytes();
    } catch {
      return undefined; // process.memoryUsage() reads /proc and throws EMFILE when descriptors run out
    }
  }
}
