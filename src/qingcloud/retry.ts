import type { BackoffOptions } from '../shared/backoff.js';
import { DEFAULT_THROTTLE_PAUSE } from './budget.js';
import { isRetryable, isThrottled, QingCloudTransportError } from './errors.js';

/** How the client retries, as data. Transport retries come from the config's connectionRetries. */
export interface RetryPolicy {
  /** Total attempts for a call answered 5000, 5100 or 1400 "please try later". */
  maxAttempts: number;
  /** Jittered delay between those attempts. */
  backoff: BackoffOptions;
  /**
   * Total attempts for a call answered 2500. 2500 is also the *resource* quota code, which no pause clears,
   * so a call gives up with its 2500 after this many throttled answers.
   */
  maxThrottledAttempts: number;
  /** Pause of the whole client after a 2500 (see ThrottleGate). */
  throttlePause: BackoffOptions;
  /** Delay between transport-level retries of reads (the Go SDK waits 1 s). */
  transportBackoff: BackoffOptions;
  /** Actions safe to repeat after a transport failure, in addition to calls marked idempotent. */
  readActions: RegExp;
}

/** Defaults: 4 attempts for busy/try-later answers, transport retries only for Describe and Get reads. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  backoff: { initialMs: 1_000, maxMs: 16_000, factor: 2, jitter: 0.5 },
  maxThrottledAttempts: 6,
  throttlePause: DEFAULT_THROTTLE_PAUSE,
  transportBackoff: { initialMs: 1_000, maxMs: 8_000, factor: 2, jitter: 0.5 },
  readActions: /^(Describe|Get)[A-Z]/,
};

/** What kind of failure a call attempt ended with, for the retry decision. */
export type FailureClass = 'retryable' | 'throttled' | 'transport' | 'fatal';

/** Classifies an attempt's error; anything that is not an SDK error (e.g. an abort) is fatal. */
export function classifyFailure(err: unknown): FailureClass {
  if (isThrottled(err)) return 'throttled';
  if (isRetryable(err)) return 'retryable';
  if (err instanceof QingCloudTransportError) return 'transport';
  return 'fatal';
}

/** True when `action` only reads, so repeating it after a transport failure cannot do anything twice. */
export function isReadAction(action: string, policy: Pick<RetryPolicy, 'readActions'> = DEFAULT_RETRY_POLICY): boolean {
  return policy.readActions.test(action);
}
