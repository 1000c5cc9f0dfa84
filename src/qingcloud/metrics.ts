/** How one HTTP attempt of an API call ended. */
export type CallOutcome = 'ok' | 'apiError' | 'transportError';

/** What listeners hear about every request the client sent. */
export interface CallEvent {
  action: string;
  outcome: CallOutcome;
  /** ret_code of an API answer (0 on success); undefined after a transport error. */
  retCode: number | undefined;
  durationMs: number;
  /** 1 for the first attempt of a call. */
  attempt: number;
}

/** Upper bounds (ms) of the latency histogram buckets; the last bucket is everything above. */
export const LATENCY_BUCKETS_MS: readonly number[] = [10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

/** Per-action figures in a snapshot. */
export interface ActionMetrics {
  calls: number;
  apiErrors: Record<string, number>;
  retries: number;
  throttles: number;
  transportErrors: number;
  latency: { count: number; sumMs: number; maxMs: number; buckets: Record<string, number> };
}

/** Plain-object view of SdkMetrics, safe to serialise. */
export type MetricsSnapshot = Record<string, ActionMetrics>;

/** Unsubscribes a listener. */
export type Unsubscribe = () => void;

function emptyAction(): ActionMetrics {
  const buckets: Record<string, number> = {};
  for (const le of LATENCY_BUCKETS_MS) buckets[String(le)] = 0;
  buckets['+Inf'] = 0;
  return { calls: 0, apiErrors: {}, retries: 0, throttles: 0, transportErrors: 0, latency: { count: 0, sumMs: 0, maxMs: 0, buckets } };
}

/** SDK metrics hooks: per-action counters and latency, plus listeners for exporters. No exporter here. */
export class SdkMetrics {
  private readonly actions = new Map<string, ActionMetrics>();
  private readonly listeners = new Set<(event: CallEvent) => void>();

  /** Records one request sent (any outcome) and tells listeners. */
  recordCall(event: CallEvent): void {
    const m = this.of(event.action);
    m.calls += 1;
    if (event.outcome === 'apiError' && event.retCode !== undefined) {
      const key = String(event.retCode);
      m.apiErrors[key] = (m.apiErrors[key] ?? 0) + 1;
    }
    if (event.outcome === 'transportError') m.transportErrors += 1;
    const ms = Math.max(0, event.durationMs);
    m.latency.count += 1;
    m.latency.sumMs += ms;
    m.latency.maxMs = Math.max(m.latency.maxMs, ms);
    const le = LATENCY_BUCKETS_MS.find((bound) => ms <= bound);
    const bucket = le === undefined ? '+Inf' : String(le);
    m.latency.buckets[bucket] = (m.latency.buckets[bucket] ?? 0) + 1;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A faulty listener must not fail the API call it observes.
      }
    }
  }

  /** Records that a call is being retried (after a busy/try-later answer or a transport failure). */
  recordRetry(action: string): void {
    this.of(action).retries += 1;
  }

  /** Records a 2500 answer that paused the client. */
  recordThrottle(action: string): void {
    this.of(action).throttles += 1;
  }

  /** Subscribes to every request; returns the unsubscribe function. */
  onCall(listener: (event: CallEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Requests sent, over all actions (or one action). */
  totalCalls(action?: string): number {
    if (action !== undefined) return this.actions.get(action)?.calls ?? 0;
    let total = 0;
    for (const m of this.actions.values()) total += m.calls;
    return total;
  }

  /** A deep copy of the counters, keyed by action. */
  snapshot(): MetricsSnapshot {
    return structuredClone(Object.fromEntries(this.actions));
  }

  /** Zeroes every counter (listeners stay). */
  reset(): void {
    this.actions.clear();
  }

  private of(action: string): ActionMetrics {
    let m = this.actions.get(action);
    if (m === undefined) {
      m = emptyAction();
      this.actions.set(action, m);
    }
    return m;
  }
}
