import { backoffDelay } from '../../shared/backoff.js';
import { messageOf } from '../../shared/errors.js';
import { isNetOpsError } from '../net/net-error.js';
import type { LinkInfo } from '../net/net-ops.js';
import { waitForLink } from './links.js';
import { nicNameFor, type CloudNic } from './nic-provider.js';
import type { NicRecord } from './state.js';
import type { NodeState } from './node-state.js';

/** Options of reconcile(). */
export interface ReconcileOptions extends NodeState {
  /** How long to wait for NICs in a cloud transition (attaching/detaching) to settle (default 5 minutes). */
  settleTimeoutMs?: number;
  /** How long a NIC attached in the cloud may take to show its link in the host netns (default 10 s). */
  linkWaitMs?: number;
}

/** What reconcile did, by NIC id. */
export interface ReconcileReport {
  /** Records confirmed as they were (idle NICs, pods keeping their NIC). */
  kept: string[];
  /** Half-done attaches finished and half-done ADDs/DELs undone or finished: now idle. */
  idled: string[];
  /** Detached and deleted (or left for the pool to retry when the cloud failed). */
  retired: string[];
  /** NICs named for this node found in the cloud without a record, taken into the pool. */
  adopted: string[];
  /** Records whose NIC the cloud no longer has (or moved to another instance). */
  dropped: string[];
  /** NICs named for this node, attached here, whose link is not in the host netns and no record explains. */
  unexplained: string[];
}

const SETTLE_POLL = { initialMs: 1_000, maxMs: 10_000, factor: 2, jitter: 0 };

/** True for a NIC in a cloud transition. */
function moving(nic: CloudNic): boolean {
  return nic.state === 'attaching' || nic.state === 'detaching';
}

/**
 * Start-up reconciliation, before serving: the checkpoint (what the daemon was doing), the cloud (DescribeNics by
 * instance and by name) and the kernel (links by MAC in the host netns and in recorded pod netns) are brought into
 * agreement. Per recorded phase:
 *   created            → roll back: delete (the NIC was never attached)
 *   attaching          → attached here with its link: finish (idle); else roll back (detach + delete)
 *   attached-idle      → attached here with its link: keep; else retire
 *   assigning(pod)     → the ADD never answered, so the runtime will DEL: undo (NIC out of the pod, back to idle)
 *   assigned(pod)      → keep: the pod keeps its NIC and address (a NIC the cloud lost is dropped, loudly)
 *   releasing(pod)     → finish the DEL (NIC back to idle, or retire when its link is gone)
 *   detaching/deleting → finish: detach + delete
 * NICs named for this node without a record: not attached → delete; attached with the link in the host → adopt as
 * idle; attached elsewhere in the kernel → left alone and reported (a pod of a daemon that lost its disk may hold it).
 * Create intents are cleared: the NICs they made are among the unrecorded ones. No NIC ends up in two pods: only pod
 * phases carry a pod, one per record, and undone ADDs lose theirs.
 */
