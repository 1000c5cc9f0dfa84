import { registerProcessMetrics } from '../shared/process-metrics.js';
import { Counter, Gauge, Histogram, Registry } from '../shared/prometheus.js';
import type { CsiStatus } from './errors.js';

/** One cloud request as the SDK reports it (SdkMetrics.onCall). */
export interface CloudCallEvent {
  action: string;
  outcome: string;
  retCode: number | undefined;
  durationMs: number;
  attempt: number;
}

/**
 * The driver's Prometheus metrics (documented in docs/metrics.md): RPCs by method and code with latency, cloud calls,
 * retries and throttles by action, and operations still running in the background.
 */
export class CsiMetrics {
  readonly registry = new Registry();
  private readonly rpcs: Counter<'method' | 'code'>;
  private readonly rpcSeconds: Histogram<'method'>;
  private readonly cloudCalls: Counter<'action' | 'outcome'>;
  private readonly cloudRetries: Counter<'action'>;
  private readonly cloudThrottled: Counter<'action'>;
  private readonly cloudSeconds: Histogram<'action'>;
  private readonly forcedGcs: Counter;

  constructor(inflight: () => number) {
    const registry = this.registry;
    registerProcessMetrics(registry, 'qingcloud_csi_');
    this.rpcs = new Counter({ name: 'qingcloud_csi_rpc_total', help: 'CSI RPCs served, by method and gRPC status', labelNames: ['method', 'code'], registry });
    this.rpcSeconds = new Histogram({
      name: 'qingcloud_csi_rpc_duration_seconds',
      help: 'Time to answer a CSI RPC',
      labelNames: ['method'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 15, 30, 60, 120],
      registry,
    });
    this.cloudCalls = new Counter({ name: 'qingcloud_csi_cloud_calls_total', help: 'QingCloud API requests, by action and outcome (ok, apiError, transportError)', labelNames: ['action', 'outcome'], registry });
    this.cloudRetries = new Counter({ name: 'qingcloud_csi_cloud_retries_total', help: 'QingCloud API requests that were retries of an earlier attempt', labelNames: ['action'], registry });
    this.cloudThrottled = new Counter({ name: 'qingcloud_csi_cloud_throttled_total', help: 'QingCloud API answers with ret_code 2500 (quota or API throttling)', labelNames: ['action'], registry });
    this.cloudSeconds = new Histogram({
      name: 'qingcloud_csi_cloud_call_duration_seconds',
      help: 'Latency of one QingCloud API request',
      labelNames: ['action'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registry,
    });
    this.forcedGcs = new Counter({
      name: 'qingcloud_csi_heap_guard_collections_total',
      help: 'Full garbage collections the driver asked for because its heap grew 3 MiB past what survived the last one',
      registry,
    });
    new Gauge({
      name: 'qingcloud_csi_operations_in_flight',
      help: 'Cloud operations running now, including ones whose caller already gave up (the retry joins them)',
      registry,
      collect() {
        this.set(inflight());
      },
    });
  }

  /** Records one answered RPC. */
  rpc(method: string, code: CsiStatus | 'OK', seconds: number): void {
    this.rpcs.inc({ method, code });
    this.rpcSeconds.observe({ method }, seconds);
  }

  /** Records one full collection HeapGuard asked for. */
  heapGuardCollection(): void {
    this.forcedGcs.inc();
  }

  /** Records one cloud request. */
  cloudCall(event: CloudCallEvent): void {
    this.cloudCalls.inc({ action: event.action, outcome: event.outcome });
    this.cloudSeconds.observe({ action: event.action }, event.durationMs / 1000);
    if (event.attempt > 1) this.cloudRetries.inc({ action: event.action });
    if (event.retCode === 2500) this.cloudThrottled.inc({ action: event.action });
  }
}
