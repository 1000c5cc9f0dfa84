import { backoffDelay, type BackoffOptions } from '../shared/backoff.js';
import { systemClock, type Clock } from '../shared/clock.js';

/** Sizing of a TokenBucket. */
export interface TokenBucketOptions {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Most tokens held at once (and the initial fill). */
  burst: number;
}

/**
 * QingCloud documents 2000 requests per key per 3600 s (qingcloud-api.md §8). A bucket admits at most
 * burst + rate × 3600 requests in any hour, so burst 100 + 1900/3600 per second stays within 2000/h
 * while letting start-up or a reconcile burst through at once.
 */
export const DEFAULT_BUDGET: TokenBucketOptions = { ratePerSecond: 1900 / 3600, burst: 100 };

/** Client-side request budget: every API request takes one token; `take` waits (via the Clock) when empty. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly options: TokenBucketOptions = DEFAULT_BUDGET,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError(`TokenBucket needs ratePerSecond > 0 and burst >= 1, got ${options.ratePerSecond}/${options.burst}`);
    }
    this.tokens = options.burst;
    this.last = clock.now();
  }

  /** Tokens available now (negative while callers hold reservations). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /**
   * Takes one token, waiting until it exists. Waiters reserve in arrival order (tokens may go negative), so
   * the wait is first-come first-served; an aborted wait hands its reservation back and rejects.
   */
  async take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) throw signal.reason;
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    const waitMs = Math.ceil((-this.tokens / this.options.ratePerSecond) * 1000);
    try {
      await this.clock.sleep(waitMs, signal);
    } catch (err) {
      this.tokens += 1;
      throw err;
    }
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.options.burst, this.tokens + (elapsed / 1000) * this.options.ratePerSecond);
  }
}

/** Pause lengths of the ThrottleGate: the n-th consecutive 2500 pauses backoffDelay(n - 1). */
export const DEFAULT_THROTTLE_PAUSE: BackoffOptions = { initialMs: 2_000, maxMs: 120_000, factor: 2, jitter: 0.2 };

/** What a caller learns from ThrottleGate.enter: whether its request is the one probe after a pause. */
export interface GateTicket {
  readonly probe: boolean;
}

/**
 * After a 2500 the whole client pauses; when the pause ends exactly one request (the probe) goes out and
 * everyone else waits for its outcome. A probe that is throttled again starts a longer pause (exponential
 * up to a cap); any other outcome means the API is answering again and opens the gate.
 */
export class ThrottleGate {
  private pausedUntil = 0;
  private consecutive = 0;
  private probeInFlight = false;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly pause: BackoffOptions = DEFAULT_THROTTLE_PAUSE,
    private readonly random: () => number = Math.random,
  ) {}

  /** True while a pause or a probe holds requests back. */
  isClosed(): boolean {
    return this.consecutive > 0;
  }

  /** Waits until the caller may send; call `leave` with the outcome afterwards. */
  async enter(signal?: AbortSignal): Promise<GateTicket> {
    for (;;) {
      if (signal?.aborted === true) throw signal.reason;
      if (this.consecutive === 0) return { probe: false };
      const remaining = this.pausedUntil - this.clock.now();
      if (remaining > 0) {
        await this.clock.sleep(remaining, signal);
        continue;
      }
      if (!this.probeInFlight) {
        this.probeInFlight = true;
        return { probe: true };
      }
      await this.waitForProbe(signal);
    }
  }

  /**
   * Reports the request's outcome. `throttled` (a 2500) starts or extends the pause; an `answered` probe
   * (any other API answer) opens the gate; a probe that `failed` below the API frees the probe slot so the
   * next waiter probes instead.
   */
  leave(ticket: GateTicket, outcome: 'answered' | 'throttled' | 'failed'): void {
    if (outcome === 'throttled') {
      // Requests already in flight when the gate closed do not escalate the pause; only probes do.
      if (ticket.probe || this.consecutive === 0) this.trip();
    } else if (ticket.probe && outcome === 'answered') {
      this.consecutive = 0;
      this.pausedUntil = 0;
    }
    if (ticket.probe) this.probeInFlight = false;
    this.wakeAll();
  }

  /** Starts (or extends) a pause after a 2500; returns its length in ms. */
  trip(): number {
    const delay = backoffDelay(this.consecutive, this.pause, this.random);
    this.consecutive += 1;
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + delay);
    return delay;
  }

  private waitForProbe(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        reject(signal?.reason);
      };
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
