import { afterEach, describe, expect, it } from 'vitest';
import { harness, teardown, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await teardown(h);
  h = undefined;
});

describe('QuotasApi', () => {
  it('GetQuotaLeft sends resource_types.N and DescribeQuotas reads quota_set', async () => {
    h = harness((seen) =>
      seen.action === 'GetQuotaLeft' ? { quota_left_set: [{ resource_type: 'volume', left: 5 }] } : { quota_set: { volume: 100 }, user_id: 'usr-abc' },
    );
    await expect(h.sdk.api.quotas.getQuotaLeft(['volume'])).resolves.toEqual([{ resource_type: 'volume', left: 5 }]);
    expect(h.transport.seen[0]!.params).toMatchObject({ 'resource_types.1': 'volume', zone: 'pek3a' });
    await expect(h.sdk.api.quotas.describeQuotas()).resolves.toEqual({ quotas: { volume: 100 }, userId: 'usr-abc' });
  });
});
