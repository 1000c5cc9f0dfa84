import type { Clock } from '../../shared/clock.js';
import { messageOf } from '../../shared/errors.js';
import { InflightOperations } from '../../shared/inflight.js';
import type { Logger } from '../../shared/log.js';
import type { NetOps, PodNetSpec } from '../net/net-ops.js';
import { PROTOCOL_VERSION, type AddRequest, type AddResponse, type CheckRequest, type DelRequest, type GcRequest, type PodArgs, type StatusResponse } from '../protocol.js';
import { CNI_ERROR, CniError, isValidCniName, isValidIfName, parseCidr, parseResult, previewJson, type CniResult } from '../types.js';
import { toCniError } from './cni-errors.js';
import type { NodeInfo, VxnetInfo } from './nic-provider.js';
import { freeNicSlots, type PoolPolicyConfig } from './pool-policy.js';
import type { Pool } from './pool.js';
import type { CrashHook, NicRecord, NicTable, PodRef } from './state.js';

/** Where the service reports figures (metrics.ts implements it; tests pass nothing). */
export interface ServiceObserver {
  /** One verb answered, with its duration and whether it succeeded. */
  verb(verb: 'add' | 'del' | 'check' | 'gc', durationMs: number, ok: boolean): void;
  /** One failure, by a short reason (the CNI code or the background step). */
  error(reason: string): void;
}

/** One remembered failure (introspection). */
export interface RecentError {
  atMs: number;
  reason: string;
  message: string;
}

/** Options of HostnicService. */
export interface HostnicServiceOptions {
  node: NodeInfo;
  /** The configured vxnets as the cloud described them at start (gateway and network per vxnet). */
  vxnets: ReadonlyMap<string, VxnetInfo>;
  table: NicTable;
  pool: Pool;
  netOps: NetOps;
  clock: Clock;
  logger: Logger;
  policy: PoolPolicyConfig;
  /** Default service CIDR (an ADD may carry its own). */
  serviceCIDR: string;
  hostNetns?: string;
  crashPoint?: CrashHook;
  observer?: ServiceObserver;
}

const MAX_RECENT_ERRORS = 20;
/** Longest a background step waits for a gap between pod operations. */
const QUIET_MAX_WAIT_MS = 2_000;

/**
 * The daemon's side of protocol.ts: ADD gives a pod a NIC (warm pool, else create + attach now), DEL gives it back,
 * CHECK compares, STATUS reports readiness and the pod limit, GC releases attachments the runtime forgot.
 * Operations on one pod are serialised (InflightOperations: a retried ADD joins the running one); different pods run
 * concurrently.
 */
export class HostnicService {
  private readonly o: HostnicServiceOptions;
  private readonly crash: CrashHook;
  private readonly inflight = new InflightOperations();
  private readonly recent: RecentError[] = [];
  /** Cold ADDs between the limit check and their NIC's record: counted as pods so the limit holds under concurrency. */
  private coldAdds = 0;
  private ready = false;
  /** ADD/DEL/GC operations running now, and who waits for a gap between them (quiet()). */
  private podOps = 0;
  private quietWaiters: (() => void)[] = [];

  constructor(options: HostnicServiceOptions) {
    this.o = options;
    this.crash = options.crashPoint ?? (() => undefined);
  }

  /** Called once reconcile finished: from now on ADD/DEL/CHECK/GC are served. */
  markReady(): void {
    this.ready = true;
  }

  /** Pods holding a NIC. */
  podCount(): number {
    return this.o.table.inPhase('assigning', 'assigned').length + this.coldAdds;
  }

