import { afterEach, describe, expect, it } from 'vitest';
import { harness, teardown, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await teardown(h);
  h = undefined;
});

describe('ZonesApi', () => {
  it('DescribeZones goes without a zone parameter', async () => {
    h = harness(() => ({ zone_set: [{ zone_id: 'pek3a', status: 'active' }], total_count: 1 }));
    await expect(h.sdk.api.zones.describeZones()).resolves.toMatchObject({ items: [{ zone_id: 'pek3a' }] });
    expect(h.transport.seen[0]!.params['zone']).toBeUndefined();
  });
});
