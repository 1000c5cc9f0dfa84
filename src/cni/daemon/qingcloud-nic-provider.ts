import { messageOf } from '../../shared/errors.js';
import {
  JobFailedError,
  JobTimeoutError,
  QingCloudApiError,
  QingCloudTransportError,
  isRetryable,
  type Nic,
  type QingCloud,
} from '../../qingcloud/index.js';
import {
  NicProviderError,
  nicNameFor,
  type CloudNic,
  type CloudNicState,
  type CreatedNic,
  type NicProvider,
  type NodeInfo,
  type VxnetInfo,
} from './nic-provider.js';

/** Options of QingCloudNicProvider. */
export interface QingCloudNicProviderOptions {
  sdk: QingCloud;
  /** This node: every NIC created is named nicNameFor(instanceId). */
  instanceId: string;
  /** Deadline of one attach/detach job wait (default 5 minutes). */
  jobTimeoutMs?: number;
}

/**
 * CreateNics/AttachNics answer ret_code 1400 for a full vxnet (no free IP, or 252 NICs): the only signal is the message
 * (qingcloud-api.md §3.3 overloaded 1400), so this pattern is the one place the adapter reads message text.
 */
const VXNET_FULL = /no free (private )?ip|ip.*(exhaust|insufficient|not enough)|vxnet .*may have at most/i;
/** AttachNics 1400 for an instance whose NIC slots are used up. */
const INSTANCE_FULL = /instance .*(may have at most|limit)|too many nics|exceed/i;

/** NicProvider over the QingCloud SDK: the one daemon file (with main.ts) that talks to the cloud. */
export class QingCloudNicProvider implements NicProvider {
  private readonly sdk: QingCloud;
  private readonly name: string;
  private readonly jobTimeoutMs: number;

  constructor(options: QingCloudNicProviderOptions) {
    this.sdk = options.sdk;
    this.name = nicNameFor(options.instanceId);
    this.jobTimeoutMs = options.jobTimeoutMs ?? 5 * 60_000;
  }

  async listOwned(instanceId: string): Promise<CloudNic[]> {
    const name = nicNameFor(instanceId);
    try {
      const [byName, byInstance] = await Promise.all([
        this.sdk.api.nics.describeAllNics({ nic_name: name }),
        this.sdk.api.nics.describeAllNics({ instances: [instanceId] }),
      ]);
      const out = new Map<string, CloudNic>();
      // nic_name is a search word on the API side: keep exact matches only.
      for (const nic of byName) if (nic.nic_name === name) out.set(nic.nic_id.toLowerCase(), toCloudNic(nic));
      for (const nic of byInstance) out.set(nic.nic_id.toLowerCase(), toCloudNic(nic));
      return [...out.values()];
    } catch (err) {
      throw classify(err, `list the NICs of instance ${instanceId} (DescribeNics by name ${name} and by instance)`);
    }
  }

  async create(vxnetId: string, count: number): Promise<CreatedNic[]> {
    try {
      const res = await this.sdk.api.nics.createNics({ vxnet: vxnetId, nic_name: this.name, count });
      return res.nics.map((n) => ({ nicId: n.nic_id.toLowerCase(), privateIp: n.private_ip, vxnetId }));
    } catch (err) {
      if (err instanceof QingCloudApiError && err.retCode === 1400 && VXNET_FULL.test(err.apiMessage)) {
        throw new NicProviderError('NoAddresses', `vxnet ${vxnetId} has no free address for ${count} more NIC(s): ${err.apiMessage}; add a vxnet to the hostnic config or free addresses`, { cause: err });
      }
      throw classify(err, `create ${count} NIC(s) named ${this.name} in vxnet ${vxnetId}`);
    }
  }

  async attach(nicIds: readonly string[], instanceId: string): Promise<void> {
    if (nicIds.length === 0) return;
    try {
      await this.sdk.api.nics.attachNicsAndWait(nicIds, instanceId, { timeoutMs: this.jobTimeoutMs });
    } catch (err) {
      if (err instanceof QingCloudApiError && err.retCode === 1400 && INSTANCE_FULL.test(err.apiMessage)) {
        throw new NicProviderError('LimitExceeded', `instance ${instanceId} has no NIC slot left for ${nicIds.join(', ')}: ${err.apiMessage}; lower maxPods or pool.high`, { cause: err });
      }
      throw classify(err, `attach NIC(s) ${nicIds.join(', ')} to instance ${instanceId}`);
    }
  }

  async detach(nicIds: readonly string[]): Promise<void> {
    if (nicIds.length === 0) return;
    try {
      // Idempotent: only NICs still attached are detached (a detached or deleted NIC would fail the whole call).
      const attached = (await this.sdk.api.nics.describeAllNics({ nics: nicIds })).filter((n) => n.status === 'in-use').map((n) => n.nic_id);
      if (attached.length > 0) await this.sdk.api.nics.detachNicsAndWait(attached, { timeoutMs: this.jobTimeoutMs });
    } catch (err) {
      throw classify(err, `detach NIC(s) ${nicIds.join(', ')}`);
    }
  }

