import { afterEach, describe, expect, it } from 'vitest';
import { harness, teardown, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await teardown(h);
  h = undefined;
});

describe('TagsApi', () => {
  it('AttachTags and DetachTags flatten resource_tag_pairs', async () => {
    h = harness(() => ({}));
    const pairs = [{ tag_id: 'tag-aaaaaaaa', resource_type: 'volume', resource_id: 'vol-aaaaaaaa' }];
    await h.sdk.api.tags.attachTags(pairs);
    await h.sdk.api.tags.detachTags(pairs);
    for (const seen of h.transport.seen) {
      expect(seen.params).toMatchObject({
        'resource_tag_pairs.1.tag_id': 'tag-aaaaaaaa',
        'resource_tag_pairs.1.resource_type': 'volume',
        'resource_tag_pairs.1.resource_id': 'vol-aaaaaaaa',
      });
    }
  });

  it('CreateTag returns the tag id; DeleteTags the deleted ids', async () => {
    h = harness((seen) => (seen.action === 'CreateTag' ? { tag_id: 'tag-aaaaaaaa' } : { tags: ['tag-aaaaaaaa'] }));
    await expect(h.sdk.api.tags.createTag({ tag_name: 'k8s-csi' })).resolves.toEqual({ tagId: 'tag-aaaaaaaa' });
    await expect(h.sdk.api.tags.deleteTags(['tag-aaaaaaaa'])).resolves.toEqual({ tagIds: ['tag-aaaaaaaa'] });
    expect(h.transport.seen[0]!.params['tag_name']).toBe('k8s-csi');
  });

  it('DescribeTags reads tag_set', async () => {
    h = harness(() => ({ tag_set: [{ tag_id: 'tag-aaaaaaaa', tag_name: 'x' }], total_count: 1 }));
    await expect(h.sdk.api.tags.describeTags({ search_word: 'x', verbose: 1 })).resolves.toMatchObject({ totalCount: 1 });
  });
});
