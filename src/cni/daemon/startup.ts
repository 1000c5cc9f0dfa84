import type { Checkpointer } from '../../shared/checkpoint.js';
import type { Clock } from '../../shared/clock.js';
import { BaseError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { NetOps } from '../net/net-ops.js';
import { MAX_SECONDARY_NICS, type DaemonConfig } from './config.js';
import { HostnicService, type ServiceObserver } from './daemon.js';
import type { NicProvider } from './nic-provider.js';
import type { PoolPolicyConfig } from './pool-policy.js';
import { Pool } from './pool.js';
import { reconcile, type ReconcileReport } from './reconcile.js';
import { NicTable, type CrashHook } from './state.js';
import type { NodeState } from './node-state.js';
import { OrphanSweeper } from './sweep.js';
import { vxnetProblems } from './vxnet-check.js';

/** The configured vxnets or the node do not fit hostnic; `problems` has one entry per problem. */
export class HostnicStartError extends BaseError {
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super('HOSTNIC_START_INVALID', message);
  }
}

/** What startHostnic needs: the config and one adapter (or fake) per port. */
export interface HostnicDeps {
  config: Pick<DaemonConfig, 'vxnets' | 'pool' | 'maxPods' | 'serviceCIDR' | 'hostNetns' | 'orphanAgeSeconds'>;
  instanceId: string;
  provider: NicProvider;
  netOps: NetOps;
  checkpointer: Checkpointer;
  clock: Clock;
  logger: Logger;
  /** Start the pool loop and the orphan sweep (default true; tests drive them by hand). */
  background?: boolean;
  crashPoint?: CrashHook;
  observer?: ServiceObserver;
  /** Deadline for a hot-plugged link after AttachNics. */
  linkWaitMs?: number;
  /** Deadline for an attached NIC's link during reconcile (default 10 s). */
  reconcileLinkWaitMs?: number;
  settleTimeoutMs?: number;
  sweepIntervalMs?: number;
}

/** A started daemon core (everything but the socket server and metrics). */
export interface RunningHostnic {
  service: HostnicService;
  pool: Pool;
  table: NicTable;
  sweeper: OrphanSweeper;
  reconcileReport: ReconcileReport;
  /** Stops the background work and waits for running operations. */
  stop(): Promise<void>;
}

/** Validates the vxnets against the cloud, loads the checkpoint, reconciles, then starts the pool and the sweep. */
export async function startHostnic(deps: HostnicDeps): Promise<RunningHostnic> {
  const { config, instanceId, provider, netOps, clock, logger } = deps;
  const node = await provider.describeNode(instanceId);
  const wanted = [...new Set([...config.vxnets, ...(node.primaryVxnetId === undefined ? [] : [node.primaryVxnetId])])];
  const described = await provider.describeVxnets(wanted);
  const problems = vxnetProblems(config.vxnets, described, node);
  if (problems.length > 0) {
    throw new HostnicStartError(`hostnic cannot serve node ${instanceId}: ${problems.join('; ')}`, problems);
  }
  const vxnets = new Map(described.filter((v) => config.vxnets.includes(v.vxnetId)).map((v) => [v.vxnetId, v]));
  const policy: PoolPolicyConfig = {
    low: config.pool.low,
    high: config.pool.high,
    cooldownMs: config.pool.cooldownSeconds * 1000,
    maxPods: config.maxPods,
    maxSecondaryNics: MAX_SECONDARY_NICS,
  };
  const table = await NicTable.load(deps.checkpointer, instanceId, clock);
  // background failures of the pool and the sweep go to the service's recent errors once it exists
  const sink: { service?: HostnicService } = {};
  const onError = (reason: string, err: unknown): void => sink.service?.recordError(reason, err);
  const hostNetns = config.hostNetns;
  const pool = new Pool({
    table,
    provider,
    netOps,
    clock,
    logger,
    instanceId,
    vxnets: config.vxnets,
    policy,
    onError,
    quiet: () => sink.service?.quiet() ?? Promise.resolve(),
    ...(hostNetns === undefined ? {} : { hostNetns }),
    ...(deps.crashPoint === undefined ? {} : { crashPoint: deps.crashPoint }),
    ...(deps.linkWaitMs === undefined ? {} : { linkWaitMs: deps.linkWaitMs }),
  });
  const service = new HostnicService({
    node,
    vxnets,
    table,
    pool,
    netOps,
    clock,
    logger,
    policy,
    serviceCIDR: config.serviceCIDR,
    ...(hostNetns === undefined ? {} : { hostNetns }),
    ...(deps.crashPoint === undefined ? {} : { crashPoint: deps.crashPoint }),
    ...(deps.observer === undefined ? {} : { observer: deps.observer }),
  });
  const nodeState: NodeState = { table, pool, provider, netOps, clock, logger, instanceId, ...(hostNetns === undefined ? {} : { hostNetns }) };
  const reconcileReport = await reconcile({
    ...nodeState,
    ...(deps.settleTimeoutMs === undefined ? {} : { settleTimeoutMs: deps.settleTimeoutMs }),
    ...(deps.reconcileLinkWaitMs === undefined ? {} : { linkWaitMs: deps.reconcileLinkWaitMs }),
  });
  const sweeper = new OrphanSweeper({
    ...nodeState,
    ageMs: config.orphanAgeSeconds * 1000,
    onError,
    ...(deps.sweepIntervalMs === undefined ? {} : { intervalMs: deps.sweepIntervalMs }),
  });
  sink.service = service;
  service.markReady();
  if (deps.background ?? true) {
    pool.start();
    sweeper.start();
  }
  return {
    service,
    pool,
    table,
    sweeper,
    reconcileReport,
    stop: async () => {
      await sweeper.stop();
      await pool.stop();
      await service.drain();
      await table.written();
    },
  };
}