  async delete(nicIds: readonly string[]): Promise<void> {
    if (nicIds.length === 0) return;
    try {
      // Idempotent: NICs already deleted are left out (DeleteNics of an unknown id fails the whole call).
      const existing = (await this.sdk.api.nics.describeAllNics({ nics: nicIds })).map((n) => n.nic_id);
      if (existing.length > 0) await this.sdk.api.nics.deleteNics(existing);
    } catch (err) {
      throw classify(err, `delete NIC(s) ${nicIds.join(', ')}`);
    }
  }

  async freeAddresses(vxnetIds: readonly string[]): Promise<Map<string, number>> {
    const infos = await this.describeVxnets(vxnetIds);
    return new Map(infos.map((v) => [v.vxnetId, v.freeAddresses]));
  }

  async describeVxnets(vxnetIds: readonly string[]): Promise<VxnetInfo[]> {
    if (vxnetIds.length === 0) return [];
    try {
      const vxnets = await this.sdk.api.vxnets.describeAllVxnets({ vxnets: vxnetIds });
      return vxnets.map((v) => ({
        vxnetId: v.vxnet_id,
        vpcRouterId: v.vpc_router_id === '' ? undefined : v.vpc_router_id,
        network: nonEmpty(v.router?.ip_network),
        gateway: nonEmpty(v.router?.manager_ip),
        dhcpStart: nonEmpty(v.router?.dyn_ip_start),
        dhcpEnd: nonEmpty(v.router?.dyn_ip_end),
        freeAddresses: typeof v.available_ip_count === 'number' ? v.available_ip_count : 0,
      }));
    } catch (err) {
      throw classify(err, `describe vxnet(s) ${vxnetIds.join(', ')}`);
    }
  }

  async describeNode(instanceId: string): Promise<NodeInfo> {
    let instance;
    try {
      instance = await this.sdk.api.instances.getInstance(instanceId);
    } catch (err) {
      throw classify(err, `describe instance ${instanceId}`);
    }
    if (instance === undefined) throw new NicProviderError('NotFound', `instance ${instanceId} does not exist in this zone; check instanceIdFile and the SDK zone`);
    const nics = instance.vxnets ?? [];
    const primary = nics.filter((n) => n.role === 1);
    const first = primary[0] ?? nics[0];
    return { instanceId, primaryVxnetId: first?.vxnet_id, primaryIps: (primary.length > 0 ? primary : nics.slice(0, 1)).map((n) => n.private_ip).filter((ip) => ip !== '') };
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function stateOf(nic: Nic): CloudNicState {
  const transition = typeof nic['transition_status'] === 'string' ? nic['transition_status'] : '';
  if (transition === 'attaching') return 'attaching';
  if (transition === 'detaching') return 'detaching';
  if (nic.status === 'in-use') return 'attached';
  // AttachNics sets instance_id at once while the job runs; status turns in-use when it is done.
  return nic.instance_id !== '' ? 'attaching' : 'available';
}

function toCloudNic(nic: Nic): CloudNic {
  return {
    nicId: nic.nic_id.toLowerCase(),
    name: nic.nic_name,
    vxnetId: nic.vxnet_id,
    privateIp: nic.private_ip,
    state: stateOf(nic),
    instanceId: nic.instance_id === '' ? undefined : nic.instance_id,
    primary: nic.role === 1,
  };
}

/** SDK error → NicProviderError kind, once, here. */
function classify(err: unknown, what: string): NicProviderError {
  const tail = 'the daemon retries on its own; check the QingCloud console if it persists';
  if (err instanceof QingCloudApiError) {
    if (err.kind === 'notFound') return new NicProviderError('NotFound', `could not ${what}: ${err.message}`, { cause: err });
    if (err.kind === 'quota') return new NicProviderError('LimitExceeded', `could not ${what}: ${err.message}; raise the NIC or API quota of the account`, { cause: err });
    if (isRetryable(err) || err.kind === 'unavailable') return new NicProviderError('Busy', `could not ${what}: ${err.message}; ${tail}`, { cause: err });
    return new NicProviderError('Internal', `could not ${what}: ${err.message}`, { cause: err });
  }
  if (err instanceof QingCloudTransportError || err instanceof JobTimeoutError) {
    return new NicProviderError('Busy', `could not ${what}: ${err.message}; ${tail}`, { cause: err });
  }
  if (err instanceof JobFailedError) return new NicProviderError('Internal', `could not ${what}: ${err.message}`, { cause: err });
  return new NicProviderError('Internal', `could not ${what}: ${messageOf(err)}`, { cause: err });
}
