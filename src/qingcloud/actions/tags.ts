import type { CallOptions } from '../client.js';
import { checkIds } from '../ids.js';
import type { ActionContext } from './context.js';
import { stringsOf } from './context.js';
import { describeAll, toPage, type Page, type PageParams } from './paging.js';

/** One resource–tag binding. */
export interface ResourceTagPair {
  tag_id: string;
  /** e.g. volume, instance, vxnet, snapshot, nic. */
  resource_type: string;
  resource_id: string;
  status?: string;
}

/** A tag from DescribeTags (qingcloud-api.md §5.7). */
export interface Tag {
  tag_id: string;
  tag_name: string;
  description: string | null;
  color?: string;
  create_time?: string;
  owner?: string;
  resource_count?: number;
  /** verbose=1 only. */
  resource_tag_pairs?: ResourceTagPair[];
  [field: string]: unknown;
}

/** DescribeTags filters. */
export interface DescribeTagsRequest extends PageParams {
  tags?: readonly string[];
  resources?: readonly string[];
  search_word?: string;
  verbose?: 0 | 1;
  owner?: string;
}

function pairsParam(pairs: readonly ResourceTagPair[]): { tag_id: string; resource_type: string; resource_id: string }[] {
  return pairs.map(({ tag_id, resource_type, resource_id }) => ({ tag_id, resource_type, resource_id }));
}

/** Tag actions (qingcloud-api.md §4.6); all synchronous. */
export class TagsApi {
  constructor(private readonly ctx: ActionContext) {}

  /** CreateTag (singular; names are unique). */
  async createTag(request: { tag_name: string; color?: string }, options?: CallOptions): Promise<{ tagId: string }> {
    const res = await this.ctx.client.call<{ tag_id?: string }>('CreateTag', { ...request }, options);
    return { tagId: res.tag_id ?? '' };
  }

  /** AttachTags: binds each tag to its resource. */
  async attachTags(pairs: readonly ResourceTagPair[], options?: CallOptions): Promise<void> {
    checkIds('AttachTags', 'tag', pairs.map((p) => p.tag_id));
    await this.ctx.client.call('AttachTags', { resource_tag_pairs: pairsParam(pairs) }, options);
  }

  /** DetachTags: removes the bindings. */
  async detachTags(pairs: readonly ResourceTagPair[], options?: CallOptions): Promise<void> {
    checkIds('DetachTags', 'tag', pairs.map((p) => p.tag_id));
    await this.ctx.client.call('DetachTags', { resource_tag_pairs: pairsParam(pairs) }, options);
  }

  /** DescribeTags: one page. */
  async describeTags(request: DescribeTagsRequest = {}, options?: CallOptions): Promise<Page<Tag>> {
    checkIds('DescribeTags', 'tag', request.tags);
    const res = await this.ctx.client.call('DescribeTags', { ...request }, options);
    return toPage<Tag>(res, 'tag_set', 'DescribeTags');
  }

  /** Every tag matching the filters, paging by 100. */
  describeAllTags(request: Omit<DescribeTagsRequest, 'offset' | 'limit'> = {}, options?: CallOptions): Promise<Tag[]> {
    return describeAll((page) => this.describeTags({ ...request, ...page }, options));
  }

  /** DeleteTags; returns the deleted tag ids. */
  async deleteTags(tags: readonly string[], options?: CallOptions): Promise<{ tagIds: string[] }> {
    checkIds('DeleteTags', 'tag', tags);
    const res = await this.ctx.client.call('DeleteTags', { tags }, options);
    return { tagIds: stringsOf(res, 'tags') };
  }
}
