import { backoffDelay } from '../../shared/backoff.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { NetOps } from '../net/net-ops.js';
import { CNI_ERROR, CniError } from '../types.js';
import { waitForLinks, LINK_WAIT_MS } from './links.js';
import { isNicError, type NicProvider } from './nic-provider.js';
import { chooseVxnet, decidePool, type PoolPolicyConfig, type PoolStats } from './pool-policy.js';
import type { CrashHook, NicRecord, NicTable, PodRef } from './state.js';

/** Options of Pool. */
export interface PoolOptions {
  table: NicTable;
  provider: NicProvider;
  netOps: NetOps;
  clock: Clock;
  logger: Logger;
  instanceId: string;
  /** Configured vxnets, in config order. */
  vxnets: readonly string[];
  hostNetns?: string;
  policy: PoolPolicyConfig;
  crashPoint?: CrashHook;
  /** Deadline for a hot-plugged NIC's link (default LINK_WAIT_MS). */
  linkWaitMs?: number;
  /** Called for every background failure (introspection, metrics). */
  onError?: (reason: string, err: unknown) => void;
  /** Resolves when no pod operation is running: background steps wait for it so a refill stays off ADD/DEL latency. */
  quiet?: () => Promise<void>;
}

/** How often the pool looks at itself without being kicked. */
const PERIOD_MS = 30_000;
const FAILURE_BACKOFF = { initialMs: 2_000, maxMs: 120_000, factor: 2, jitter: 0.2 };
/**
 * How long one DescribeVxnets steers the choice of vxnet, kept current with this node's own creates and deletes: other
 * nodes' changes can make it stale, which costs at most a CreateNics refused for NoAddresses (the next vxnet is tried),
 * and "every vxnet is full" is only ever concluded from a fresh read.
 */
const FREE_VIEW_TTL_MS = 30_000;

/**
 * The warm pool and the NIC life steps that touch the cloud: create (+ attach) in batches, retire (detach + delete) in
 * batches, and the background loop that keeps idle NICs between the marks (pool-policy.ts decides). Every step
 * checkpoints the NIC phase first (state.ts), so a crash leaves a phase reconcile.ts knows how to finish.
 */
export class Pool {
  /** Secondary NICs on the instance that are not hostnic's (kept current by reconcile and the sweep). */
  foreignNics = 0;
  /** The last create found every configured vxnet full (cleared by the next successful create). */
  vxnetsFull = false;
  private readonly o: PoolOptions;
  private readonly crash: CrashHook;
  /** NICs a running operation is working on: maintenance leaves them alone. */
  private readonly busy = new Set<string>();
  private maintenance: Promise<void> | undefined;
  private again = false;
  private failures = 0;
  private wake = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  /** Last known link name of a NIC in the host netns (memory only: a stale name only costs ADD its fast path). */
  private readonly linkNames = new Map<string, string>();
  /** True while the background loop runs a round: its steps give way to pod operations. */
  private background = false;
  /** Free addresses per vxnet as last read (FREE_VIEW_TTL_MS), minus this node's creates since. */
  private freeView: { readAt: number; free: Map<string, number> } | undefined;

  constructor(options: PoolOptions) {
    this.o = options;
    this.crash = options.crashPoint ?? (() => undefined);
  }

  /** The figures pool-policy.ts decides on. */
  stats(): PoolStats {
    const t = this.o.table;
    const intents = t.intents().reduce((sum, c) => sum + c.count, 0);
    return {
      idle: t.idle().map((n) => ({ nicId: n.nicId, idleSinceMs: n.sinceMs })),
      inFlight: t.inPhase('created', 'attaching').length + intents,
      ownedNics: t.all().length + intents,
      foreignNics: this.foreignNics,
      pods: t.inPhase('assigning', 'assigned').length,
    };
  }

  /** The NIC's link name in the host netns, when known. */
  linkName(nicId: string): string | undefined {
    return this.linkNames.get(nicId);
  }

  /** Records where a NIC's link is in the host netns (undefined: it left the host, e.g. into a pod). */
  noteLinkName(nicId: string, name: string | undefined): void {
    if (name === undefined) this.linkNames.delete(nicId);
    else this.linkNames.set(nicId, name);
  }

  /** Gives the longest-idle NIC to `pod` (phase assigning, in memory: flush before the kernel step); undefined when none is idle. */
  takeIdle(pod: PodRef): NicRecord | undefined {
    const nic = this.o.table.idle().find((n) => !this.busy.has(n.nicId));
    if (nic === undefined) return undefined;
    return this.o.table.transition(nic.nicId, 'assigning', { pod });
  }

