import { createQingCloud, makeConfig, type CreateQingCloudOptions, type QingCloud } from '../qingcloud/index.js';
import type { RunningSimulator } from '../qingcloud/sim/index.js';

/** An SDK pointed at a running simulator (benchmarks and the demo). */
export function sdkForSimulator(sim: RunningSimulator, options: Partial<CreateQingCloudOptions> = {}): QingCloud {
  const c = sim.clientConfig;
  return createQingCloud({
    config: makeConfig({
      accessKeyId: c.qy_access_key_id,
      secretAccessKey: c.qy_secret_access_key,
      zone: c.zone,
      host: c.host,
      port: c.port,
      protocol: c.protocol,
      uri: c.uri,
      connectionRetries: 3,
      connectionTimeoutMs: 30_000,
    }),
    ...options,
  });
}

/** Median and 99th percentile of a sample. */
export function percentiles(values: readonly number[]): { p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}
