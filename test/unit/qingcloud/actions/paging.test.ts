import { describe, expect, it } from 'vitest';
import { describeAll, toPage } from '../../../../src/qingcloud/actions/paging.js';
import { QingCloudTransportError } from '../../../../src/qingcloud/errors.js';

describe('describeAll', () => {
  it('pages with offset/limit ≤ 100 until total_count items came back', async () => {
    const all = Array.from({ length: 250 }, (_, i) => i);
    const pages: { offset: number; limit: number }[] = [];
    const items = await describeAll(async (page) => {
      pages.push(page);
      return { items: all.slice(page.offset, page.offset + page.limit), totalCount: all.length };
    }, 500);
    expect(items).toEqual(all);
    expect(pages).toEqual([
      { offset: 0, limit: 100 },
      { offset: 100, limit: 100 },
      { offset: 200, limit: 100 },
    ]);
  });

  it('stops at an empty page even if total_count promised more', async () => {
    let calls = 0;
    const items = await describeAll(async (page) => {
      calls += 1;
      return { items: page.offset === 0 ? [1, 2] : [], totalCount: 10 };
    });
    expect(items).toEqual([1, 2]);
    expect(calls).toBe(2);
  });

  it('makes one call for an empty result', async () => {
    let calls = 0;
    await expect(describeAll(async () => (calls++, { items: [], totalCount: 0 }))).resolves.toEqual([]);
    expect(calls).toBe(1);
  });
});

describe('toPage', () => {
  it('reads the set and total_count, defaulting a missing set to empty', () => {
    expect(toPage({ volume_set: [{ a: 1 }], total_count: 7 }, 'volume_set', 'DescribeVolumes')).toEqual({ items: [{ a: 1 }], totalCount: 7 });
    expect(toPage({}, 'volume_set', 'DescribeVolumes')).toEqual({ items: [], totalCount: 0 });
  });

  it('rejects a set that is not a list', () => {
    expect(() => toPage({ volume_set: 'x' }, 'volume_set', 'DescribeVolumes')).toThrow(QingCloudTransportError);
  });
});
