/** Parameters of an exponential backoff; all durations in milliseconds. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Fraction of each delay that is randomised (0 = none, 1 = "full jitter"). */
  jitter: number;
}

/** Delay before retry number `attempt` (0-based). `random` is injectable so tests are exact. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(options.maxMs, options.initialMs * Math.pow(options.factor, Math.max(0, attempt)));
  const spread = base * Math.min(1, Math.max(0, options.jitter));
  return Math.round(base - spread + random() * spread);
}
