import type { Logger } from 'pino';
import { systemClock, type Clock } from '../shared/clock.js';
import { messageOf } from '../shared/errors.js';
import { silentLogger } from '../shared/log.js';
import { jobResourceIds, type Job } from './actions/jobs.js';
import { ClientClosedError, JobFailedError, JobTimeoutError } from './errors.js';
import { checkIds } from './ids.js';
import { classifyFailure } from './retry.js';

/** Fetches the given jobs (≤ batchSize ids) with one DescribeJobs call. */
export type DescribeJobsFn = (jobIds: string[], signal: AbortSignal) => Promise<Job[]>;

/** Tuning of the JobWaiter; all durations in ms. */
export interface JobWaiterOptions {
  clock?: Clock;
  logger?: Logger;
  /** First poll after a registration (default 300). */
  initialIntervalMs?: number;
  /** Poll interval cap (default 5000). */
  maxIntervalMs?: number;
  /** Interval growth per tick (default 2). */
  factor?: number;
  /** Ids per DescribeJobs call (default and API maximum 100). */
  batchSize?: number;
  /** Deadline of a wait that names none (default 180 000, the Go SDK's). */
  defaultTimeoutMs?: number;
}

/** Options of one wait. */
export interface WaitOptions {
  /** The action that started the job, for error messages (DescribeJobs' own job_action wins when known). */
  jobAction?: string;
  resourceIds?: readonly string[];
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Statuses that end a job without success. */
export const FAILED_JOB_STATUSES: ReadonlySet<string> = new Set(['failed', 'done with failure']);

interface Entry {
  jobId: string;
  jobAction: string;
  resourceIds: readonly string[];
  started: number;
  deadline: number;
  lastStatus: string | undefined;
  resolve: (job: Job) => void;
  reject: (err: unknown) => void;
  cleanup: () => void;
}

/**
 * One poller per client: every wait registers its job id, and each tick sends one DescribeJobs per 100
 * waiting ids, fanning results out to the waiters. The interval starts short, backs off to a cap, and is
 * reset by each new registration; the loop ends when nothing is waiting.
 */
export class JobWaiter {
  private readonly entries = new Map<string, Set<Entry>>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly batchSize: number;
  private readonly defaultTimeoutMs: number;
  private readonly closing = new AbortController();
  private interval: number;
  private resetPending = false;
  private running = false;
  private wake: AbortController | undefined;
  private sleepingUntil = Infinity;

  constructor(
    private readonly describe: DescribeJobsFn,
    options: JobWaiterOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
    this.initialMs = options.initialIntervalMs ?? 300;
    this.maxMs = options.maxIntervalMs ?? 5_000;
    this.factor = options.factor ?? 2;
    this.batchSize = Math.max(1, Math.min(100, options.batchSize ?? 100));
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 180_000;
    this.interval = this.initialMs;
  }

  /** Number of waits still pending. */
  pending(): number {
    let n = 0;
    for (const set of this.entries.values()) n += set.size;
    return n;
  }

