import type { CallOptions } from '../client.js';
import { checkIds } from '../ids.js';
import type { ActionContext } from './context.js';
import { toPage, type Page } from './paging.js';

/** A zone from DescribeZones. */
export interface Zone {
  zone_id: string;
  status: 'active' | 'faulty' | 'defunct';
  [field: string]: unknown;
}

/** Zone actions; DescribeZones is sent without a zone parameter. */
export class ZonesApi {
  constructor(private readonly ctx: ActionContext) {}

  /** DescribeZones. */
  async describeZones(
    request: { zones?: readonly string[]; status?: readonly Zone['status'][] } = {},
    options?: CallOptions,
  ): Promise<Page<Zone>> {
    checkIds('DescribeZones', 'zone', request.zones);
    const res = await this.ctx.client.call('DescribeZones', { ...request }, options);
    return toPage<Zone>(res, 'zone_set', 'DescribeZones');
  }
}
