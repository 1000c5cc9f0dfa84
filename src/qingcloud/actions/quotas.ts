import type { CallOptions } from '../client.js';
import type { ActionContext } from './context.js';

/** What is left of one resource quota. */
export interface QuotaLeft {
  resource_type: string;
  left: number;
}

/** Quota actions (qingcloud-api.md §4.3). */
export class QuotasApi {
  constructor(private readonly ctx: ActionContext) {}

  /** GetQuotaLeft for the given resource types (all when omitted). */
  async getQuotaLeft(resourceTypes?: readonly string[], options?: CallOptions): Promise<QuotaLeft[]> {
    const res = await this.ctx.client.call<{ quota_left_set?: QuotaLeft[] }>('GetQuotaLeft', { resource_types: resourceTypes }, options);
    return res.quota_left_set ?? [];
  }

  /** DescribeQuotas: quota name → limit. */
  async describeQuotas(options?: CallOptions): Promise<{ quotas: Record<string, number>; userId: string | undefined }> {
    const res = await this.ctx.client.call<{ quota_set?: Record<string, number>; user_id?: string }>('DescribeQuotas', {}, options);
    return { quotas: res.quota_set ?? {}, userId: res.user_id };
  }
}
