import { Coalescer } from '../coalesce.js';
import type { CallOptions } from '../client.js';
import { checkIds } from '../ids.js';
import type { ResourceTag } from './common.js';
import { callOptions, jobIdOf, waitForJob, type ActionContext, type AndWaitOptions, type JobResult } from './context.js';
import type { Job } from './jobs.js';
import { describeAll, MAX_PAGE_SIZE, toPage, type Page, type PageParams } from './paging.js';

/** A NIC from DescribeNics (qingcloud-api.md §5.2); its id is its MAC address. */
export interface Nic {
  nic_id: string;
  nic_name: string;
  vxnet_id: string;
  private_ip: string;
  /** "" when not attached. */
  instance_id: string;
  status: 'available' | 'in-use';
  /** 1 primary, 0 secondary. */
  role: number;
  sequence?: number;
  security_group?: string;
  create_time?: string;
  status_time?: string;
  owner?: string;
  tags?: ResourceTag[];
  [field: string]: unknown;
}

/** DescribeNics filters (`instances` is undocumented but used by hostnic). */
export interface DescribeNicsRequest extends PageParams {
  nics?: readonly string[];
  instances?: readonly string[];
  nic_name?: string;
  /** A single status, not a list. */
  status?: 'available' | 'in-use';
  vxnets?: readonly string[];
  vxnet_type?: readonly number[];
  owner?: string;
}

/** CreateNics parameters. */
export interface CreateNicsRequest {
  vxnet: string;
  nic_name?: string;
  /** 1–252. */
  count?: number;
  private_ips?: readonly string[];
  disable_ip?: boolean;
}

/** ModifyNicAttributes parameters. */
export interface ModifyNicAttributesRequest {
  nic: string;
  nic_name?: string;
  private_ip?: string;
  vxnet?: string;
}

/** NIC actions (qingcloud-api.md §4.4). */
export class NicsApi {
  private readonly lookups: Coalescer<string, Nic>;

  constructor(private readonly ctx: ActionContext) {
    this.lookups = new Coalescer(
      async (ids) => {
        const page = await this.describeNics({ nics: ids, limit: MAX_PAGE_SIZE });
        return new Map(page.items.map((n) => [n.nic_id.toLowerCase(), n]));
      },
      { clock: ctx.clock, windowMs: ctx.coalesceWindowMs },
    );
  }

  /** DescribeNics: one page. */
  async describeNics(request: DescribeNicsRequest = {}, options?: CallOptions): Promise<Page<Nic>> {
    checkIds('DescribeNics', 'nic', request.nics);
    checkIds('DescribeNics', 'instance', request.instances);
    checkIds('DescribeNics', 'vxnet', request.vxnets);
    const res = await this.ctx.client.call('DescribeNics', { ...request }, options);
    return toPage<Nic>(res, 'nic_set', 'DescribeNics');
  }

  /** Every NIC matching the filters, paging by 100. */
  describeAllNics(request: Omit<DescribeNicsRequest, 'offset' | 'limit'> = {}, options?: CallOptions): Promise<Nic[]> {
    return describeAll((page) => this.describeNics({ ...request, ...page }, options));
  }

  /** One NIC by id (MAC, any case; undefined when unknown), coalesced with concurrent lookups. */
  getNic(nicId: string, signal?: AbortSignal): Promise<Nic | undefined> {
    checkIds('DescribeNics', 'nic', nicId);
    return this.lookups.get(nicId.toLowerCase(), signal);
  }

  /** CreateNics (synchronous: the NICs come back available). */
  async createNics(request: CreateNicsRequest, options?: CallOptions): Promise<{ nics: { nic_id: string; private_ip: string }[] }> {
    checkIds('CreateNics', 'vxnet', request.vxnet);
    const res = await this.ctx.client.call<{ nics?: { nic_id: string; private_ip: string }[] }>('CreateNics', { ...request }, options);
    return { nics: res.nics ?? [] };
  }

  /** AttachNics to a running instance. */
  async attachNics(nics: readonly string[], instance: string, options?: CallOptions): Promise<JobResult> {
    checkIds('AttachNics', 'nic', nics);
    checkIds('AttachNics', 'instance', instance);
    const res = await this.ctx.client.call('AttachNics', { nics, instance }, options);
    return { jobId: jobIdOf('AttachNics', res) };
  }

  /** AttachNics and wait for its job. */
  async attachNicsAndWait(nics: readonly string[], instance: string, options?: AndWaitOptions): Promise<Job> {
    const { jobId } = await this.attachNics(nics, instance, callOptions(options));
    return waitForJob(this.ctx, jobId, 'AttachNics', [...nics, instance], options);
  }

  /** DetachNics (no instance parameter). */
  async detachNics(nics: readonly string[], options?: CallOptions): Promise<JobResult> {
    checkIds('DetachNics', 'nic', nics);
    const res = await this.ctx.client.call('DetachNics', { nics }, options);
    return { jobId: jobIdOf('DetachNics', res) };
  }

  /** DetachNics and wait for its job. */
  async detachNicsAndWait(nics: readonly string[], options?: AndWaitOptions): Promise<Job> {
    const { jobId } = await this.detachNics(nics, callOptions(options));
    return waitForJob(this.ctx, jobId, 'DetachNics', nics, options);
  }

  /** DeleteNics (synchronous; NICs must be detached). */
  async deleteNics(nics: readonly string[], options?: CallOptions): Promise<void> {
    checkIds('DeleteNics', 'nic', nics);
    await this.ctx.client.call('DeleteNics', { nics }, options);
  }

  /** ModifyNicAttributes (synchronous; setting the same values again is harmless, so it is retried like a read). */
  async modifyNicAttributes(request: ModifyNicAttributesRequest, options?: CallOptions): Promise<void> {
    checkIds('ModifyNicAttributes', 'nic', request.nic);
    checkIds('ModifyNicAttributes', 'vxnet', request.vxnet);
    await this.ctx.client.call('ModifyNicAttributes', { ...request }, { idempotent: true, ...options });
  }
}