  /**
   * Resolves with the job once DescribeJobs reports it `successful`; rejects with JobFailedError on a
   * failed status, JobTimeoutError at the deadline, the signal's reason on abort, or the DescribeJobs
   * error when that is not retryable (auth, permission, malformed: waiting longer would not help).
   * A job id DescribeJobs does not (yet) know keeps waiting until the deadline.
   */
  wait(jobId: string, options: WaitOptions = {}): Promise<Job> {
    try {
      checkIds('DescribeJobs', 'job', jobId);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.closing.signal.aborted) return Promise.reject(new ClientClosedError(`wait for job ${jobId}`));
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<Job>((resolve, reject) => {
      const started = this.clock.now();
      const entry: Entry = {
        jobId,
        jobAction: options.jobAction ?? '',
        resourceIds: options.resourceIds ?? [],
        started,
        deadline: started + (options.timeoutMs ?? this.defaultTimeoutMs),
        lastStatus: undefined,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      const onAbort = (): void => this.settle(entry, () => reject(signal?.reason));
      signal?.addEventListener('abort', onAbort, { once: true });
      let set = this.entries.get(jobId);
      if (set === undefined) {
        set = new Set();
        this.entries.set(jobId, set);
      }
      set.add(entry);
      this.resetPending = true;
      if (this.running) {
        if (this.sleepingUntil > this.clock.now() + this.initialMs) this.wake?.abort();
      } else {
        void this.loop();
      }
    });
  }

  /** Rejects every pending wait with ClientClosedError and stops the loop. */
  close(): void {
    if (this.closing.signal.aborted) return;
    this.closing.abort(new ClientClosedError('job wait'));
    for (const set of [...this.entries.values()]) {
      for (const entry of set) this.settle(entry, () => entry.reject(new ClientClosedError(`wait for job ${entry.jobId}`)));
    }
    this.wake?.abort();
  }

  private settle(entry: Entry, finish: () => void): void {
    const set = this.entries.get(entry.jobId);
    if (set === undefined || !set.delete(entry)) return;
    if (set.size === 0) this.entries.delete(entry.jobId);
    entry.cleanup();
    finish();
    // Nothing left: cut the current sleep short so the loop ends now.
    if (this.entries.size === 0) this.wake?.abort();
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.entries.size > 0 && !this.closing.signal.aborted) {
        if (this.resetPending) {
          this.interval = this.initialMs;
          this.resetPending = false;
        }
        const now = this.clock.now();
        let earliest = Infinity;
        for (const set of this.entries.values()) for (const e of set) earliest = Math.min(earliest, e.deadline);
        const delay = Math.max(0, Math.min(this.interval, earliest - now));
        this.wake = new AbortController();
        this.sleepingUntil = now + delay;
        try {
          await this.clock.sleep(delay, this.wake.signal);
        } catch {
          continue; // woken: a new registration, the last waiter left, or close
        } finally {
          this.sleepingUntil = Infinity;
        }
        if (this.entries.size === 0) break;
        await this.tick();
        this.interval = Math.min(this.maxMs, this.interval * this.factor);
      }
    } catch (err) {
      this.logger.error({ err: messageOf(err) }, 'QingCloud job waiter loop failed');
      for (const set of [...this.entries.values()]) for (const entry of set) this.settle(entry, () => entry.reject(err));
    } finally {
      this.running = false;
      this.wake = undefined;
    }
    // A wait registered while the loop was finishing must not be stranded.
    if (this.entries.size > 0 && !this.closing.signal.aborted) void this.loop();
  }

  private async tick(): Promise<void> {
    const ids = [...this.entries.keys()];
    const batches: string[][] = [];
    for (let i = 0; i < ids.length; i += this.batchSize) batches.push(ids.slice(i, i + this.batchSize));
    await Promise.all(batches.map((batch) => this.poll(batch)));
    const now = this.clock.now();
    for (const set of [...this.entries.values()]) {
      for (const entry of set) {
        if (now < entry.deadline) continue;
        this.settle(entry, () =>
          entry.reject(new JobTimeoutError(entry.jobId, entry.jobAction, entry.resourceIds, now - entry.started, entry.lastStatus)),
        );
      }
    }
  }

  private async poll(batch: string[]): Promise<void> {
    let jobs: Job[];
    try {
      jobs = await this.describe(batch, this.closing.signal);
    } catch (err) {
      if (this.closing.signal.aborted) return;
      if (classifyFailure(err) === 'fatal') {
        for (const id of batch) for (const entry of [...(this.entries.get(id) ?? [])]) this.settle(entry, () => entry.reject(err));
      } else {
        this.logger.warn({ err: messageOf(err), jobs: batch.length }, 'DescribeJobs failed; the job waiter keeps polling');
      }
      return;
    }
    const byId = new Map(jobs.map((job) => [job.job_id, job]));
    for (const id of batch) {
      const job = byId.get(id);
      if (job === undefined) continue;
      for (const entry of [...(this.entries.get(id) ?? [])]) {
        entry.lastStatus = job.status;
        if (job.status === 'successful') {
          this.settle(entry, () => entry.resolve(job));
        } else if (FAILED_JOB_STATUSES.has(job.status)) {
          const resources = entry.resourceIds.length > 0 ? entry.resourceIds : jobResourceIds(job);
          this.settle(entry, () => entry.reject(new JobFailedError(id, job.job_action || entry.jobAction, resources, job.status)));
        }
      }
    }
  }
}
