import { setMaxListeners } from 'node:events';
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
  /** First poll of a job whose action has no history yet (default 300). */
  initialIntervalMs?: number;
  /** Cap of the gap between follow-up polls (default 5000). */
  maxIntervalMs?: number;
  /** Growth of the follow-up gap per poll that finds the job still running (default 2). */
  factor?: number;
  /** Jobs due within this window share one poll (default 50). */
  coalesceMs?: number;
  /** Smallest gap between two polls of a job (default 20). */
  minGapMs?: number;
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
  /** When this entry wants its next DescribeJobs. */
  nextPollAt: number;
  /** Polls due for this entry that found the job still running. */
  misses: number;
  /** Elapsed ms at the last poll that found the job still running. */
  lastMissElapsed: number;
  /** Set for a watch: the job's outcome is read from its resource instead of DescribeJobs. */
  probe?: (signal: AbortSignal) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  cleanup: () => void;
}

/** What the waiter has learnt about one job action's duration. */
interface Estimate {
  /** When to poll first, ms after the job started. */
  firstPollMs: number;
  /** A recent elapsed time at which such a job was still running (a lower bound, slowly forgotten). */
  floorMs: number;
}

/** Successive polls of a job that outlasted its estimate are this fraction of the estimate apart, growing by `factor`. */
const FOLLOW_UP_FRACTION = 0.1;
/** A first poll that finds the job done lowers the estimate by 1 %, never below the floor plus 5 %: a miss costs a call. */
const DECAY = 0.99;
const FLOOR_MARGIN = 1.05;
/** The floor is forgotten by 1 % per poll that sees jobs of the action finish, so the estimate can follow a cloud that got faster. */
const FLOOR_AGING = 0.99;