  async add(req: AddRequest): Promise<AddResponse> {
    const what = `ADD of pod ${describePod(req.args, req.containerId)} (${req.ifName}) on node ${this.o.node.instanceId}`;
    return this.observe('add', what, async () => {
      this.checkRequest(req, true);
      const serviceCidr: unknown = req.serviceCIDR ?? this.o.serviceCIDR;
      // The body is untrusted JSON: a non-string serviceCIDR must be a config error, not a TypeError in parseCidr.
      const cidr = typeof serviceCidr === 'string' ? parseCidr(serviceCidr) : undefined;
      if (typeof serviceCidr !== 'string' || cidr === undefined || cidr.family !== 4) {
        throw new CniError(CNI_ERROR.InvalidNetworkConfig, `${what}: serviceCIDR ${previewJson(serviceCidr)} is not an IPv4 CIDR; fix serviceCIDR in the conflist`);
      }
      return this.foreground(() => this.inflight.run(podOp('add', req), () => this.doAdd(req, serviceCidr, what)));
    });
  }

  async del(req: DelRequest): Promise<void> {
    const what = `DEL of pod ${describePod(req.args, req.containerId)} (${req.ifName}) on node ${this.o.node.instanceId}`;
    await this.observe('del', what, async () => {
      this.checkRequest(req, false);
      // ids the spec forbids cannot name anything ADD made: nothing to delete
      if (!isValidCniName(req.containerId) || !isValidIfName(req.ifName)) return;
      await this.foreground(() =>
        this.inflight.run(podOp('del', req), async () => {
          const nic = this.o.table.byPod(req.containerId, req.ifName);
          if (nic === undefined) return; // unknown or already deleted: DEL is idempotent
          await this.release(nic, req.netns);
        }),
      );
    });
  }

  async check(req: CheckRequest): Promise<void> {
    const what = `CHECK of pod ${describePod(req.args, req.containerId)} (${req.ifName}) on node ${this.o.node.instanceId}`;
    await this.observe('check', what, async () => {
      this.checkRequest(req, true);
      // prevResult comes from the runtime through the plugin: read it as any other untrusted result.
      let prevResult: CniResult;
      try {
        prevResult = parseResult(req.prevResult);
      } catch (err) {
        throw new CniError(CNI_ERROR.DecodingFailure, `${what}: prevResult is not a CNI result: ${messageOf(err)}`, undefined, { cause: err });
      }
      req = { ...req, prevResult };
      const nic = this.o.table.byPod(req.containerId, req.ifName);
      if (nic?.phase !== 'assigned' || nic.pod === undefined) {
        throw new CniError(CNI_ERROR.UnknownContainer, `${what}: hostnic has no attachment for container ${req.containerId} interface ${req.ifName}`);
      }
      const problems = this.resultProblems(nic, req);
      problems.push(...(await this.o.netOps.checkPod(this.podSpec(nic, { ...nic.pod, netns: req.netns }, nic.pod.serviceCidr ?? this.o.serviceCIDR))));
      // CHECK failures are plain failures in the spec (no dedicated code): 999, with every difference in msg.
      if (problems.length > 0) throw new CniError(CNI_ERROR.Internal, `${what}: NIC ${nic.nicId} does not match its ADD: ${problems.join('; ')}; delete the pod to get a fresh NIC`);
    });
  }

  /** STATUS: ready unless still reconciling, at the pod limit, or out of addresses with no idle NIC. */
  status(): StatusResponse {
    const node = this.o.node.instanceId;
    if (!this.ready) return { ready: false, code: CNI_ERROR.NotAvailable, msg: `hostnic-daemon on node ${node} is still reconciling its NICs after start; ADD is served once it is done`, protocolVersion: PROTOCOL_VERSION };
    const pods = this.podCount();
    const max = this.o.policy.maxPods;
    if (pods >= max) {
      return { ready: false, code: CNI_ERROR.NotAvailable, msg: `node ${node} at its pod limit: ${pods}/${max} pods; existing pods keep their connectivity`, protocolVersion: PROTOCOL_VERSION };
    }
    const idle = this.o.table.idle().length;
    if (idle === 0 && freeNicSlots(this.o.pool.stats(), this.o.policy) === 0) {
      return { ready: false, code: CNI_ERROR.NotAvailable, msg: `node ${node} has no free NIC slot (${this.o.policy.maxSecondaryNics} secondary NICs per instance) and no idle NIC; existing pods keep their connectivity`, protocolVersion: PROTOCOL_VERSION };
    }
    if (idle === 0 && this.o.pool.vxnetsFull) {
      return { ready: false, code: CNI_ERROR.NotAvailable, msg: `node ${node} has no idle NIC and no free address in vxnets ${[...this.o.vxnets.keys()].join(', ')}; existing pods keep their connectivity`, protocolVersion: PROTOCOL_VERSION };
    }
    return { ready: true, protocolVersion: PROTOCOL_VERSION };
  }

