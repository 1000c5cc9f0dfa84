import { randomInt, type Random } from './rng.js';

/** A job latency: fixed milliseconds, or uniformly random in [min, max]. */
export type LatencySpec = number | { min: number; max: number };

/** Job latency for every job action, with per-action overrides (keys are action names such as AttachVolumes). */
export type JobLatencyOption = LatencySpec | { default?: LatencySpec; actions?: Record<string, LatencySpec> };

/** Ret codes the simulator can inject before an action runs. */
export type InjectableRetCode = 5000 | 5100 | 2500;

/** Injection rates (0..1) for one action or for all. */
export interface FaultRates {
  /** Probability per call of answering with each ret_code instead of running the action. */
  retCodes?: Partial<Record<InjectableRetCode, number>>;
  /** Probability that a job this action starts ends `failed` (the resources roll back). */
  jobFailureRate?: number;
}

/** Fault injection: defaults for all actions, per-action overrides, and an API-call quota per key. */
export interface SimFaults extends FaultRates {
  actions?: Record<string, FaultRates>;
  /** At most `limit` calls per access key per `windowSec` window; beyond it → 2500 (qingcloud-api.md §8). */
  apiQuota?: { limit: number; windowSec: number };
}

/** Picks the latency of one job of `action`. */
export function pickLatency(option: JobLatencyOption, action: string, random: Random): number {
  const spec = isLatencySpec(option) ? option : (option.actions?.[action] ?? option.default ?? 0);
  if (typeof spec === 'number') return Math.max(0, spec);
  return randomInt(random, Math.max(0, spec.min), Math.max(spec.min, spec.max));
}

function isLatencySpec(option: JobLatencyOption): option is LatencySpec {
  return typeof option === 'number' || ('min' in option && 'max' in option);
}

/** The ret_code to inject for this call of `action`, if the dice say so. */
export function pickInjectedRetCode(faults: SimFaults, action: string, random: Random): InjectableRetCode | undefined {
  const rates = { ...faults.retCodes, ...faults.actions?.[action]?.retCodes };
  for (const code of [5100, 5000, 2500] as const) {
    const rate = rates[code];
    if (rate !== undefined && rate > 0 && random() < rate) return code;
  }
  return undefined;
}

/** True when this job of `action` should fail by injection. */
export function shouldFailJob(faults: SimFaults, action: string, random: Random): boolean {
  const rate = faults.actions?.[action]?.jobFailureRate ?? faults.jobFailureRate ?? 0;
  return rate > 0 && random() < rate;
}

/** Counts calls per access key in fixed windows aligned to the epoch. */
export class ApiQuotaCounter {
  private window = -1;
  private readonly counts = new Map<string, number>();

  /** Counts one call; true when it is within the quota. */
  admit(keyId: string, quota: { limit: number; windowSec: number }, nowMs: number): boolean {
    const window = Math.floor(nowMs / (quota.windowSec * 1000));
    if (window !== this.window) {
      this.window = window;
      this.counts.clear();
    }
    const count = (this.counts.get(keyId) ?? 0) + 1;
    this.counts.set(keyId, count);
    return count <= quota.limit;
  }
}
