import { afterEach, describe, expect, it } from 'vitest';
import { describeJobsFrom, harness, teardown, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await teardown(h);
  h = undefined;
});

describe('NicsApi', () => {
  it('DescribeNics sends instances.N and a single status', async () => {
    h = harness(() => ({ nic_set: [{ nic_id: '52:54:9e:d0:dd:96' }], total_count: 1 }));
    const page = await h.sdk.api.nics.describeNics({ instances: ['i-bbbbbbbb'], status: 'in-use', vxnets: ['vxnet-abcdefg'] });
    expect(page).toEqual({ items: [{ nic_id: '52:54:9e:d0:dd:96' }], totalCount: 1 });
    expect(h.transport.seen[0]!.params).toMatchObject({ 'instances.1': 'i-bbbbbbbb', status: 'in-use', 'vxnets.1': 'vxnet-abcdefg' });
  });

  it('createNics is synchronous and returns the NICs', async () => {
    h = harness(() => ({ nics: [{ nic_id: '52:54:00:00:00:01', private_ip: '10.0.0.5' }] }));
    const res = await h.sdk.api.nics.createNics({ vxnet: 'vxnet-abcdefg', nic_name: 'hostnic_i-bbbbbbbb', count: 1 });
    expect(res.nics[0]!.private_ip).toBe('10.0.0.5');
  });

  it('attachNicsAndWait sends nics.N and instance, then waits', async () => {
    h = harness((seen) => (seen.action === 'AttachNics' ? { job_id: 'j-nic00001' } : describeJobsFrom(new Map([['j-nic00001', 'successful']]))(seen)));
    const done = h.sdk.api.nics.attachNicsAndWait(['52:54:00:00:00:01'], 'i-bbbbbbbb');
    await h.clock.advance(300);
    await expect(done).resolves.toMatchObject({ job_id: 'j-nic00001' });
    expect(h.transport.calls('AttachNics')[0]!.params).toMatchObject({ 'nics.1': '52:54:00:00:00:01', instance: 'i-bbbbbbbb' });
  });

  it('detach, delete and modify send their documented params', async () => {
    h = harness(() => ({ job_id: 'j-nic00002' }));
    await h.sdk.api.nics.detachNics(['52:54:00:00:00:01']);
    await h.sdk.api.nics.deleteNics(['52:54:00:00:00:01']);
    await h.sdk.api.nics.modifyNicAttributes({ nic: '52:54:00:00:00:01', nic_name: 'n' });
    expect(h.transport.seen.map((s) => s.params['action'])).toEqual(['DetachNics', 'DeleteNics', 'ModifyNicAttributes']);
    expect(h.transport.seen[0]!.params['instance']).toBeUndefined();
    expect(h.transport.seen[2]!.params).toMatchObject({ nic: '52:54:00:00:00:01', nic_name: 'n' });
  });

  it('rejects a NIC id that is not a MAC address', async () => {
    h = harness(() => ({}));
    await expect(h.sdk.api.nics.deleteNics(['nic-1'])).rejects.toThrow(/nic id/);
    expect(h.transport.seen).toHaveLength(0);
  });
});
