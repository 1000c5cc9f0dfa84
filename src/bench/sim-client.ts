import { createQingCloud, type CreateQingCloudOptions, type QingCloud } from '../qingcloud/index.js';
import { sdkConfigFor } from '../qingcloud/sim/client-config.js';
import type { RunningSimulator } from '../qingcloud/sim/index.js';

/** An SDK pointed at a running simulator (benchmarks and the demo). */
export function sdkForSimulator(sim: RunningSimulator, options: Partial<CreateQingCloudOptions> = {}): QingCloud {
  return createQingCloud({
    config: sdkConfigFor(sim.clientConfig),
    ...options,
  });
}

/** Median and 99th percentile of a sample. */
export function percentiles(values: readonly number[]): { p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}
