import type { Clock } from '../../src/shared/clock.js';
import {
  NicProviderError,
  nicNameFor,
  type CloudNic,
  type CreatedNic,
  type NicErrorKind,
  type NicProvider,
  type NodeInfo,
  type VxnetInfo,
} from '../../src/cni/daemon/nic-provider.js';

/** A vxnet of the fake cloud: addresses are handed out from .start to .end of a /24. */
export interface FakeVxnet {
  vxnetId: string;
  /** e.g. 192.168.10 (the /24's first three octets). */
  prefix24: string;
  vpcRouterId?: string;
  /** Host numbers of the DHCP range (default 2..254); a small range makes a vxnet fill up quickly. */
  first?: number;
  last?: number;
  /** Leave out router/DHCP data (for validation tests). */
  noRouter?: boolean;
}

/** One NIC of the fake cloud. */
export interface FakeNic {
  nicId: string;
  name: string;
  vxnetId: string;
  privateIp: string;
  instanceId: string | undefined;
  state: CloudNic['state'];
  primary: boolean;
}

/** Methods a test can make fail or slow down. */
export type FakeNicMethod = 'listOwned' | 'create' | 'attach' | 'detach' | 'delete' | 'freeAddresses' | 'describeVxnets' | 'describeNode';

/**
 * A stateful in-memory NicProvider: vxnets with address ranges, instances with a primary NIC, NICs that are created,
 * attached (64 per instance with the primary), detached, deleted. `latencyMs` makes attach/detach take time on the
 * injected Clock; `failNext` injects classified failures; `onAttached`/`onDetached` let a test plug links into a
 * FakeNetOps as the hypervisor would.
 */
export class FakeNicProvider implements NicProvider {
  readonly nics = new Map<string, FakeNic>();
  readonly calls: { method: FakeNicMethod; arg: unknown }[] = [];
  /** Per-method latency on the clock (attach/detach jobs). */
  latencyMs: Partial<Record<FakeNicMethod, number>> = {};
  onAttached: (nic: FakeNic) => void = () => undefined;
  onDetached: (nic: FakeNic) => void = () => undefined;
  maxNicsPerInstance = 64;
  private readonly vxnets = new Map<string, FakeVxnet>();
  private readonly instances = new Map<string, { primaryVxnetId: string; primaryNic: string }>();
  private readonly failures: { method: FakeNicMethod; error: Error }[] = [];
  private nextMac = 1;

  constructor(private readonly clock: Clock) {}

  addVxnet(vxnet: FakeVxnet): this {
    this.vxnets.set(vxnet.vxnetId, { vpcRouterId: 'rtr-fake0001', ...vxnet });
    return this;
  }

  /** A running instance with its primary NIC in `primaryVxnetId`. */
  addInstance(instanceId: string, primaryVxnetId: string): this {
    const nic = this.newNic(primaryVxnetId, `primary_${instanceId}`);
    nic.instanceId = instanceId;
    nic.state = 'attached';
    nic.primary = true;
    this.instances.set(instanceId, { primaryVxnetId, primaryNic: nic.nicId });
    return this;
  }

  /** A NIC made outside hostnic (e.g. by a user), optionally attached. */
  addForeignNic(vxnetId: string, name: string, instanceId?: string): FakeNic {
    const nic = this.newNic(vxnetId, name);
    if (instanceId !== undefined) {
      nic.instanceId = instanceId;
      nic.state = 'attached';
    }
    return nic;
  }

  /** Makes the next call of `method` fail with a NicProviderError of `kind` (queued, first in first out). */
  failNext(method: FakeNicMethod, kind: NicErrorKind = 'Internal', message = `injected ${kind} failure of ${method}`): this {
    this.failures.push({ method, error: new NicProviderError(kind, message) });
    return this;
  }

  /** Makes the next call of `method` throw `error` as is. */
  throwNext(method: FakeNicMethod, error: Error): this {
    this.failures.push({ method, error });
    return this;
  }

  /** NICs named for `instanceId`. */
  ownedBy(instanceId: string): FakeNic[] {
    return [...this.nics.values()].filter((n) => n.name === nicNameFor(instanceId));
  }

  /** Number of calls of `method`. */
  count(method: FakeNicMethod): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  // ---- NicProvider

  async listOwned(instanceId: string): Promise<CloudNic[]> {
    await this.enter('listOwned', instanceId);
    return [...this.nics.values()].filter((n) => n.name === nicNameFor(instanceId) || n.instanceId === instanceId).map((n) => ({ ...n }));
  }

  async create(vxnetId: string, count: number): Promise<CreatedNic[]> {
    await this.enter('create', { vxnetId, count });
    const v = this.vxnet(vxnetId);
    if (this.free(v) < count) throw new NicProviderError('NoAddresses', `vxnet ${vxnetId} has no free address for ${count} NIC(s)`);
    const name = this.nameForCreate;
    return Array.from({ length: count }, () => {
      const nic = this.newNic(vxnetId, name);
      return { nicId: nic.nicId, privateIp: nic.privateIp, vxnetId };
    });
  }

  /** The name create() gives NICs (the adapter names them for its own instance). */
  nameForCreate = 'hostnic_i-test0001';

