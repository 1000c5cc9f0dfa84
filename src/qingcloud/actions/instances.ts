import { Coalescer } from '../coalesce.js';
import type { CallOptions } from '../client.js';
import { checkIds } from '../ids.js';
import type { ResourceTag } from './common.js';
import type { ActionContext } from './context.js';
import { describeAll, MAX_PAGE_SIZE, toPage, type Page, type PageParams } from './paging.js';

/** Instance statuses (qingcloud-api.md §5.4). */
export type InstanceStatus = 'pending' | 'running' | 'stopped' | 'suspended' | 'terminated' | 'ceased';

/** One NIC of an instance as listed in `vxnets[]`. */
export interface InstanceVxnet {
  vxnet_id: string;
  vxnet_name?: string;
  vxnet_type?: number;
  nic_id: string;
  private_ip: string;
  /** 1 primary, 0 secondary. */
  role?: number;
  [field: string]: unknown;
}

/** An instance from DescribeInstances. */
export interface Instance {
  instance_id: string;
  instance_name: string;
  description: string | null;
  instance_type: string;
  instance_class?: number;
  vcpus_current?: number;
  /** MB. */
  memory_current?: number;
  status: InstanceStatus;
  transition_status: string;
  create_time: string;
  status_time: string;
  vxnets?: InstanceVxnet[];
  volume_ids?: string[];
  volumes?: { volume_id: string; device?: string }[];
  image?: { image_id: string; features_supported?: Record<string, unknown>; [field: string]: unknown };
  zone_id?: string;
  owner?: string;
  tags?: ResourceTag[];
  [field: string]: unknown;
}

/** DescribeInstances filters. */
export interface DescribeInstancesRequest extends PageParams {
  instances?: readonly string[];
  image_id?: readonly string[];
  instance_type?: readonly string[];
  instance_class?: number;
  status?: readonly InstanceStatus[];
  search_word?: string;
  tags?: readonly string[];
  verbose?: 0 | 1;
  owner?: string;
  vxnet?: string;
  instance_name?: string;
}

/** Instance actions (read-only here). */
export class InstancesApi {
  private readonly lookups: Coalescer<string, Instance>;

  constructor(private readonly ctx: ActionContext) {
    this.lookups = new Coalescer(
      async (ids) => {
        const page = await this.describeInstances({ instances: ids, limit: MAX_PAGE_SIZE });
        return new Map(page.items.map((i) => [i.instance_id, i]));
      },
      { clock: ctx.clock, windowMs: ctx.coalesceWindowMs },
    );
  }

  /** DescribeInstances: one page. */
  async describeInstances(request: DescribeInstancesRequest = {}, options?: CallOptions): Promise<Page<Instance>> {
    checkIds('DescribeInstances', 'instance', request.instances);
    const res = await this.ctx.client.call('DescribeInstances', { ...request }, options);
    return toPage<Instance>(res, 'instance_set', 'DescribeInstances');
  }

  /** Every instance matching the filters, paging by 100. */
  describeAllInstances(request: Omit<DescribeInstancesRequest, 'offset' | 'limit'> = {}, options?: CallOptions): Promise<Instance[]> {
    return describeAll((page) => this.describeInstances({ ...request, ...page }, options));
  }

  /** One instance by id (undefined when unknown), coalesced with concurrent lookups. */
  getInstance(instanceId: string, signal?: AbortSignal): Promise<Instance | undefined> {
    checkIds('DescribeInstances', 'instance', instanceId);
    return this.lookups.get(instanceId, signal);
  }
}
