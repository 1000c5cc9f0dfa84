import type { CallOptions } from '../client.js';
import { checkIds } from '../ids.js';
import type { ResourceTag } from './common.js';
import type { ActionContext } from './context.js';
import { describeAll, toPage, type Page, type PageParams } from './paging.js';

/** The router of a managed vxnet: gateway, CIDR and DHCP range (hostnic needs all of them). */
export interface VxnetRouter {
  router_id: string;
  router_name?: string;
  manager_ip: string;
  ip_network: string;
  dyn_ip_start: string;
  dyn_ip_end: string;
  mode?: number;
  [field: string]: unknown;
}

/** A vxnet from DescribeVxnets (qingcloud-api.md §5.3). */
export interface Vxnet {
  vxnet_id: string;
  vxnet_name: string;
  /** 0 self-managed, 1 managed, 2 basic. */
  vxnet_type: number;
  description: string | null;
  create_time?: string;
  owner?: string;
  zone_id?: string;
  available_ip_count?: number;
  vpc_router_id?: string;
  router?: VxnetRouter;
  /** verbose=1 only. */
  instance_ids?: string[];
  tunnel_type?: 'vlan' | 'vxlan';
  tags?: ResourceTag[];
  [field: string]: unknown;
}

/** DescribeVxnets filters. */
export interface DescribeVxnetsRequest extends PageParams {
  vxnets?: readonly string[];
  vxnet_type?: number;
  search_word?: string;
  tags?: readonly string[];
  verbose?: 0 | 1;
  owner?: string;
}

/** VxNet actions (read-only here). */
export class VxnetsApi {
  constructor(private readonly ctx: ActionContext) {}

  /** DescribeVxnets: one page. */
  async describeVxnets(request: DescribeVxnetsRequest = {}, options?: CallOptions): Promise<Page<Vxnet>> {
    checkIds('DescribeVxnets', 'vxnet', request.vxnets);
    const res = await this.ctx.client.call('DescribeVxnets', { ...request }, options);
    return toPage<Vxnet>(res, 'vxnet_set', 'DescribeVxnets');
  }

  /** Every vxnet matching the filters, paging by 100. */
  describeAllVxnets(request: Omit<DescribeVxnetsRequest, 'offset' | 'limit'> = {}, options?: CallOptions): Promise<Vxnet[]> {
    return describeAll((page) => this.describeVxnets({ ...request, ...page }, options));
  }
}
