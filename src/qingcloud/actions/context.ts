import type { Clock } from '../../shared/clock.js';
import type { ApiCaller, CallOptions } from '../client.js';
import type { ApiEnvelope } from '../envelope.js';
import { QingCloudError, QingCloudTransportError } from '../errors.js';
import type { JobWaiter } from '../waiter.js';
import type { Job } from './jobs.js';

/** What every action group needs: the caller, and optionally the waiter (for ...AndWait) and a clock (coalescing). */
export interface ActionContext {
  client: ApiCaller;
  waiter?: JobWaiter;
  clock?: Clock;
  /** Window of coalesced by-id lookups (default 10 ms). */
  coalesceWindowMs?: number;
}

/** Options of an ...AndWait method: the call's signal plus the wait's deadline. */
export interface AndWaitOptions extends CallOptions {
  timeoutMs?: number;
}

/** What every job-starting action returns. */
export interface JobResult {
  jobId: string;
}

/** The (first) job id of an answer; a job action answered without one is a protocol error. */
export function jobIdOf(action: string, res: ApiEnvelope): string {
  if (res.job_id === undefined) {
    throw new QingCloudTransportError(action, 'answer has no job_id although the action starts a job; the endpoint does not speak the QingCloud API');
  }
  return res.job_id;
}

/** A list of strings from an answer field (absent → empty). */
export function stringsOf(res: Record<string, unknown>, key: string): string[] {
  const value = res[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Waits for `jobId` through the context's waiter. */
export function waitForJob(
  ctx: ActionContext,
  jobId: string,
  jobAction: string,
  resourceIds: readonly string[],
  options: AndWaitOptions = {},
): Promise<Job> {
  if (ctx.waiter === undefined) {
    return Promise.reject(new QingCloudError('QC_NO_WAITER', `QingCloud ${jobAction} started job ${jobId} but this API has no JobWaiter; build it with createQingCloud`));
  }
  return ctx.waiter.wait(jobId, { jobAction, resourceIds, timeoutMs: options.timeoutMs, signal: options.signal });
}

/** Only the call options of AndWaitOptions. */
export function callOptions(options: AndWaitOptions | undefined): CallOptions | undefined {
  if (options === undefined) return undefined;
  return { signal: options.signal, idempotent: options.idempotent };
}
