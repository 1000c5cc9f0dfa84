import { isNetOpsError } from '../net/net-error.js';
import { nicNameFor } from './nic-provider.js';
import type { NodeState } from './node-state.js';

/** Options of OrphanSweeper. */
export interface OrphanSweeperOptions extends NodeState {
  /** An unexplained NIC is deleted only after being seen this long (a CreateNics in flight has no record yet). */
  ageMs: number;
  /** Time between sweeps (default 5 minutes). */
  intervalMs?: number;
  onError?: (reason: string, err: unknown) => void;
}

/**
 * The background sweep: NICs named for this node that no record explains (e.g. a CreateNics whose answer was lost)
 * are detached and deleted once they have been seen for `ageMs`, unless attached here with the link outside the
 * host netns (a pod may be using it). Also keeps the pool's count of foreign NICs current.
 */
export class OrphanSweeper {
  private readonly firstSeen = new Map<string, number>();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly o: OrphanSweeperOptions) {}

  /** One sweep; returns the NIC ids it retired. */
  async runOnce(): Promise<string[]> {
    const { table, instanceId, clock } = this.o;
    const name = nicNameFor(instanceId);
    const cloud = await this.o.provider.listOwned(instanceId);
    this.o.pool.foreignNics = cloud.filter((n) => n.instanceId === instanceId && !n.primary && n.name !== name && !table.get(n.nicId)).length;
    const unexplained = cloud.filter((n) => n.name === name && !n.primary && table.get(n.nicId) === undefined);
    const now = clock.now();
    for (const id of [...this.firstSeen.keys()]) if (!unexplained.some((n) => n.nicId === id)) this.firstSeen.delete(id);
    const due: string[] = [];
    for (const c of unexplained) {
      const first = this.firstSeen.get(c.nicId) ?? now;
      this.firstSeen.set(c.nicId, first);
      if (now - first < this.o.ageMs || c.state === 'attaching' || c.state === 'detaching') continue;
      if (c.instanceId !== undefined && c.instanceId !== instanceId) continue;
      if (c.instanceId === instanceId) {
        if (!(await this.inHost(c.nicId))) {
          this.o.logger.warn({ nic: c.nicId }, 'sweep: unexplained NIC attached here is not in the host netns (a pod may use it); leaving it');
          continue;
        }
        table.adopt({ nicId: c.nicId, vxnetId: c.vxnetId, privateIp: c.privateIp, phase: 'attached-idle' });
      } else {
        table.adopt({ nicId: c.nicId, vxnetId: c.vxnetId, privateIp: c.privateIp, phase: 'created' });
      }
      due.push(c.nicId);
    }
    if (due.length > 0) {
      this.o.logger.info({ nics: due }, 'sweep: deleting NICs named for this node that no record explains');
      for (const id of due) this.firstSeen.delete(id);
      await this.o.pool.retire(due);
    }
    return due;
  }

  /** Starts sweeping every intervalMs (idempotent). */
  start(): void {
    this.loop ??= (async () => {
      const signal = this.stopping.signal;
      while (!signal.aborted) {
        await this.o.clock.sleep(this.o.intervalMs ?? 300_000, signal).catch(() => undefined);
        if (signal.aborted) break;
        await this.runOnce().catch((err: unknown) => {
          this.o.logger.warn({ err }, 'sweep failed; retrying next interval');
          this.o.onError?.('sweep', err);
        });
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async inHost(mac: string): Promise<boolean> {
    try {
      return (await this.o.netOps.findLinkByMac(mac, this.o.hostNetns)) !== undefined;
    } catch (err) {
      if (isNetOpsError(err, 'NotFound')) return false;
      throw err;
    }
  }
}