/**
 * One poller per client: every wait registers its job id, and each poll sends one DescribeJobs per 100 waiting
 * ids, fanning results out. Polls are scheduled from what the waiter learnt about each job action: the first poll
 * comes when such jobs usually finish (so most jobs take exactly one poll), follow-ups come quickly and then back
 * off. Jobs due within `coalesceMs` of each other share a poll; every poll also carries all other waiting ids.
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
  private readonly coalesceMs: number;
  private readonly minGapMs: number;
  private readonly estimates = new Map<string, Estimate>();
  /** What the current poll's answers taught so far, per job action. */
  private readonly lessons = new Map<string, { doneAtFirstPollMs: number; doneAfterMissMs: number; stillRunningMs: number }>();
  /** Each action's estimate when the current poll began. */
  private readonly tickBase = new Map<string, Estimate>();
  /** First-poll delay for an action not seen yet: what the last finished job of any action suggested. */
  private sharedFirstPollMs: number | undefined;
  private readonly closing = new AbortController();
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
    this.coalesceMs = options.coalesceMs ?? 50;
    this.minGapMs = options.minGapMs ?? 20;
    // Every in-flight DescribeJobs and probe links its request to this signal and unlinks when answered: more than ten
    // at once is a burst of creates, not a leak, and Node's leak warning would say otherwise in the operator's log.
    setMaxListeners(0, this.closing.signal);
  }

  /** Number of waits still pending. */
  pending(): number {
    let n = 0;
    for (const set of this.entries.values()) n += set.size;
    return n;
  }

  /** The delay of the first poll for a job of this action (learnt, or the initial interval). */
  firstPollDelay(jobAction: string): number {
    return this.estimates.get(jobAction)?.firstPollMs ?? this.sharedFirstPollMs ?? this.initialMs;
  }

  /**
   * Resolves with the job once DescribeJobs reports it `successful`; rejects with JobFailedError on a
   * failed status, JobTimeoutError at the deadline, the signal's reason on abort, or the DescribeJobs
   * error when that is not retryable (auth, permission, malformed: waiting longer would not help).
   * A job id DescribeJobs does not (yet) know keeps waiting until the deadline.
   */
  wait(jobId: string, options: WaitOptions = {}): Promise<Job> {
    return this.register<Job>(jobId, undefined, options);
  }

  /**
   * Waits for a job by reading its resource: `probe` runs when the job is due (learnt per action, as for `wait`) and
   * answers the result once the job's effect is visible, undefined while it runs; a non-retryable error it throws ends
   * the watch. For callers that read the resource afterwards anyway, so that read doubles as the poll.
   */
  watch<T>(jobId: string, probe: (signal: AbortSignal) => Promise<T | undefined>, options: WaitOptions = {}): Promise<T> {
    return this.register<T>(jobId, probe, options);
  }

  private register<T>(jobId: string, probe: ((signal: AbortSignal) => Promise<T | undefined>) | undefined, options: WaitOptions): Promise<T> {
    try {
      checkIds('DescribeJobs', 'job', jobId);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.closing.signal.aborted) return Promise.reject(new ClientClosedError(`wait for job ${jobId}`));
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const started = this.clock.now();
      const jobAction = options.jobAction ?? '';
      const entry: Entry = {
        jobId,
        jobAction,
        resourceIds: options.resourceIds ?? [],
        started,
        deadline: started + (options.timeoutMs ?? this.defaultTimeoutMs),
        lastStatus: undefined,
        nextPollAt: started + this.firstPollDelay(jobAction),
        misses: 0,
        lastMissElapsed: 0,
        ...(probe === undefined ? {} : { probe }),
        resolve: (value) => resolve(value as T),
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
      if (this.running) {
        if (this.sleepingUntil > Math.min(entry.nextPollAt, entry.deadline)) this.wake?.abort();
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
        const now = this.clock.now();
        let next = Infinity;
        for (const set of this.entries.values()) for (const e of set) next = Math.min(next, e.nextPollAt, e.deadline);
        const delay = Math.max(0, next - now);
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
    const now = this.clock.now();
    const due = new Set<Entry>();
    // Jobs due soon share a DescribeJobs; a watch's probe is a call of its own, so it runs only once due.
    for (const set of this.entries.values()) for (const e of set) if (e.nextPollAt <= now + (e.probe === undefined ? this.coalesceMs : 0)) due.add(e);
    const dueProbes = [...due].filter((e) => e.probe !== undefined);
    // A due DescribeJobs carries every waited job id.
    const batches: string[][] = [];
    if (dueProbes.length < due.size) {
      const ids = [...this.entries].filter(([, set]) => [...set].some((e) => e.probe === undefined)).map(([id]) => id);
      for (let i = 0; i < ids.length; i += this.batchSize) batches.push(ids.slice(i, i + this.batchSize));
    }
    await Promise.all([...batches.map((batch) => this.poll(batch, now)), ...dueProbes.map((e) => this.runProbe(e, now))]);
    this.lessons.clear();
    this.tickBase.clear();
    const after = this.clock.now();
    for (const set of [...this.entries.values()]) {
      for (const entry of set) {
        if (after >= entry.deadline) {
          this.settle(entry, () =>
            entry.reject(new JobTimeoutError(entry.jobId, entry.jobAction, entry.resourceIds, after - entry.started, entry.lastStatus)),
          );
          continue;
        }
        if (!due.has(entry)) continue;
        if (entry.nextPollAt > now) {
          // Polled ahead of its time to share the call: not a miss (no lesson, no back-off), but not polled again
          // sooner than a follow-up would be.
          const gap = Math.max(this.minGapMs, this.firstPollDelay(entry.jobAction) * FOLLOW_UP_FRACTION);
          entry.nextPollAt = Math.max(entry.nextPollAt, after + gap);
          continue;
        }
        // Still running past its estimate: follow up soon, then back off.
        entry.misses += 1;
        entry.lastMissElapsed = now - entry.started;
        const gap = this.firstPollDelay(entry.jobAction) * FOLLOW_UP_FRACTION * Math.pow(this.factor, entry.misses - 1);
        entry.nextPollAt = after + Math.min(this.maxMs, Math.max(this.minGapMs, gap));
      }
    }
  }

  /**
   * Notes what a finished job tells about its action; `sentAt` is when the poll that saw it done went out (the job was
   * done by then; the answer's own delay, long when many polls queue, is no part of it). Lessons are applied once per
   * poll, so fifty jobs seen in one poll move the estimate as far as one job would.
   */
  private learn(entry: Entry, sentAt: number): void {
    const elapsed = sentAt - entry.started;
    const lesson = this.lessons.get(entry.jobAction) ?? { doneAtFirstPollMs: Infinity, doneAfterMissMs: 0, stillRunningMs: 0 };
    if (entry.misses === 0) {
      lesson.doneAtFirstPollMs = Math.min(lesson.doneAtFirstPollMs, elapsed);
    } else {
      lesson.doneAfterMissMs = Math.max(lesson.doneAfterMissMs, elapsed);
      lesson.stillRunningMs = Math.max(lesson.stillRunningMs, entry.lastMissElapsed);
    }
    this.lessons.set(entry.jobAction, lesson);
  }

  /**
   * Sets each action's estimate from what it was when this poll began and everything the poll's answers so far taught:
   * called after each answer (so its waits resolve at once, with the new estimate), it lands where one call would.
   */
  private applyLessons(): void {
    for (const [jobAction, lesson] of this.lessons) {
      if (!this.tickBase.has(jobAction)) this.tickBase.set(jobAction, this.estimates.get(jobAction) ?? { firstPollMs: this.firstPollDelay(jobAction), floorMs: 0 });
      let { firstPollMs, floorMs } = this.tickBase.get(jobAction)!;
      if (lesson.doneAfterMissMs > 0) {
        // Some outlasted the estimate: next time poll first when the slowest of them was seen done.
        floorMs = Math.max(floorMs, lesson.stillRunningMs);
        firstPollMs = lesson.doneAfterMissMs;
      } else {
        // All done by the first poll (or earlier): they may have finished well before, so creep downwards, not below the floor.
        firstPollMs = Math.max(floorMs * FLOOR_MARGIN, Math.min(firstPollMs, lesson.doneAtFirstPollMs) * DECAY);
      }
      floorMs *= FLOOR_AGING;
      firstPollMs = Math.min(this.maxMs * 4, Math.max(this.minGapMs, firstPollMs));
      this.estimates.set(jobAction, { firstPollMs, floorMs });
      this.sharedFirstPollMs = firstPollMs;
    }
  }

  private async runProbe(entry: Entry, sentAt: number): Promise<void> {
    let result: unknown;
    try {
      result = await entry.probe?.(this.closing.signal);
    } catch (err) {
      if (this.closing.signal.aborted) return;
      if (classifyFailure(err) === 'fatal') this.settle(entry, () => entry.reject(err));
      else this.logger.warn({ err: messageOf(err), job: entry.jobId }, 'reading the resource of a job failed; the job waiter keeps polling');
      return;
    }
    if (result === undefined) return;
    this.learn(entry, sentAt);
    this.applyLessons();
    this.settle(entry, () => entry.resolve(result));
  }

  private async poll(batch: string[], sentAt: number): Promise<void> {
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
    const succeeded: [Entry, Job][] = [];
    for (const id of batch) {
      const job = byId.get(id);
      if (job === undefined) continue;
      for (const entry of [...(this.entries.get(id) ?? [])]) {
        if (entry.probe !== undefined) continue;
        entry.lastStatus = job.status;
        if (job.status === 'successful') {
          this.learn(entry, sentAt);
          succeeded.push([entry, job]);
        } else if (FAILED_JOB_STATUSES.has(job.status)) {
          const resources = entry.resourceIds.length > 0 ? entry.resourceIds : jobResourceIds(job);
          this.settle(entry, () => entry.reject(new JobFailedError(id, job.job_action || entry.jobAction, resources, job.status)));
        }
      }
    }
    // Learn before resolving, so a caller that starts its next job at once already gets the new estimate.
    this.applyLessons();
    for (const [entry, job] of succeeded) this.settle(entry, () => entry.resolve(job));
  }
}
