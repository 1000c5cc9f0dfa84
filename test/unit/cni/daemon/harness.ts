import type { Checkpointer, SaveOptions } from '../../../../src/shared/checkpoint.js';
import { silentLogger } from '../../../../src/shared/log.js';
import type { DaemonConfig } from '../../../../src/cni/daemon/config.js';
import { startHostnic, type RunningHostnic } from '../../../../src/cni/daemon/startup.js';
import type { CrashHook, CrashPointName } from '../../../../src/cni/daemon/state.js';
import { PROTOCOL_VERSION, type AddRequest, type DelRequest } from '../../../../src/cni/protocol.js';
import { FakeNetOps } from '../../../fakes/fake-net-ops.js';
import { FakeNicProvider } from '../../../fakes/fake-nic-provider.js';
import { ManualClock } from '../../../fakes/manual-clock.js';

export const NODE = 'i-test0001';
export const VXNET_A = 'vxnet-poda';
export const VXNET_B = 'vxnet-podb';
export const NODE_VXNET = 'vxnet-node';

/** A Checkpointer in memory (a deep copy of the last document), counting saves; a power cut keeps only durable saves. */
export class MemoryCheckpointer implements Checkpointer {
  private doc: string | undefined;
  private durableDoc: string | undefined;
  saves = 0;
  /** Makes the next save fail with this error. */
  failNextSave: Error | undefined;

  async load(): Promise<unknown> {
    return this.doc === undefined ? undefined : (JSON.parse(this.doc) as unknown);
  }

  async save(doc: unknown, options: SaveOptions = {}): Promise<void> {
    const failure = this.failNextSave;
    this.failNextSave = undefined;
    if (failure !== undefined) throw failure;
    this.doc = JSON.stringify(doc);
    if (options.durable !== false) this.durableDoc = this.doc;
    this.saves += 1;
  }

  /** Loses what only a durable save would have kept. */
  powerCut(): void {
    this.doc = this.durableDoc;
  }
}

/** Thrown by the crash hook: stands for the process dying at that step. */
export class SimulatedCrash extends Error {
  constructor(readonly point: CrashPointName) {
    super(`simulated crash at ${point}`);
  }
}

/** A world of fakes that outlives daemon instances: cloud, kernel, disk, clock. */
export class World {
  readonly clock = new ManualClock();
  readonly net = new FakeNetOps();
  readonly cloud = new FakeNicProvider(this.clock);
  readonly disk = new MemoryCheckpointer();
  /** The crash point armed for the next daemon instance (cleared when it fires). */
  crashAt: CrashPointName | undefined;
  daemons: RunningHostnic[] = [];
  private readonly podNamespaces = new Set<string>();

  constructor(options: { vxnetA?: { first?: number; last?: number }; vxnetB?: { first?: number; last?: number } } = {}) {
    this.cloud.nameForCreate = `hostnic_${NODE}`;
    this.cloud.addVxnet({ vxnetId: NODE_VXNET, prefix24: '10.0.0' });
    this.cloud.addVxnet({ vxnetId: VXNET_A, prefix24: '192.168.10', ...options.vxnetA });
    this.cloud.addVxnet({ vxnetId: VXNET_B, prefix24: '192.168.11', ...options.vxnetB });
    this.cloud.addInstance(NODE, NODE_VXNET);
    // the hypervisor: an attached NIC appears as a link in the host, a detached one disappears
    this.cloud.onAttached = (nic) => void this.net.plugNic(nic.nicId);
    this.cloud.onDetached = (nic) => this.net.unplugNic(nic.nicId);
  }

  /** Starts a daemon instance over this world (no background loops: tests drive the pool). */
  async start(config: Partial<DaemonConfig> = {}): Promise<RunningHostnic> {
    const crashPoint: CrashHook = (point) => {
      if (this.crashAt === point) {
        this.crashAt = undefined;
        throw new SimulatedCrash(point);
      }
    };
    const daemon = await startHostnic({
      config: {
        vxnets: [VXNET_A, VXNET_B],
        pool: { low: 0, high: 0, cooldownSeconds: 60 },
        maxPods: 60,
        serviceCIDR: '10.96.0.0/12',
        hostNetns: undefined,
        orphanAgeSeconds: 600,
        ...config,
      },
      instanceId: NODE,
      provider: this.cloud,
      netOps: this.net,
      checkpointer: this.disk,
      clock: this.clock,
      logger: silentLogger(),
      background: false,
      crashPoint,
      linkWaitMs: 0,
      reconcileLinkWaitMs: 0,
      settleTimeoutMs: 0,
    });
    this.daemons.push(daemon);
    return daemon;
  }

  /** Creates a pod netns the way the runtime does. */
  podNetns(name: string): string {
    this.net.addNetns(name);
    this.podNamespaces.add(name);
    return `/var/run/netns/${name}`;
  }

  /** A power cut and reboot: the disk keeps only durable saves, pod namespaces are gone and their NICs back in the host. */
  powerCut(): void {
    this.disk.powerCut();
    for (const name of this.podNamespaces) this.net.deleteNetns(name);
    this.podNamespaces.clear();
  }

  async stopAll(): Promise<void> {
    for (const d of this.daemons) await d.stop();
    this.daemons = [];
  }

  /** NICs attached to the node that are hostnic's (cloud view). */
  attachedOwned(): string[] {
    return this.cloud.ownedBy(NODE).filter((n) => n.state === 'attached').map((n) => n.nicId);
  }
}

export function addReq(containerId: string, netns: string, extra: Partial<AddRequest> = {}): AddRequest {
  return { protocolVersion: PROTOCOL_VERSION, containerId, ifName: 'eth0', netns, args: { K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: `pod-${containerId}` }, ...extra };
}

export function delReq(containerId: string, netns: string, extra: Partial<DelRequest> = {}): DelRequest {
  return { protocolVersion: PROTOCOL_VERSION, containerId, ifName: 'eth0', netns, args: {}, ...extra };
}
