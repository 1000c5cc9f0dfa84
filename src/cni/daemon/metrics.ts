import type { Server } from 'node:http';
import { serveMetrics } from '../../shared/metrics-http.js';
import { Counter, Gauge, Histogram, Registry } from '../../shared/prometheus.js';
import type { Logger } from '../../shared/log.js';
import type { ServiceObserver } from './daemon.js';

/** Pool and pod figures read at scrape time. */
export interface PoolFigures {
  idle: number;
  assigned: number;
  inFlight: number;
  pods: number;
}

/** One cloud request, as the SDK's metrics.onCall reports it. */
export interface CloudCall {
  action: string;
  outcome: string;
}

/**
 * The daemon's Prometheus metrics on their own registry: NICs idle/assigned, pods, ADD/DEL/CHECK/GC latency, cloud
 * calls by action, errors by reason. Figures that are state are read at scrape time from `figures`.
 */
export class DaemonMetrics implements ServiceObserver {
  readonly registry = new Registry();
  private readonly latency: Histogram<'verb' | 'outcome'>;
  private readonly errors: Counter<'reason'>;
  private readonly cloud: Counter<'action' | 'outcome'>;

  constructor(figures: () => PoolFigures) {
    const registry = this.registry;
    new Gauge({
      name: 'hostnic_nics',
      help: 'NICs of this node by pool state',
      labelNames: ['state'],
      registry,
      collect() {
        const f = figures();
        this.set({ state: 'idle' }, f.idle);
        this.set({ state: 'assigned' }, f.assigned);
        this.set({ state: 'in_flight' }, f.inFlight);
      },
    });
    new Gauge({
      name: 'hostnic_pods',
      help: 'Pods holding a hostnic NIC',
      registry,
      collect() {
        this.set(figures().pods);
      },
    });
    this.latency = new Histogram({
      name: 'hostnic_cni_request_duration_seconds',
      help: 'Duration of CNI verbs served by the daemon',
      labelNames: ['verb', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120],
      registry,
    });
    this.errors = new Counter({ name: 'hostnic_errors_total', help: 'Failures by reason (verb:CNI code, or background step)', labelNames: ['reason'], registry });
    this.cloud = new Counter({ name: 'hostnic_cloud_calls_total', help: 'QingCloud API requests by action and outcome', labelNames: ['action', 'outcome'], registry });
  }

  verb(verb: 'add' | 'del' | 'check' | 'gc', durationMs: number, ok: boolean): void {
    this.latency.observe({ verb, outcome: ok ? 'ok' : 'error' }, durationMs / 1000);
  }

  error(reason: string): void {
    this.errors.inc({ reason });
  }

  /** Counts one cloud request (wire it to the SDK's metrics.onCall). */
  cloudCall(call: CloudCall): void {
    this.cloud.inc({ action: call.action, outcome: call.outcome });
  }

  /** Serves GET /metrics on host:port; resolves once listening. */
  serve(host: string, port: number, logger: Logger): Promise<Server> {
    return serveMetrics(this.registry, host, port, logger);
  }
}