  /**
   * Creates `count` NICs in the vxnet with the most free addresses, attaches them with one AttachNics and waits for
   * their links. With `assignTo` the first NIC goes straight to that pod (phase assigning) so no other ADD takes it.
   * Throws CniError 102 when every vxnet is full, NicProviderError for cloud failures (the NICs made are retired).
   */
  createAndAttach(count: number, assignTo?: PodRef): Promise<NicRecord[]> {
    return this.createAttachWait(count, assignTo, false);
  }

  /** createAndAttach; with `giveWay` (background refills) each step first waits for a gap between pod operations. */
  private async createAttachWait(count: number, assignTo: PodRef | undefined, giveWay: boolean): Promise<NicRecord[]> {
    const { table, provider, clock, instanceId } = this.o;
    const pause = async (): Promise<void> => {
      if (giveWay) await this.o.quiet?.();
    };
    const created = await this.createNics(count);
    const ids = created.map((n) => n.nicId);
    for (const id of ids) this.busy.add(id);
    try {
      for (const id of ids) table.transition(id, 'attaching');
      await table.flush();
      this.crash('attach:before');
      await pause();
      let crashed = false;
      // The link wait runs alongside the attach job: the job's end and the links' appearance, whichever is last.
      const attached = provider.attach(ids, instanceId).then(() => {
        try {
          this.crash('attach:done');
        } catch (err) {
          crashed = true;
          throw err;
        }
      });
      let links;
      try {
        links = await waitForLinks(this.o.netOps, clock, ids, this.o.hostNetns, attached, this.o.linkWaitMs ?? LINK_WAIT_MS);
      } catch (err) {
        if (crashed) throw err;
        await attached.catch(() => undefined);
        if (crashed) throw err;
        await this.retireQuietly(ids, 'attach failed');
        throw err;
      }
      await pause();
      const ready: NicRecord[] = [];
      const broken: string[] = [];
      let firstError: unknown;
      for (const id of ids) {
        const link = links.get(id);
        if (link !== undefined && !(link instanceof Error)) {
          this.noteLinkName(id, link.name);
          ready.push(table.transition(id, 'attached-idle'));
        } else {
          broken.push(id);
          firstError ??= link;
        }
      }
      if (assignTo !== undefined && ready[0] !== undefined) table.transition(ready[0].nicId, 'assigning', { pod: assignTo });
      await table.flush();
      if (broken.length > 0) await this.retireQuietly(broken, 'link never appeared');
      if (ready.length === 0) throw firstError;
      return ready;
    } finally {
      for (const id of ids) this.busy.delete(id);
    }
  }

  /** Detaches (one DetachNics) and deletes (one DeleteNics) the NICs, checkpointing each phase first. */
  async retire(nicIds: readonly string[]): Promise<void> {
    const { table, provider } = this.o;
    const ids = nicIds.filter((id) => table.get(id) !== undefined);
    if (ids.length === 0) return;
    for (const id of ids) this.busy.add(id);
    try {
      // created NICs were never attached; deleting ones are past the detach
      const toDetach = ids.filter((id) => !['deleting', 'created'].includes(table.get(id)?.phase ?? 'deleting'));
      if (toDetach.length > 0) {
        for (const id of toDetach) table.transition(id, 'detaching');
        await table.flush();
        this.crash('detach:before');
        await provider.detach(toDetach);
        this.crash('detach:done');
      }
      for (const id of ids) table.transition(id, 'deleting');
      await table.flush();
      this.crash('delete:before');
      await provider.delete(ids);
      this.crash('delete:done');
      const view = this.freeView?.free;
      for (const id of ids) {
        const vxnetId = table.get(id)?.vxnetId;
        if (view !== undefined && vxnetId !== undefined) view.set(vxnetId, (view.get(vxnetId) ?? 0) + 1);
        table.remove(id);
        this.linkNames.delete(id);
      }
      await table.flush();
      this.o.logger.info({ nics: ids }, 'NICs detached and deleted');
    } finally {
      for (const id of ids) this.busy.delete(id);
    }
  }

  /** Asks the background loop to look at the pool now (after ADD/DEL). */
  kick(): void {
    this.wake.abort();
  }

  /**
   * One maintenance round: retry NICs a failed step left behind, then refill or shrink as the policy says.
   * Concurrent calls share the round (and ask for one more after it).
   */
  runOnce(): Promise<void> {
    if (this.maintenance !== undefined) {
      this.again = true;
      return this.maintenance;
    }
    this.maintenance = (async () => {
      try {
        do {
          this.again = false;
          await this.maintain();
        } while (this.again);
      } finally {
        this.maintenance = undefined;
      }
    })();
    return this.maintenance;
  }

