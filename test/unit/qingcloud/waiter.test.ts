import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../../src/qingcloud/actions/jobs.js';
import { ClientClosedError, JobFailedError, JobTimeoutError, QingCloudApiError, QingCloudTransportError } from '../../../src/qingcloud/errors.js';
import { JobWaiter } from '../../../src/qingcloud/waiter.js';
import { ManualClock, flushPromises } from '../../fakes/manual-clock.js';

/** A fake DescribeJobs over a status table; records the ids of each call. */
class FakeJobs {
  readonly status = new Map<string, string>();
  readonly calls: string[][] = [];
  failWith: Error | undefined;

  readonly describe = async (ids: string[]): Promise<Job[]> => {
    this.calls.push(ids);
    if (this.failWith !== undefined) throw this.failWith;
    return ids
      .filter((id) => this.status.has(id))
      .map((id) => ({ job_id: id, job_action: 'AttachVolumes', status: this.status.get(id)!, resource_ids: 'vol-1 i-1' }));
  };
}

const ids = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `j-${String(i + from).padStart(8, '0')}`);

let clock: ManualClock;
let waiter: JobWaiter;

afterEach(() => {
  waiter.close();
  expect(waiter.pending()).toBe(0);
});

function setup(options: ConstructorParameters<typeof JobWaiter>[1] = {}): FakeJobs {
  clock = new ManualClock();
  const jobs = new FakeJobs();
  waiter = new JobWaiter(jobs.describe, { clock, initialIntervalMs: 300, maxIntervalMs: 5000, factor: 2, ...options });
  return jobs;
}

