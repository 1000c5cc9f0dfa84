import { QingCloudTransportError } from '../errors.js';

/** Paging params of every Describe call (limit is capped at 100 by the API). */
export interface PageParams {
  offset?: number;
  limit?: number;
}

/** One page of a Describe call: the items and the count of every match of the filters. */
export interface Page<T> {
  items: T[];
  totalCount: number;
}

/** The API's page-size cap. */
export const MAX_PAGE_SIZE = 100;

/** Reads `<set>` and `total_count` of a Describe answer; a missing set is an empty page. */
export function toPage<T>(res: Record<string, unknown>, setName: string, action: string): Page<T> {
  const set = res[setName] ?? [];
  if (!Array.isArray(set)) {
    throw new QingCloudTransportError(action, `answer's ${setName} is not a list; the endpoint does not speak the QingCloud API`);
  }
  const total = res['total_count'];
  return { items: set as T[], totalCount: typeof total === 'number' ? total : set.length };
}

/**
 * Pages through a Describe call with offset/limit ≤ 100 until `total_count` items (or an empty page) came
 * back. Items created or deleted between pages can shift offsets; callers needing an exact set filter by ids.
 */
export async function describeAll<T>(
  fetchPage: (page: Required<PageParams>) => Promise<Page<T>>,
  pageSize: number = MAX_PAGE_SIZE,
): Promise<T[]> {
  const limit = Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(pageSize)));
  const items: T[] = [];
  for (let offset = 0; ; ) {
    const page = await fetchPage({ offset, limit });
    items.push(...page.items);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.totalCount) return items;
  }
}
