import { describe, expect, it } from 'vitest';
import { flattenParams } from '../../../src/qingcloud/params.js';

describe('flattenParams', () => {
  it('numbers lists from 1 and keeps scalars as decimal text', () => {
    expect(flattenParams({ volumes: ['vol-a', 'vol-b'], size: 20, limit: 100 })).toEqual({
      'volumes.1': 'vol-a',
      'volumes.2': 'vol-b',
      size: '20',
      limit: '100',
    });
  });

  it('sends booleans as 1/0 and drops undefined and null, but keeps empty strings', () => {
    expect(flattenParams({ encryption: true, round_up: false, volume_name: undefined, owner: null, description: '' })).toEqual({
      encryption: '1',
      round_up: '0',
      description: '',
    });
  });

  it('flattens lists of objects as name.N.field', () => {
    expect(
      flattenParams({
        resource_tag_pairs: [
          { tag_id: 'tag-1', resource_type: 'volume', resource_id: 'vol-1' },
          { tag_id: 'tag-2', resource_type: 'nic', resource_id: '52:54:00:00:00:01', extra: undefined },
        ],
      }),
    ).toEqual({
      'resource_tag_pairs.1.tag_id': 'tag-1',
      'resource_tag_pairs.1.resource_type': 'volume',
      'resource_tag_pairs.1.resource_id': 'vol-1',
      'resource_tag_pairs.2.tag_id': 'tag-2',
      'resource_tag_pairs.2.resource_type': 'nic',
      'resource_tag_pairs.2.resource_id': '52:54:00:00:00:01',
    });
  });

  it('comma-joins a list inside a list item', () => {
    expect(flattenParams({ items: [{ ports: [80, 443] }] })).toEqual({ 'items.1.ports': '80,443' });
  });

  it('writes large integers without exponent and rejects non-finite numbers', () => {
    expect(flattenParams({ n: 1e21 })).toEqual({ n: '1000000000000000000000' });
    expect(flattenParams({ n: 1.5 })).toEqual({ n: '1.5' });
    expect(() => flattenParams({ n: NaN })).toThrow(/n is NaN/);
  });

  it('sends nothing for an empty list', () => {
    expect(flattenParams({ volumes: [] })).toEqual({});
  });
});