describe('JobWaiter', () => {
  it('lets 50 concurrent waits share one DescribeJobs per poll', async () => {
    const jobs = setup();
    const jobIds = ids(50);
    for (const id of jobIds) jobs.status.set(id, 'working');
    const waits = jobIds.map((id) => waiter.wait(id, { timeoutMs: 60_000 }));
    await clock.advance(300);
    expect(jobs.calls).toHaveLength(1);
    expect(jobs.calls[0]).toHaveLength(50);
    for (const id of jobIds) jobs.status.set(id, 'successful');
    await clock.advance(30); // follow-up comes quickly after a miss: 10 % of the estimate
    expect(jobs.calls).toHaveLength(2);
    const done = await Promise.all(waits);
    expect(done.map((j) => j.job_id)).toEqual(jobIds);
    expect(waiter.pending()).toBe(0);
    expect(clock.pendingSleeps()).toBe(0); // the loop stopped
  });

  it('follows up on a job that outlasts its estimate quickly, then backs off to the cap', async () => {
    const jobs = setup({ maxIntervalMs: 100 });
    jobs.status.set('j-a', 'working');
    const a = waiter.wait('j-a', { jobAction: 'AttachVolumes', timeoutMs: 600_000 });
    await clock.advance(300);
    await clock.advance(30);
    await clock.advance(60);
    expect(jobs.calls).toHaveLength(3);
    await clock.advance(100); // 120 capped at 100
    expect(jobs.calls).toHaveLength(4);
    await clock.advance(100);
    expect(jobs.calls).toHaveLength(5);
    jobs.status.set('j-a', 'successful');
    await clock.advance(100);
    await expect(a).resolves.toMatchObject({ job_id: 'j-a' });
  });

  it('learns when jobs of an action finish, so the next one takes a single poll', async () => {
    const jobs = setup();
    jobs.status.set('j-a', 'working');
    const a = waiter.wait('j-a', { jobAction: 'AttachVolumes', timeoutMs: 60_000 });
    await clock.advance(300); // miss
    await clock.advance(30); // miss
    jobs.status.set('j-a', 'successful');
    await clock.advance(60); // done at 390 ms
    await a;
    expect(waiter.firstPollDelay('AttachVolumes')).toBe(390);
    const before = jobs.calls.length;
    jobs.status.set('j-b', 'successful');
    const b = waiter.wait('j-b', { jobAction: 'AttachVolumes', timeoutMs: 60_000 });
    await clock.advance(389);
    expect(jobs.calls.length).toBe(before); // no poll before the learnt duration
    await clock.advance(1);
    await expect(b).resolves.toMatchObject({ job_id: 'j-b' });
    expect(jobs.calls.length).toBe(before + 1);
    // Done at the first poll: the estimate creeps down, but not below what was seen still running (330 ms).
    expect(waiter.firstPollDelay('AttachVolumes')).toBeLessThan(390);
    expect(waiter.firstPollDelay('AttachVolumes')).toBeGreaterThanOrEqual(330 * 0.99 * 1.05 * 0.99);
    // An action never seen starts from what the last finished job suggested.
    expect(waiter.firstPollDelay('DetachVolumes')).toBe(waiter.firstPollDelay('AttachVolumes'));
  });

  it('watches a job through its resource: the probe is the only poll, and its timing is learnt as for jobs', async () => {
    const jobs = setup();
    let visible: string | undefined = undefined;
    let probes = 0;
    const probe = async (): Promise<string | undefined> => {
      probes += 1;
      return visible;
    };
    const watched = waiter.watch('j-w', probe, { jobAction: 'CreateVolumes', timeoutMs: 60_000 });
    await clock.advance(300);
    expect(probes).toBe(1);
    visible = 'available';
    await clock.advance(30);
    await expect(watched).resolves.toBe('available');
    expect(probes).toBe(2);
    expect(jobs.calls).toHaveLength(0); // no DescribeJobs for a watched job
    expect(waiter.firstPollDelay('CreateVolumes')).toBe(330);
  });

  it('keeps a watch polling through retryable probe errors and ends it on a final one', async () => {
    setup();
    let failure: Error = new QingCloudTransportError('DescribeVolumes', 'connection reset');
    const watched = waiter
      .watch(
        'j-w',
        async () => {
          throw failure;
        },
        { timeoutMs: 60_000 },
      )
      .catch((e: unknown) => e);
    await clock.advance(300);
    expect(waiter.pending()).toBe(1);
    failure = new Error('volume vol-1 went to status ceased');
    await clock.advance(30);
    expect(await watched).toBe(failure);
  });

  it('lets more than ten probes link to its closing signal at once without a listener-leak warning', async () => {
    setup();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const unlinks: (() => void)[] = [];
      const probe = (signal: AbortSignal): Promise<string | undefined> => {
        const onAbort = (): void => undefined;
        signal.addEventListener('abort', onAbort); // as the transport links each request to the caller's signal
        unlinks.push(() => signal.removeEventListener('abort', onAbort));
        return Promise.resolve('done');
      };
      const watched = Array.from({ length: 30 }, (_, i) => waiter.watch(`j-w${i}`, probe, { timeoutMs: 60_000 }));
      await clock.advance(300);
      await Promise.all(watched);
      await new Promise((r) => setImmediate(r)); // process warnings are emitted on a later tick
      for (const unlink of unlinks) unlink();
      expect(unlinks).toHaveLength(30);
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('runs a watch only when it is due: a probe is a call of its own, so it never rides along early', async () => {
    const jobs = setup();
    jobs.status.set('j-a', 'successful');
    let probes = 0;
    const a = waiter.wait('j-a', { timeoutMs: 60_000 });
    await clock.advance(40);
    const watched = waiter.watch('j-w', async () => (++probes, 'done'), { timeoutMs: 60_000 });
    await clock.advance(260); // t=300: the job is polled; the watch, due at 340, is not probed yet
    await a;
    expect(probes).toBe(0);
    await clock.advance(40);
    await expect(watched).resolves.toBe('done');
    expect(probes).toBe(1);
  });

  it('leaves watched jobs out of the DescribeJobs of waited ones', async () => {
    const jobs = setup();
    jobs.status.set('j-a', 'successful');
    const watched = waiter.watch('j-w', async () => undefined, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    const waited = waiter.wait('j-a', { timeoutMs: 60_000 });
    await clock.advance(300);
    await expect(waited).resolves.toMatchObject({ job_id: 'j-a' });
    expect(jobs.calls).toEqual([['j-a']]);
    waiter.close();
    expect(await watched).toBeInstanceOf(ClientClosedError);
  });

  it('learns from when the poll that saw a job done was sent, not from its slow answer', async () => {
    clock = new ManualClock();
    const slowDescribe = async (jobIds: string[]): Promise<Job[]> => {
      await clock.advance(100); // the answer queues behind many others
      return jobIds.map((id) => ({ job_id: id, job_action: 'AttachVolumes', status: 'successful', resource_ids: '' }));
    };
    waiter = new JobWaiter(slowDescribe, { clock, initialIntervalMs: 300 });
    const done = waiter.wait('j-a', { jobAction: 'AttachVolumes', timeoutMs: 60_000 });
    await clock.advance(300);
    await done;
    expect(waiter.firstPollDelay('AttachVolumes')).toBe(300 * 0.99);
  });

  it('moves the estimate as far for fifty jobs seen done in one poll as for one', async () => {
    const jobs = setup();
    const jobIds = ids(50);
    for (const id of jobIds) jobs.status.set(id, 'successful');
    const all = Promise.all(jobIds.map((id) => waiter.wait(id, { jobAction: 'AttachVolumes', timeoutMs: 60_000 })));
    await clock.advance(300);
    await all;
    expect(jobs.calls).toHaveLength(1);
    expect(waiter.firstPollDelay('AttachVolumes')).toBe(300 * 0.99);
  });

  it('does not count a job polled ahead of its time (to share a call) as a miss: it is polled again at its own time', async () => {
    const jobs = setup();
    jobs.status.set('j-a', 'successful');
    jobs.status.set('j-b', 'working');
    const a = waiter.wait('j-a', { jobAction: 'AttachVolumes', timeoutMs: 60_000 });
    await clock.advance(40);
    const b = waiter.wait('j-b', { jobAction: 'AttachVolumes', timeoutMs: 60_000 });
    await clock.advance(260); // t=300: a is due, b (due at 340) rides along and is still running
    await a;
    expect(jobs.calls).toEqual([['j-a', 'j-b']]);
    jobs.status.set('j-b', 'successful');
    await clock.advance(39);
    expect(jobs.calls).toHaveLength(1);
    await clock.advance(1); // its own time, not a backed-off follow-up
    await expect(b).resolves.toMatchObject({ job_id: 'j-b' });
    expect(jobs.calls).toHaveLength(2);
    expect(waiter.firstPollDelay('AttachVolumes')).toBeLessThan(300);
  });

  it('resolves the jobs one answer saw done without waiting for a slower call of the same poll', async () => {
    clock = new ManualClock();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const describe = async (jobIds: string[]): Promise<Job[]> => {
      if (jobIds.includes('j-00000100')) await gate; // the second batch hangs (a slow, retried call)
      return jobIds.map((id) => ({ job_id: id, job_action: 'AttachVolumes', status: 'successful', resource_ids: '' }));
    };
    waiter = new JobWaiter(describe, { clock, initialIntervalMs: 300 });
    const first = waiter.wait('j-00000000', { timeoutMs: 60_000 });
    const waits = ids(100, 1).map((id) => waiter.wait(id, { timeoutMs: 60_000 }));
    await clock.advance(300);
    await expect(first).resolves.toMatchObject({ job_id: 'j-00000000' });
    release();
    await Promise.all(waits);
  });

  it('puts jobs due within the coalescing window into one poll', async () => {
    const jobs = setup();
    jobs.status.set('j-1', 'successful');
    jobs.status.set('j-2', 'successful');
    const first = waiter.wait('j-1', { timeoutMs: 60_000 });
    await clock.advance(40);
    const second = waiter.wait('j-2', { timeoutMs: 60_000 });
    await clock.advance(260);
    await Promise.all([first, second]);
    expect(jobs.calls).toEqual([['j-1', 'j-2']]);
  });

  it('splits more than 100 ids into several DescribeJobs calls in one tick', async () => {
    const jobs = setup();
    const jobIds = ids(250);
    for (const id of jobIds) jobs.status.set(id, 'successful');
    const waits = jobIds.map((id) => waiter.wait(id, { timeoutMs: 60_000 }));
    await clock.advance(300);
    expect(jobs.calls.map((c) => c.length)).toEqual([100, 100, 50]);
    await expect(Promise.all(waits)).resolves.toHaveLength(250);
  });

  it('rejects with JobFailedError naming the job, its action and resources', async () => {
    const jobs = setup();
    jobs.status.set('j-fail', 'failed');
    const outcome = waiter.wait('j-fail', { timeoutMs: 10_000 }).catch((e: unknown) => e);
    await clock.advance(300);
    const err = (await outcome) as JobFailedError;
    expect(err).toBeInstanceOf(JobFailedError);
    expect(err).toMatchObject({ jobId: 'j-fail', jobAction: 'AttachVolumes', resourceIds: ['vol-1', 'i-1'], status: 'failed' });
    expect(err.message).toMatch(/j-fail.*AttachVolumes.*vol-1/);
  });

  it('keeps waiting on a job DescribeJobs does not know, until its deadline', async () => {
    const jobs = setup();
    const outcome = waiter
      .wait('j-unknown', { jobAction: 'DetachNics', resourceIds: ['52:54:00:00:00:01'], timeoutMs: 2000 })
      .catch((e: unknown) => e);
    await clock.advance(1999);
    expect(waiter.pending()).toBe(1);
    await clock.advance(1);
    const err = (await outcome) as JobTimeoutError;
    expect(err).toBeInstanceOf(JobTimeoutError);
    expect(err).toMatchObject({ jobId: 'j-unknown', jobAction: 'DetachNics', waitedMs: 2000, lastStatus: undefined });
    expect(jobs.calls.length).toBeGreaterThanOrEqual(3);
    expect(clock.pendingSleeps()).toBe(0);
  });

  it('reports the last status seen on timeout', async () => {
    const jobs = setup();
    jobs.status.set('j-slow', 'working');
    const outcome = waiter.wait('j-slow', { timeoutMs: 1000 }).catch((e: unknown) => e);
    await clock.advance(1000);
    expect(await outcome).toMatchObject({ lastStatus: 'working', waitedMs: 1000 });
  });

  it('rejects only the aborted waiter and stops polling when nothing waits', async () => {
    const jobs = setup();
    jobs.status.set('j-1', 'working');
    const controller = new AbortController();
    const aborted = waiter.wait('j-1', { signal: controller.signal, timeoutMs: 60_000 }).catch((e: unknown) => e);
    const other = waiter.wait('j-1', { timeoutMs: 60_000 });
    controller.abort(new Error('request cancelled'));
    expect(await aborted).toEqual(new Error('request cancelled'));
    expect(waiter.pending()).toBe(1);
    jobs.status.set('j-1', 'successful');
    await clock.advance(300);
    await expect(other).resolves.toMatchObject({ job_id: 'j-1' });
    expect(clock.pendingSleeps()).toBe(0);
  });

  it('keeps polling through transport failures but fails waiters on a non-retryable error', async () => {
    const jobs = setup();
    jobs.failWith = new QingCloudTransportError('DescribeJobs', 'ECONNRESET');
    const outcome = waiter.wait('j-1', { timeoutMs: 60_000 }).catch((e: unknown) => e);
    await clock.advance(300);
    expect(waiter.pending()).toBe(1);
    const denied = new QingCloudApiError('DescribeJobs', 1200, 'AuthFailure');
    jobs.failWith = denied;
    await clock.advance(600);
    expect(await outcome).toBe(denied);
  });

  it('rejects pending and new waits once closed', async () => {
    setup();
    const outcome = waiter.wait('j-1').catch((e: unknown) => e);
    waiter.close();
    expect(await outcome).toBeInstanceOf(ClientClosedError);
    await expect(waiter.wait('j-2')).rejects.toBeInstanceOf(ClientClosedError);
    await flushPromises();
    expect(clock.pendingSleeps()).toBe(0);
  });

  it('validates the job id before registering it', async () => {
    setup();
    await expect(waiter.wait('vol-1')).rejects.toThrow(/not a valid job id/);
    expect(waiter.pending()).toBe(0);
  });
});
