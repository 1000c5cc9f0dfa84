// The warm pool's decisions, pure: (stats, config, now) → actions. pool.ts carries them out.

/** What the pool looks like now. */
export interface PoolStats {
  /** Idle attached NICs and since when each is idle (ms). */
  idle: readonly { nicId: string; idleSinceMs: number }[];
  /** NICs on their way into the pool: created/attaching records plus NICs of create intents. */
  inFlight: number;
  /** Every NIC of this node the table holds, in any phase, plus NICs of create intents. */
  ownedNics: number;
  /** Secondary NICs attached to the instance that are not hostnic's. */
  foreignNics: number;
  /** Pods holding a NIC (assigning or assigned). */
  pods: number;
}

/** The pool's settings. */
export interface PoolPolicyConfig {
  low: number;
  high: number;
  cooldownMs: number;
  maxPods: number;
  /** Secondary NICs the instance can hold (63). */
  maxSecondaryNics: number;
}

/** One thing to do. */
export type PoolAction = { kind: 'refill'; count: number } | { kind: 'shrink'; nicIds: string[] };

/** The actions and when to look again at the latest (a surplus NIC's cooldown ends). */
export interface PoolDecision {
  actions: PoolAction[];
  /** ms since the epoch; undefined when nothing is pending on time. */
  recheckAtMs: number | undefined;
}

/** NIC slots left on the instance for new NICs. */
export function freeNicSlots(stats: Pick<PoolStats, 'ownedNics' | 'foreignNics'>, config: Pick<PoolPolicyConfig, 'maxSecondaryNics'>): number {
  return Math.max(0, config.maxSecondaryNics - stats.ownedNics - stats.foreignNics);
}

/**
 * Below `low` idle (counting NICs in flight): refill up to `high` in one batch, never beyond the instance's free NIC
 * slots nor beyond what the pods still allowed (maxPods) could use. Above `high`: shrink the NICs idle longest, each
 * only once it has been idle for the cooldown (a DEL followed by an ADD reuses the NIC instead of churning the cloud).
 */
export function decidePool(stats: PoolStats, config: PoolPolicyConfig, nowMs: number): PoolDecision {
  const actions: PoolAction[] = [];
  let recheckAtMs: number | undefined;
  const idle = stats.idle.length;
  const ready = idle + stats.inFlight;
  if (ready < config.low) {
    const usable = Math.max(0, config.maxPods - stats.pods) - ready;
    const count = Math.min(config.high - ready, freeNicSlots(stats, config), usable);
    if (count > 0) actions.push({ kind: 'refill', count });
  }
  const surplus = idle - config.high;
  if (surplus > 0) {
    const candidates = [...stats.idle].sort((a, b) => a.idleSinceMs - b.idleSinceMs).slice(0, surplus);
    const due = candidates.filter((c) => c.idleSinceMs + config.cooldownMs <= nowMs).map((c) => c.nicId);
    if (due.length > 0) actions.push({ kind: 'shrink', nicIds: due });
    const waiting = candidates.filter((c) => c.idleSinceMs + config.cooldownMs > nowMs).map((c) => c.idleSinceMs + config.cooldownMs);
    if (waiting.length > 0) recheckAtMs = Math.min(...waiting);
  }
  return { actions, recheckAtMs };
}

/**
 * The vxnet a new NIC goes to: the one with the most free addresses (ties: config order), skipping `full` ones and
 * vxnets without free addresses; undefined when all are full.
 */
export function chooseVxnet(order: readonly string[], free: ReadonlyMap<string, number>, full: ReadonlySet<string> = new Set()): string | undefined {
  let best: string | undefined;
  let bestFree = 0;
  for (const vxnet of order) {
    const n = free.get(vxnet) ?? 0;
    if (full.has(vxnet) || n <= 0) continue;
    if (n > bestFree) {
      best = vxnet;
      bestFree = n;
    }
  }
  return best;
}