  /** GC: releases every pod NIC whose attachment the runtime no longer lists; failures are reported together. */
  async gc(req: GcRequest): Promise<void> {
    const what = `GC on node ${this.o.node.instanceId}`;
    await this.observe('gc', what, async () => {
      this.requireReady(what);
      const list: unknown = req.validAttachments;
      if (!Array.isArray(list) || !list.every((a: unknown) => typeof (a as { containerId?: unknown } | null)?.containerId === 'string' && typeof (a as { ifName?: unknown }).ifName === 'string')) {
        throw new CniError(CNI_ERROR.DecodingFailure, `${what}: validAttachments must be a list of {containerId, ifName} strings`);
      }
      const valid = new Set(req.validAttachments.map((a) => `${a.containerId}/${a.ifName}`));
      const stale = this.o.table.all().filter((n) => n.pod !== undefined && !valid.has(`${n.pod.containerId}/${n.pod.ifName}`));
      const failures: string[] = [];
      for (const nic of stale) {
        const pod = nic.pod!;
        try {
          await this.inflight.run({ key: `gc:${pod.containerId}/${pod.ifName}`, resources: [`pod:${pod.containerId}/${pod.ifName}`] }, async () => {
            const current = this.o.table.get(nic.nicId);
            if (current?.pod?.containerId === pod.containerId && current.pod.ifName === pod.ifName) await this.release(current, pod.netns);
          });
        } catch (err) {
          failures.push(`container ${pod.containerId} (${pod.ifName}, NIC ${nic.nicId}): ${messageOf(err)}`);
        }
      }
      if (stale.length > 0) this.o.pool.kick();
      if (failures.length > 0) {
        throw new CniError(CNI_ERROR.Internal, `${what}: ${failures.length} of ${stale.length} stale attachments could not be released: ${failures.join('; ')}; GC retries them next time`);
      }
    });
  }

  /** A JSON view of the daemon for `GET /v1/introspect`: NICs, pods, pool, recent errors (no secrets are held here). */
  introspect(): Record<string, unknown> {
    const stats = this.o.pool.stats();
    return {
      node: this.o.node.instanceId,
      ready: this.ready,
      pods: { count: this.podCount(), max: this.o.policy.maxPods },
      pool: {
        idle: stats.idle.length,
        inFlight: stats.inFlight,
        ownedNics: stats.ownedNics,
        foreignNics: stats.foreignNics,
        low: this.o.policy.low,
        high: this.o.policy.high,
        cooldownMs: this.o.policy.cooldownMs,
        vxnetsFull: this.o.pool.vxnetsFull,
      },
      vxnets: [...this.o.vxnets.values()],
      nics: this.o.table.all().map((n) => ({
        nicId: n.nicId,
        vxnetId: n.vxnetId,
        privateIp: n.privateIp,
        phase: n.phase,
        sinceMs: n.sinceMs,
        ...(n.pod === undefined ? {} : { pod: n.pod }),
      })),
      creating: this.o.table.intents(),
      operations: this.inflight.runningKeys(),
      lastErrors: [...this.recent],
    };
  }

  /** Remembers a failure for introspection and metrics. */
  recordError(reason: string, err: unknown): void {
    this.recent.push({ atMs: this.o.clock.now(), reason, message: messageOf(err) });
    if (this.recent.length > MAX_RECENT_ERRORS) this.recent.splice(0, this.recent.length - MAX_RECENT_ERRORS);
    this.o.observer?.error(reason);
  }

