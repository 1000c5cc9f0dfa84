import { describe, expect, it } from 'vitest';
import { NoEffects } from '../../../../src/qingcloud/sim/effects.js';
import { jobSteps } from '../../../../src/qingcloud/sim/jobs.js';
import type { JobPlan, VolumeRec, World } from '../../../../src/qingcloud/sim/model.js';
import { seededRandom } from '../../../../src/qingcloud/sim/rng.js';
import { buildWorld } from '../../../../src/qingcloud/sim/seed.js';

function worldWithVolume(change: Partial<VolumeRec>): World {
  const world = buildWorld({}, seededRandom(1), 0);
  world.volumes['vol-aaaaaaaa'] = {
    volume_id: 'vol-aaaaaaaa', volume_name: '', description: null, size: 20, volume_type: 0, status: 'available', transition_status: '',
    create_time: 't0', status_time: 't0', instance_id: '', device: '', ...change,
  };
  return world;
}

async function runAll(world: World, plan: JobPlan, fail = false): Promise<VolumeRec | undefined> {
  for (const step of jobSteps(world, new NoEffects(), plan)) {
    await step.effect();
    if (fail) step.rollback('t1');
    else step.commit('t1');
  }
  return world.volumes['vol-aaaaaaaa'];
}

describe('volume state machine', () => {
  it('creating: pending → available, or ceased on failure', async () => {
    const plan: JobPlan = { kind: 'createVolumes', volumeIds: ['vol-aaaaaaaa'] };
    expect(await runAll(worldWithVolume({ status: 'pending', transition_status: 'creating' }), plan)).toMatchObject({ status: 'available', transition_status: '', status_time: 't1' });
    expect(await runAll(worldWithVolume({ status: 'pending', transition_status: 'creating' }), plan, true)).toMatchObject({ status: 'ceased', transition_status: '' });
  });

  it('attaching: available → in-use with the device, or back to available and detached', async () => {
    const plan: JobPlan = { kind: 'attachVolumes', volumeIds: ['vol-aaaaaaaa'], instanceId: 'i-sim00001' };
    const attaching = { transition_status: 'attaching', instance_id: 'i-sim00001' };
    expect(await runAll(worldWithVolume(attaching), plan)).toMatchObject({ status: 'in-use', instance_id: 'i-sim00001', device: '/dev/disk/by-id/virtio-vol-aaaaaaaa', transition_status: '' });
    expect(await runAll(worldWithVolume(attaching), plan, true)).toMatchObject({ status: 'available', instance_id: '', device: '', transition_status: '' });
  });

  it('detaching, deleting and resizing end in the right status and roll back to the previous one', async () => {
    const inUse = { status: 'in-use', instance_id: 'i-sim00001', device: '/dev/x' } as const;
    expect(await runAll(worldWithVolume({ ...inUse, transition_status: 'detaching' }), { kind: 'detachVolumes', volumeIds: ['vol-aaaaaaaa'], instanceId: 'i-sim00001' })).toMatchObject({ status: 'available', instance_id: '', device: '' });
    expect(await runAll(worldWithVolume({ ...inUse, transition_status: 'detaching' }), { kind: 'detachVolumes', volumeIds: ['vol-aaaaaaaa'], instanceId: 'i-sim00001' }, true)).toMatchObject({ status: 'in-use', transition_status: '' });
    expect(await runAll(worldWithVolume({ transition_status: 'deleting' }), { kind: 'deleteVolumes', volumeIds: ['vol-aaaaaaaa'] })).toMatchObject({ status: 'deleted' });
    expect(await runAll(worldWithVolume({ transition_status: 'deleting' }), { kind: 'deleteVolumes', volumeIds: ['vol-aaaaaaaa'] }, true)).toMatchObject({ status: 'available', transition_status: '' });
    expect(await runAll(worldWithVolume({ transition_status: 'resizing' }), { kind: 'resizeVolumes', volumeIds: ['vol-aaaaaaaa'], sizeGB: 40 })).toMatchObject({ size: 40, status: 'available' });
    expect(await runAll(worldWithVolume({ transition_status: 'resizing' }), { kind: 'resizeVolumes', volumeIds: ['vol-aaaaaaaa'], sizeGB: 40 }, true)).toMatchObject({ size: 20 });
  });

  it('attaching a NIC gives it the next sequence on the instance', async () => {
    const world = buildWorld({}, seededRandom(1), 0);
    world.nics['52:54:00:00:00:01'] = {
      nic_id: '52:54:00:00:00:01', nic_name: '', vxnet_id: 'vxnet-sim0001', private_ip: '192.168.10.50', instance_id: 'i-sim00001',
      status: 'available', transition_status: 'attaching', role: 0, sequence: 0, create_time: 't0', status_time: 't0',
    };
    for (const step of jobSteps(world, new NoEffects(), { kind: 'attachNics', nicIds: ['52:54:00:00:00:01'], instanceId: 'i-sim00001' })) {
      await step.effect();
      step.commit('t1');
    }
    expect(world.nics['52:54:00:00:00:01']).toMatchObject({ status: 'in-use', sequence: 1, transition_status: '' });
  });
});