  /** Starts the background loop (idempotent). */
  start(): void {
    this.loop ??= this.run(this.stopping.signal);
  }

  /** Stops the background loop and waits for the round in progress. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake.abort();
    await this.loop;
    await this.maintenance?.catch(() => undefined);
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let waitMs = PERIOD_MS;
      try {
        await this.o.quiet?.();
        this.background = true;
        try {
          await this.runOnce();
        } finally {
          this.background = false;
        }
        this.failures = 0;
        const recheck = decidePool(this.stats(), this.o.policy, this.o.clock.now()).recheckAtMs;
        if (recheck !== undefined) waitMs = Math.max(0, Math.min(waitMs, recheck - this.o.clock.now()));
      } catch (err) {
        this.failures += 1;
        waitMs = backoffDelay(this.failures - 1, FAILURE_BACKOFF);
        this.report('pool maintenance failed', err);
      }
      if (signal.aborted) break;
      this.wake = new AbortController();
      await this.o.clock.sleep(waitMs, AbortSignal.any([signal, this.wake.signal])).catch(() => undefined);
    }
  }

  private async maintain(): Promise<void> {
    const { table } = this.o;
    const leftovers = table.inPhase('created', 'attaching', 'detaching', 'deleting').map((n) => n.nicId).filter((id) => !this.busy.has(id));
    if (leftovers.length > 0) await this.retire(leftovers);
    const decision = decidePool(this.stats(), this.o.policy, this.o.clock.now());
    for (const action of decision.actions) {
      if (action.kind === 'refill') {
        this.o.logger.info({ count: action.count }, 'refilling the NIC pool');
        await this.createAttachWait(action.count, undefined, this.background);
      } else {
        this.o.logger.info({ nics: action.nicIds }, 'shrinking the NIC pool');
        await this.retire(action.nicIds);
      }
    }
  }

  private async createNics(count: number): Promise<NicRecord[]> {
    const { table, provider, vxnets, instanceId, clock } = this.o;
    const cached = this.freeView !== undefined && clock.now() - this.freeView.readAt < FREE_VIEW_TTL_MS;
    let free = cached ? this.freeView!.free : await this.readFreeAddresses();
    let fresh = !cached;
    const full = new Set<string>();
    for (;;) {
      let vxnet = chooseVxnet(vxnets, free, full);
      if (vxnet === undefined && !fresh) {
        free = await this.readFreeAddresses();
        fresh = true;
        vxnet = chooseVxnet(vxnets, free, full);
      }
      if (vxnet === undefined) {
        this.vxnetsFull = true;
        throw new CniError(
          CNI_ERROR.NoFreeAddress,
          `no free address in any configured vxnet (${vxnets.join(', ')}) for a NIC of node ${instanceId}; add a vxnet to the hostnic config or free addresses in these`,
        );
      }
      const n = Math.min(count, free.get(vxnet) ?? count);
      const intent = table.addIntent(vxnet, n);
      await table.flush();
      this.crash('create:intent-saved');
      let created;
      try {
        created = await provider.create(vxnet, n);
      } catch (err) {
        table.removeIntent(intent.id);
        await table.flush();
        if (isNicError(err, 'NoAddresses')) {
          this.o.logger.warn({ vxnet }, 'vxnet is full, trying the next one');
          full.add(vxnet);
          free.set(vxnet, 0);
          continue;
        }
        throw err;
      }
      this.crash('create:done');
      this.vxnetsFull = false;
      free.set(vxnet, Math.max(0, (free.get(vxnet) ?? 0) - created.length));
      // Not flushed here: the caller moves them to attaching and checkpoints that before AttachNics (reconcile treats an
      // unattached NIC in attaching like a created one), and the intent already names them for a crash before that.
      return table.addCreated(intent.id, created);
    }
  }

  /** Reads every configured vxnet's free addresses from the cloud; the read steers the next creates too. */
  private async readFreeAddresses(): Promise<Map<string, number>> {
    const free = new Map(await this.o.provider.freeAddresses(this.o.vxnets));
    this.freeView = { readAt: this.o.clock.now(), free };
    return free;
  }

  private async retireQuietly(ids: readonly string[], why: string): Promise<void> {
    try {
      await this.retire(ids);
    } catch (err) {
      // The records stay in detaching/deleting; the next maintenance round retries them.
      this.report(`cleaning up NICs after "${why}" failed`, err);
    }
  }

  private report(reason: string, err: unknown): void {
    this.o.logger.warn({ err }, reason);
    this.o.onError?.(reason, err);
  }
}
