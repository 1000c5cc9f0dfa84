import { afterEach, describe, expect, it } from 'vitest';
import { call, ok, SimPool , type ApiAnswer } from './helpers.js';

const pool = new SimPool();
afterEach(() => pool.stopAll());

describe('instances, vxnets, zones, quotas', () => {
  it('describes the default world: four running instances of classes 0/1/101/201 with primary NICs', async () => {
    const sim = await pool.start();
    const answer = await ok(sim, 'DescribeInstances');
    expect(answer['total_count']).toBe(4);
    const set = answer['instance_set'] as ApiAnswer[];
    expect(set.map((i) => i['instance_class']).sort((a: number, b: number) => a - b)).toEqual([0, 1, 101, 201]);
    for (const i of set) {
      expect(i['status']).toBe('running');
      expect(i['vxnets']).toHaveLength(1);
      expect(i['vxnets'][0]).toMatchObject({ role: 1, nic_id: expect.stringMatching(/^52:54:/) });
      expect(i).not.toHaveProperty('netns');
    }
    expect((await ok(sim, 'DescribeInstances', { instances: ['i-sim00003'] }))['instance_set'][0]['instance_class']).toBe(101);
    expect((await ok(sim, 'DescribeInstances', { status: ['stopped'] }))['total_count']).toBe(0);
    expect((await ok(sim, 'DescribeInstances', { search_word: 'node-4' }))['total_count']).toBe(1);
  });

  it('describes vxnets with their router, DHCP range and VPC', async () => {
    const sim = await pool.start();
    const answer = await ok(sim, 'DescribeVxnets', { verbose: 1 });
    expect(answer['total_count']).toBe(2);
    expect(answer['vxnet_set'][0]).toMatchObject({
      vxnet_id: 'vxnet-sim0001',
      vpc_router_id: 'rtr-sim00001',
      router: { manager_ip: '192.168.10.1', ip_network: '192.168.10.0/24', dyn_ip_start: '192.168.10.2', dyn_ip_end: '192.168.10.254' },
      instance_ids: ['i-sim00001', 'i-sim00002', 'i-sim00003'],
    });
  });

  it('describes zones, quotas and resource limits', async () => {
    const sim = await pool.start();
    expect(await ok(sim, 'DescribeZones')).toMatchObject({ zone_set: [{ zone_id: 'sim1a', status: 'active' }], total_count: 1 });
    expect((await ok(sim, 'DescribeQuotas'))['quota_set']).toMatchObject({ volume: 1000, nic: 2000 });
    expect((await ok(sim, 'GetQuotaLeft'))['quota_left_set']).toContainEqual({ resource_type: 'volume', left: 1000 });
    expect((await ok(sim, 'GetResourceLimit'))['resource_limits']).toMatchObject({ max_volume_per_inst: 10, max_nic_per_instance: 64 });
  });
});

describe('tags', () => {
  it('creates unique tags, attaches them to resources, filters by tag and detaches them', async () => {
    const sim = await pool.start();
    const tagId = (await ok(sim, 'CreateTag', { tag_name: 'k8s' }))['tag_id'] as string;
    expect(tagId).toMatch(/^tag-[a-z0-9]{8}$/);
    expect((await call(sim, 'CreateTag', { tag_name: 'k8s' }))['ret_code']).toBe(2110);
    const created = await ok(sim, 'CreateVolumes', { size: 20, count: 2 });
    await sim.settled();
    const [tagged, plain] = created['volumes'] as string[];
    const pair = { 'resource_tag_pairs.1.tag_id': tagId, 'resource_tag_pairs.1.resource_type': 'volume', 'resource_tag_pairs.1.resource_id': tagged ?? '' };
    await ok(sim, 'AttachTags', pair);
    await ok(sim, 'AttachTags', pair);
    const filtered = await ok(sim, 'DescribeVolumes', { tags: [tagId] });
    expect(filtered['total_count']).toBe(1);
    expect(filtered['volume_set'][0]).toMatchObject({ volume_id: tagged, tags: [{ tag_id: tagId, tag_name: 'k8s' }] });
    expect((await ok(sim, 'DescribeVolumes', { volumes: [plain ?? ''] }))['volume_set'][0]['tags']).toEqual([]);
    const tags = await ok(sim, 'DescribeTags', { tags: [tagId], verbose: 1 });
    expect(tags['tag_set'][0]).toMatchObject({ resource_count: 1, resource_tag_pairs: [{ tag_id: tagId, resource_type: 'volume', resource_id: tagged }] });
    expect((await call(sim, 'AttachTags', { ...pair, 'resource_tag_pairs.1.resource_id': 'vol-00000000' }))['ret_code']).toBe(2100);

    await ok(sim, 'DetachTags', pair);
    expect((await ok(sim, 'DescribeVolumes', { tags: [tagId] }))['total_count']).toBe(0);
    await ok(sim, 'AttachTags', pair);
    expect(await ok(sim, 'DeleteTags', { tags: [tagId] })).toMatchObject({ tags: [tagId] });
    expect((await ok(sim, 'DescribeVolumes', { volumes: [tagged ?? ''] }))['volume_set'][0]['tags']).toEqual([]);
    expect((await call(sim, 'DeleteTags', { tags: [tagId] }))['ret_code']).toBe(2100);
  });

  it('tags NICs and instances and filters DescribeNics and DescribeInstances by tag', async () => {
    const sim = await pool.start();
    const tagId = (await ok(sim, 'CreateTag', { tag_name: 'hostnic' }))['tag_id'] as string;
    const nicId = ((await ok(sim, 'CreateNics', { vxnet: 'vxnet-sim0001' }))['nics'] as { nic_id: string }[])[0]?.nic_id ?? '';
    await ok(sim, 'AttachTags', {
      'resource_tag_pairs.1.tag_id': tagId,
      'resource_tag_pairs.1.resource_type': 'nic',
      'resource_tag_pairs.1.resource_id': nicId,
      'resource_tag_pairs.2.tag_id': tagId,
      'resource_tag_pairs.2.resource_type': 'instance',
      'resource_tag_pairs.2.resource_id': 'i-sim00002',
    });
    expect((await ok(sim, 'DescribeNics', { tags: [tagId] }))['nic_set']).toMatchObject([{ nic_id: nicId }]);
    expect((await ok(sim, 'DescribeInstances', { tags: [tagId] }))['instance_set']).toMatchObject([{ instance_id: 'i-sim00002' }]);
  });
});