  /**
   * Resolves when no ADD/DEL runs, or after `maxWaitMs` (default 2 s) so a stream of pods cannot starve the pool's
   * refill. The pool's background steps wait on it: a refill competes with pod operations for the CPU and the checkpoint.
   */
  quiet(maxWaitMs = QUIET_MAX_WAIT_MS): Promise<void> {
    if (this.podOps === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const stop = new AbortController();
      const done = (): void => {
        stop.abort();
        resolve();
      };
      this.quietWaiters.push(done);
      this.o.clock.sleep(maxWaitMs, stop.signal).then(done, () => undefined);
    });
  }

  /** Resolves when every running operation has finished (graceful shutdown). */
  drain(): Promise<void> {
    return this.inflight.drain();
  }

  // ---- internals

  /** Runs a pod operation, counted for quiet(); the pool is kicked once it is answered, not while it runs. */
  private async foreground<T>(fn: () => Promise<T>): Promise<T> {
    this.podOps += 1;
    try {
      return await fn();
    } finally {
      this.podOps -= 1;
      // The answer is written later in this tick; background steps woken now would run their synchronous part first.
      setImmediate(() => this.afterPodOp());
    }
  }

  private afterPodOp(): void {
    if (this.podOps === 0) {
      const waiters = this.quietWaiters;
      this.quietWaiters = [];
      for (const wake of waiters) wake();
    }
    this.o.pool.kick();
  }

  private async doAdd(req: AddRequest, serviceCidr: string, what: string): Promise<AddResponse> {
    const { table, pool } = this.o;
    const pod: PodRef = { containerId: req.containerId, ifName: req.ifName, netns: req.netns, serviceCidr };
    const args: PodArgs = typeof req.args === 'object' && req.args !== null ? req.args : {};
    // Only strings go into the checkpoint: the body is untrusted JSON.
    if (typeof args.K8S_POD_NAME === 'string') pod.podName = args.K8S_POD_NAME;
    if (typeof args.K8S_POD_NAMESPACE === 'string') pod.podNamespace = args.K8S_POD_NAMESPACE;
    let nic = table.byPod(req.containerId, req.ifName);
    if (nic?.phase === 'assigned' && nic.result !== undefined && nic.pod?.netns === req.netns) return { result: nic.result }; // repeated ADD
    if (nic !== undefined && nic.phase !== 'assigning') {
      throw new CniError(CNI_ERROR.Internal, `${what}: NIC ${nic.nicId} is ${nic.phase} for this attachment (netns ${nic.pod?.netns ?? '?'}); DEL the attachment before adding it again`);
    }
    let taken = false;
    if (nic === undefined) {
      const pods = this.podCount();
      const max = this.o.policy.maxPods;
      if (pods >= max) {
        throw new CniError(CNI_ERROR.NodePodLimit, `${what}: node ${this.o.node.instanceId} runs ${pods} of ${max} pods (maxPods ${max}), each with its own NIC; schedule the pod on another node or raise maxPods (maxPods + pool.low may be at most 63, the NICs an instance holds besides its primary)`);
      }
      nic = pool.takeIdle(pod);
      if (nic === undefined) nic = await this.coldNic(pod, what); // checkpointed as assigning by createAndAttach
      else taken = true;
    }
    const spec = this.podSpec(nic, pod, serviceCidr);
    // Need not survive a power cut: the reboot undoes the move it announces (NIC back in the host, pod netns gone).
    const saved = taken ? table.flush({ durable: false }) : Promise.resolve();
    const announced = saved.then(() => this.crash('add:before-move'));
    let links;
    try {
      links = await this.o.netOps.addPod(spec, { after: announced });
    } catch (err) {
      await announced; // the checkpoint failed (or the daemon "crashed") before any change: nothing to give back
      // The runtime follows a failed ADD with DEL; giving the NIC back now keeps it usable even if that DEL is late.
      await this.release(nic, req.netns).catch((e: unknown) => this.recordError('add rollback', e));
      throw toCniError(err, `${what}: moving NIC ${nic.nicId} into ${req.netns}`);
    }
    this.crash('add:after-move');
    pool.noteLinkName(nic.nicId, undefined);
    const result: CniResult = {
      interfaces: [
        { name: links.hostVeth.name, ...(links.hostVeth.mac === undefined ? {} : { mac: links.hostVeth.mac }) },
        { name: req.ifName, mac: nic.nicId, sandbox: req.netns },
      ],
      ips: [{ address: spec.address, gateway: spec.gateway, interface: 1 }],
      routes: [{ dst: '0.0.0.0/0', gw: spec.gateway }],
      dns: {},
    };
    table.transition(nic.nicId, 'assigned', { pod, result });
    await table.flush();
    this.o.logger.info({ containerId: req.containerId, ifName: req.ifName, nic: nic.nicId, ip: nic.privateIp, pod: pod.podName }, 'pod got its NIC');
    return { result };
  }

  /** Cold path: no idle NIC, so create + attach one for this pod now. */
  private async coldNic(pod: PodRef, what: string): Promise<NicRecord> {
    if (freeNicSlots(this.o.pool.stats(), this.o.policy) < 1) {
      throw new CniError(CNI_ERROR.NodePodLimit, `${what}: instance ${this.o.node.instanceId} has no free NIC slot (${this.o.policy.maxSecondaryNics} secondary NICs per instance, ${this.o.pool.foreignNics} of them not hostnic's) and no idle NIC; free a NIC or lower maxPods`);
    }
    this.coldAdds += 1;
    try {
      const [nic] = await this.o.pool.createAndAttach(1, pod);
      return nic!;
    } finally {
      this.coldAdds -= 1;
    }
  }

  /** Takes the NIC back from its pod: releasing → delPod → idle, or retire when it did not come back to the host. */
  private async release(nic: NicRecord, netns: string): Promise<void> {
    const { table, pool } = this.o;
    const pod = nic.pod;
    table.transition(nic.nicId, 'releasing');
    const announced = table.flush().then(() => this.crash('del:before-move'));
    let out;
    try {
      out = await this.o.netOps.delPod(
        { containerId: pod?.containerId ?? '', podNetns: netns === '' ? undefined : netns, nicMac: nic.nicId, hostNetns: this.o.hostNetns },
        { after: announced },
      );
    } catch (err) {
      await announced; // a failed checkpoint is the error to report: nothing was changed
      throw err;
    }
    this.crash('del:after-move');
    pool.noteLinkName(nic.nicId, out.hostName);
    if (out.nic === 'not-found') {
      // The link is neither in the pod nor in the host netns (e.g. a vanished pod netns handed it to the root
      // namespace): the pool cannot use it, so it leaves the node. DEL still succeeds; a failed retire is retried.
      this.o.logger.warn({ nic: nic.nicId, containerId: pod?.containerId }, 'NIC not found in the pod or the host netns; retiring it');
      await pool.retire([nic.nicId]).catch((err: unknown) => this.recordError('retire after DEL', err));
      return;
    }
    table.transition(nic.nicId, 'attached-idle');
    // DEL's answer does not wait for this write: until it lands, the durable releasing record has reconcile finish the DEL.
    table.flush({ durable: false }).catch((err: unknown) => this.recordError('checkpoint after DEL', err));
    this.o.logger.info({ nic: nic.nicId, containerId: pod?.containerId }, 'NIC back in the pool');
  }

  private podSpec(nic: NicRecord, pod: PodRef, serviceCidr: string): PodNetSpec {
    const linkName = this.o.pool.linkName(nic.nicId);
    const vxnet = this.o.vxnets.get(nic.vxnetId);
    const prefix = vxnet?.network === undefined ? undefined : parseCidr(vxnet.network)?.prefix;
    if (vxnet?.gateway === undefined || prefix === undefined) {
      throw new CniError(CNI_ERROR.Internal, `NIC ${nic.nicId} is in vxnet ${nic.vxnetId}, which is not configured or has no router network/gateway; add it to the hostnic config`);
    }
    return {
      containerId: pod.containerId,
      podNetns: pod.netns,
      ifName: pod.ifName,
      nicMac: nic.nicId,
      address: `${nic.privateIp}/${prefix}`,
      gateway: vxnet.gateway,
      serviceCidrs: [serviceCidr],
      hostIps: this.o.node.primaryIps,
      ...(this.o.hostNetns === undefined ? {} : { hostNetns: this.o.hostNetns }),
      ...(linkName === undefined ? {} : { nicName: linkName }),
    };
  }

  /** What CHECK's prevResult says about our interface, compared with the record. */
  private resultProblems(nic: NicRecord, req: CheckRequest): string[] {
    const problems: string[] = [];
    const prev = req.prevResult;
    const index = prev.interfaces.findIndex((i) => i.name === req.ifName && (i.sandbox === undefined || i.sandbox === req.netns));
    if (index < 0) return [`prevResult has no interface ${req.ifName} in ${req.netns}`];
    const mac = prev.interfaces[index]!.mac;
    if (mac !== undefined && mac.toLowerCase() !== nic.nicId) problems.push(`prevResult says ${req.ifName} has MAC ${mac}, the daemon gave it NIC ${nic.nicId}`);
    const ours = prev.ips.filter((ip) => ip.interface === index).map((ip) => ip.address.split('/')[0]);
    if (ours.length > 0 && !ours.includes(nic.privateIp)) problems.push(`prevResult gives ${req.ifName} ${ours.join(', ')}, the NIC has ${nic.privateIp}`);
    return problems;
  }

  private checkRequest(req: { containerId: unknown; ifName: unknown; netns: unknown; args?: unknown }, strict: boolean): void {
    this.requireReady(`request on node ${this.o.node.instanceId}`);
    if (typeof req.containerId !== 'string' || typeof req.ifName !== 'string' || typeof req.netns !== 'string') {
      throw new CniError(CNI_ERROR.DecodingFailure, 'request needs string containerId, ifName and netns (protocol.ts AttachmentRequest)');
    }
    if (!strict) return;
    if (!isValidCniName(req.containerId)) throw new CniError(CNI_ERROR.InvalidEnvironment, `container id ${JSON.stringify(req.containerId)} is not a valid CNI_CONTAINERID`);
    if (!isValidIfName(req.ifName)) throw new CniError(CNI_ERROR.InvalidEnvironment, `interface name ${JSON.stringify(req.ifName)} is not a valid CNI_IFNAME`);
    if (req.netns === '') throw new CniError(CNI_ERROR.InvalidEnvironment, `CNI_NETNS is empty for container ${req.containerId}`);
  }

  private requireReady(what: string): void {
    if (!this.ready) throw new CniError(CNI_ERROR.TryAgainLater, `${what}: hostnic-daemon is still reconciling its NICs after start; retry in a few seconds`);
  }

  private async observe<T>(verb: 'add' | 'del' | 'check' | 'gc', what: string, fn: () => Promise<T>): Promise<T> {
    const start = this.o.clock.now();
    try {
      const value = await fn();
      this.o.observer?.verb(verb, this.o.clock.now() - start, true);
      return value;
    } catch (err) {
      const cniErr = toCniError(err, what);
      this.o.observer?.verb(verb, this.o.clock.now() - start, false);
      this.recordError(`${verb}:${cniErr.cniCode}`, cniErr);
      this.o.logger.warn({ err: cniErr, verb }, 'CNI verb failed');
      throw cniErr;
    }
  }
}

function podOp(verb: string, ref: { containerId: string; ifName: string }): { key: string; resources: string[] } {
  return { key: `${verb}:${ref.containerId}/${ref.ifName}`, resources: [`pod:${ref.containerId}/${ref.ifName}`] };
}

function describePod(args: PodArgs | undefined, containerId: unknown): string {
  if (args?.K8S_POD_NAMESPACE !== undefined && args.K8S_POD_NAME !== undefined) return `${args.K8S_POD_NAMESPACE}/${args.K8S_POD_NAME}`;
  return `container ${String(containerId)}`;
}