export async function reconcile(o: ReconcileOptions): Promise<ReconcileReport> {
  const report: ReconcileReport = { kept: [], idled: [], retired: [], adopted: [], dropped: [], unexplained: [] };
  const { table, logger, instanceId } = o;
  const name = nicNameFor(instanceId);
  const cloud = await settledCloud(o);
  const byId = new Map(cloud.map((n) => [n.nicId, n]));
  o.pool.foreignNics = cloud.filter((n) => n.instanceId === instanceId && !n.primary && n.name !== name && !table.get(n.nicId)).length;

  const toRetire: string[] = [];
  const retire = (nic: NicRecord, why: string): void => {
    logger.info({ nic: nic.nicId, phase: nic.phase, why }, 'reconcile: retiring NIC');
    if (nic.phase === 'assigning') table.transition(nic.nicId, 'releasing');
    toRetire.push(nic.nicId);
  };

  for (const nic of table.all()) {
    const c = byId.get(nic.nicId);
    if (c === undefined || (c.instanceId !== undefined && c.instanceId !== instanceId)) {
      const where = c === undefined ? 'the cloud no longer has it' : `it is attached to ${c.instanceId}`;
      if (nic.phase === 'assigned') logger.error({ nic: nic.nicId, pod: nic.pod }, `reconcile: pod lost its NIC: ${where}`);
      else logger.warn({ nic: nic.nicId, phase: nic.phase }, `reconcile: dropping record: ${where}`);
      table.remove(nic.nicId);
      report.dropped.push(nic.nicId);
      continue;
    }
    if (moving(c)) {
      logger.warn({ nic: nic.nicId, state: c.state }, 'reconcile: NIC still in a cloud transition; the pool retries it later');
      continue;
    }
    const attachedHere = c.state === 'attached';
    switch (nic.phase) {
      case 'created':
      case 'detaching':
      case 'deleting':
        retire(nic, `half-done ${nic.phase}`);
        break;
      case 'attaching':
      case 'attached-idle': {
        const link = attachedHere ? await linkWithin(o, nic.nicId) : undefined;
        if (link === undefined) retire(nic, attachedHere ? 'attached but its link is not in the host netns' : 'not attached');
        else if (nic.phase === 'attaching') {
          table.transition(nic.nicId, 'attached-idle');
          report.idled.push(nic.nicId);
        } else report.kept.push(nic.nicId);
        break;
      }
      case 'assigning':
      case 'releasing': {
        const back = await takeBack(o, nic);
        if (nic.phase === 'assigning') table.transition(nic.nicId, 'releasing');
        if (attachedHere && back) {
          table.transition(nic.nicId, 'attached-idle');
          report.idled.push(nic.nicId);
        } else retire(nic, 'its link did not come back to the host');
        break;
      }
      case 'assigned':
        if (!attachedHere) logger.error({ nic: nic.nicId, pod: nic.pod }, 'reconcile: NIC of a running pod is not attached in the cloud; the pod has no connectivity until it is recreated');
        report.kept.push(nic.nicId);
        break;
    }
  }

  for (const c of cloud) {
    if (c.name !== name || c.primary || table.get(c.nicId) !== undefined || moving(c)) continue;
    if (c.instanceId === undefined) {
      table.adopt({ nicId: c.nicId, vxnetId: c.vxnetId, privateIp: c.privateIp, phase: 'created' });
      toRetire.push(c.nicId);
      logger.info({ nic: c.nicId }, 'reconcile: deleting an unattached NIC named for this node that no record explains');
    } else if (c.instanceId === instanceId) {
      if ((await linkWithin(o, c.nicId)) !== undefined) {
        table.adopt({ nicId: c.nicId, vxnetId: c.vxnetId, privateIp: c.privateIp, phase: 'attached-idle' });
        report.adopted.push(c.nicId);
        logger.info({ nic: c.nicId }, 'reconcile: adopted an attached NIC named for this node into the pool');
      } else {
        report.unexplained.push(c.nicId);
        logger.warn({ nic: c.nicId }, 'reconcile: NIC named for this node is attached but its link is not in the host netns and no record explains it; leaving it alone');
      }
    }
  }
  table.clearIntents();
  await table.flush();

  if (toRetire.length > 0) {
    report.retired.push(...toRetire);
    try {
      await o.pool.retire(toRetire);
    } catch (err) {
      // The records stay in detaching/deleting and the pool's maintenance retries them: serving need not wait.
      logger.warn({ err, nics: toRetire }, `reconcile: retiring NICs failed (${messageOf(err)}); the pool retries`);
    }
  }
  logger.info({ ...report }, 'reconcile done');
  return report;
}

/** The node's NICs from the cloud once none of ours is in a transition (or the settle deadline passed). */
async function settledCloud(o: ReconcileOptions): Promise<CloudNic[]> {
  const name = nicNameFor(o.instanceId);
  const deadline = o.clock.now() + (o.settleTimeoutMs ?? 300_000);
  for (let attempt = 0; ; attempt += 1) {
    const cloud = await o.provider.listOwned(o.instanceId);
    const busy = cloud.filter((n) => (n.name === name || o.table.get(n.nicId) !== undefined) && moving(n));
    if (busy.length === 0 || o.clock.now() >= deadline) return cloud;
    o.logger.info({ nics: busy.map((n) => n.nicId) }, 'reconcile: waiting for NICs in a cloud transition');
    await o.clock.sleep(Math.min(backoffDelay(attempt, SETTLE_POLL), deadline - o.clock.now()));
  }
}

async function linkWithin(o: ReconcileOptions, mac: string): Promise<LinkInfo | undefined> {
  try {
    const link = await waitForLink(o.netOps, o.clock, mac, o.hostNetns, o.linkWaitMs ?? 10_000);
    o.pool.noteLinkName(mac, link.name);
    return link;
  } catch (err) {
    o.logger.debug({ err, nic: mac }, 'reconcile: link not found in the host netns');
    return undefined;
  }
}

/** Undoes the kernel side of an ADD (or finishes a DEL); true when the NIC is back in the host netns. */
async function takeBack(o: ReconcileOptions, nic: NicRecord): Promise<boolean> {
  try {
    const out = await o.netOps.delPod({
      containerId: nic.pod?.containerId ?? '',
      podNetns: nic.pod?.netns === '' ? undefined : nic.pod?.netns,
      nicMac: nic.nicId,
      hostNetns: o.hostNetns,
    });
    o.pool.noteLinkName(nic.nicId, out.hostName);
    return out.nic !== 'not-found';
  } catch (err) {
    if (!isNetOpsError(err)) throw err;
    o.logger.warn({ err, nic: nic.nicId }, 'reconcile: taking the NIC back from its pod failed');
    return false;
  }
}
