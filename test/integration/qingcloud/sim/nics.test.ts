import { afterEach, describe, expect, it } from 'vitest';
import { call, finishedJob, ok, RecordingEffects, SimPool , type ApiAnswer } from './helpers.js';
import type { RunningSimulator } from '../../../../src/qingcloud/sim/index.js';

const pool = new SimPool();
afterEach(() => pool.stopAll());

async function nic(sim: RunningSimulator, id: string): Promise<ApiAnswer | undefined> {
  return (await ok(sim, 'DescribeNics', { nics: [id] }))['nic_set'][0] as ApiAnswer | undefined;
}

describe('NICs', () => {
  it('creates NICs synchronously with MAC ids and unique private IPs from the DHCP range', async () => {
    const sim = await pool.start();
    const created = await ok(sim, 'CreateNics', { vxnet: 'vxnet-sim0001', nic_name: 'hostnic_i-sim00001', count: 3 });
    const nics = created['nics'] as { nic_id: string; private_ip: string }[];
    expect(nics).toHaveLength(3);
    for (const n of nics) {
      expect(n.nic_id).toMatch(/^52:54(:[0-9a-f]{2}){4}$/);
      expect(n.private_ip).toMatch(/^192\.168\.10\.(\d+)$/);
    }
    expect(new Set(nics.map((n) => n.private_ip)).size).toBe(3);
    const primaries = (await ok(sim, 'DescribeNics', { vxnets: ['vxnet-sim0001'], status: 'in-use' }))['nic_set'] as { private_ip: string }[];
    for (const n of nics) expect(primaries.map((p) => p.private_ip)).not.toContain(n.private_ip);
    expect(await nic(sim, nics[0]?.nic_id ?? '')).toMatchObject({ status: 'available', instance_id: '', role: 0, vxnet_id: 'vxnet-sim0001' });
    expect((await ok(sim, 'DescribeNics', { nic_name: 'hostnic_i-sim00001' }))['total_count']).toBe(3);
    const vxnet = (await ok(sim, 'DescribeVxnets', { vxnets: ['vxnet-sim0001'] }))['vxnet_set'][0];
    expect(vxnet['available_ip_count']).toBe(253 - 3 - 3);
  });

  it('attaches and detaches NICs through jobs, with the effects and instance filters', async () => {
    const effects = new RecordingEffects();
    const sim = await pool.start({ effects });
    const id = ((await ok(sim, 'CreateNics', { vxnet: 'vxnet-sim0002' }))['nics'] as { nic_id: string }[])[0]?.nic_id ?? '';
    const attach = await ok(sim, 'AttachNics', { nics: [id], instance: 'i-sim00001' });
    const job = await finishedJob(sim, attach['job_id'] as string);
    expect(job).toMatchObject({ job_action: 'AttachNics', status: 'successful' });
    expect(JSON.parse(job['directive'] as string)).toMatchObject({ nics: [id], instance: 'i-sim00001' });
    expect(await nic(sim, id)).toMatchObject({ status: 'in-use', instance_id: 'i-sim00001', sequence: 1 });
    expect((await ok(sim, 'DescribeNics', { instances: ['i-sim00001'] }))['total_count']).toBe(2);
    const instance = (await ok(sim, 'DescribeInstances', { instances: ['i-sim00001'] }))['instance_set'][0];
    expect((instance['vxnets'] as { nic_id: string; role: number }[]).map((v) => v.role)).toEqual([1, 0]);

    expect((await call(sim, 'DeleteNics', { nics: [id] }))['ret_code']).toBe(1400);
    await finishedJob(sim, (await ok(sim, 'DetachNics', { nics: [id] }))['job_id'] as string);
    expect(await nic(sim, id)).toMatchObject({ status: 'available', instance_id: '' });
    expect(effects.methods().filter((m) => m.endsWith('Nic'))).toEqual(['attachNic', 'detachNic']);
    await ok(sim, 'DeleteNics', { nics: [id] });
    expect(await nic(sim, id)).toBeUndefined();
    expect(await call(sim, 'DeleteNics', { nics: [id] })).toMatchObject({ ret_code: 2100, message: `ResourceNotFound, resource [${id}] not found` });
  });

  it('refuses to detach a primary NIC or attach an in-use one', async () => {
    const sim = await pool.start();
    const primary = (await ok(sim, 'DescribeNics', { instances: ['i-sim00001'] }))['nic_set'][0];
    expect(primary).toMatchObject({ role: 1, sequence: 0, status: 'in-use' });
    expect((await call(sim, 'DetachNics', { nics: [primary['nic_id'] as string] }))['message']).toContain('primary');
    expect((await call(sim, 'AttachNics', { nics: [primary['nic_id'] as string], instance: 'i-sim00002' }))['ret_code']).toBe(1400);
  });

  it('enforces NICs per instance (primary included) and per vxnet', async () => {
    const sim = await pool.start({ seed: { limits: { max_nics_per_instance: 3, max_nics_per_vxnet: 8 } } });
    const ids = ((await ok(sim, 'CreateNics', { vxnet: 'vxnet-sim0002', count: 3 }))['nics'] as { nic_id: string }[]).map((n) => n.nic_id);
    const over = await call(sim, 'AttachNics', { nics: ids, instance: 'i-sim00001' });
    expect(over['ret_code']).toBe(1400);
    expect(over['message']).toContain('at most 3');
    await ok(sim, 'AttachNics', { nics: ids.slice(0, 2), instance: 'i-sim00001' });
    expect((await call(sim, 'CreateNics', { vxnet: 'vxnet-sim0002', count: 5 }))['message']).toContain('at most 8');
    await ok(sim, 'CreateNics', { vxnet: 'vxnet-sim0002', count: 4 });
  });

  it('honours fixed private IPs and refuses a used or out-of-range one', async () => {
    const sim = await pool.start();
    const created = await ok(sim, 'CreateNics', { vxnet: 'vxnet-sim0002', private_ips: ['192.168.11.77'] });
    expect(created['nics']).toMatchObject([{ private_ip: '192.168.11.77' }]);
    expect((await call(sim, 'CreateNics', { vxnet: 'vxnet-sim0002', private_ips: ['192.168.11.77'] }))['ret_code']).toBe(1400);
    expect((await call(sim, 'CreateNics', { vxnet: 'vxnet-sim0002', private_ips: ['192.168.12.5'] }))['ret_code']).toBe(1400);
    expect((await call(sim, 'CreateNics', { vxnet: 'vxnet-sim0002', private_ips: ['192.168.11.300'] }))['ret_code']).toBe(1100);
    expect((await call(sim, 'CreateNics', { vxnet: 'vxnet-nosuch' }))['ret_code']).toBe(2100);
  });

  it('modifies a NIC name, address and vxnet', async () => {
    const sim = await pool.start();
    const id = ((await ok(sim, 'CreateNics', { vxnet: 'vxnet-sim0001' }))['nics'] as { nic_id: string }[])[0]?.nic_id ?? '';
    await ok(sim, 'ModifyNicAttributes', { nic: id, nic_name: 'renamed', private_ip: '192.168.10.200' });
    expect(await nic(sim, id)).toMatchObject({ nic_name: 'renamed', private_ip: '192.168.10.200' });
    await ok(sim, 'ModifyNicAttributes', { nic: id, vxnet: 'vxnet-sim0002' });
    expect(await nic(sim, id)).toMatchObject({ vxnet_id: 'vxnet-sim0002', private_ip: expect.stringMatching(/^192\.168\.11\./) });
  });
});