  async attach(nicIds: readonly string[], instanceId: string): Promise<void> {
    await this.enter('attach', { nicIds, instanceId });
    const nics = nicIds.map((id) => this.nic(id, 'attach'));
    for (const n of nics) if (n.state !== 'available') throw new NicProviderError('Internal', `NIC ${n.nicId} is ${n.state}, not available`);
    const onInstance = [...this.nics.values()].filter((n) => n.instanceId === instanceId).length;
    if (onInstance + nics.length > this.maxNicsPerInstance) throw new NicProviderError('LimitExceeded', `instance ${instanceId} has ${onInstance} NICs`);
    for (const n of nics) {
      n.state = 'attaching';
      n.instanceId = instanceId;
    }
    await this.clock.sleep(this.latencyMs.attach ?? 0);
    for (const n of nics) {
      n.state = 'attached';
      this.onAttached(n);
    }
  }

  async detach(nicIds: readonly string[]): Promise<void> {
    await this.enter('detach', nicIds);
    const nics = nicIds.map((id) => this.nics.get(id)).filter((n): n is FakeNic => n !== undefined && n.state === 'attached');
    for (const n of nics) n.state = 'detaching';
    await this.clock.sleep(this.latencyMs.detach ?? 0);
    for (const n of nics) {
      n.state = 'available';
      n.instanceId = undefined;
      this.onDetached(n);
    }
  }

  async delete(nicIds: readonly string[]): Promise<void> {
    await this.enter('delete', nicIds);
    for (const id of nicIds) {
      const n = this.nics.get(id);
      if (n !== undefined && n.state !== 'available') throw new NicProviderError('Internal', `NIC ${id} is ${n.state}; detach it first`);
    }
    for (const id of nicIds) this.nics.delete(id);
  }

  async freeAddresses(vxnetIds: readonly string[]): Promise<Map<string, number>> {
    await this.enter('freeAddresses', vxnetIds);
    return new Map(vxnetIds.filter((id) => this.vxnets.has(id)).map((id) => [id, this.free(this.vxnets.get(id)!)]));
  }

  async describeVxnets(vxnetIds: readonly string[]): Promise<VxnetInfo[]> {
    await this.enter('describeVxnets', vxnetIds);
    return vxnetIds.flatMap((id) => {
      const v = this.vxnets.get(id);
      if (v === undefined) return [];
      const router = v.noRouter === true;
      return [
        {
          vxnetId: id,
          vpcRouterId: v.vpcRouterId,
          network: router ? undefined : `${v.prefix24}.0/24`,
          gateway: router ? undefined : `${v.prefix24}.1`,
          dhcpStart: router ? undefined : `${v.prefix24}.${v.first ?? 2}`,
          dhcpEnd: router ? undefined : `${v.prefix24}.${v.last ?? 254}`,
          freeAddresses: this.free(v),
        },
      ];
    });
  }

  async describeNode(instanceId: string): Promise<NodeInfo> {
    await this.enter('describeNode', instanceId);
    const i = this.instances.get(instanceId);
    if (i === undefined) throw new NicProviderError('NotFound', `instance ${instanceId} does not exist`);
    return { instanceId, primaryVxnetId: i.primaryVxnetId, primaryIps: [this.nics.get(i.primaryNic)!.privateIp] };
  }

  // ---- internals

  private async enter(method: FakeNicMethod, arg: unknown): Promise<void> {
    this.calls.push({ method, arg });
    const i = this.failures.findIndex((f) => f.method === method);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw f!.error;
    }
    if (method !== 'attach' && method !== 'detach' && (this.latencyMs[method] ?? 0) > 0) await this.clock.sleep(this.latencyMs[method]!);
  }

  private vxnet(id: string): FakeVxnet {
    const v = this.vxnets.get(id);
    if (v === undefined) throw new NicProviderError('NotFound', `vxnet ${id} does not exist`);
    return v;
  }

  private nic(id: string, what: string): FakeNic {
    const n = this.nics.get(id);
    if (n === undefined) throw new NicProviderError('NotFound', `cannot ${what} NIC ${id}: it does not exist`);
    return n;
  }

  private used(vxnetId: string): Set<string> {
    return new Set([...this.nics.values()].filter((n) => n.vxnetId === vxnetId).map((n) => n.privateIp));
  }

  private free(v: FakeVxnet): number {
    return (v.last ?? 254) - (v.first ?? 2) + 1 - [...this.nics.values()].filter((n) => n.vxnetId === v.vxnetId && !n.primary).length;
  }

  private newNic(vxnetId: string, name: string): FakeNic {
    const v = this.vxnet(vxnetId);
    const used = this.used(vxnetId);
    let host = v.first ?? 2;
    while (used.has(`${v.prefix24}.${host}`)) host += 1;
    const n = this.nextMac++;
    const nicId = `52:54:00:00:${Math.floor(n / 256).toString(16).padStart(2, '0')}:${(n % 256).toString(16).padStart(2, '0')}`;
    const nic: FakeNic = { nicId, name, vxnetId, privateIp: `${v.prefix24}.${host}`, instanceId: undefined, state: 'available', primary: false };
    this.nics.set(nicId, nic);
    return nic;
  }
}
