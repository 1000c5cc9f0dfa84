import { afterEach, describe, expect, it } from 'vitest';
import { call, finishedJob, ManualClock, ok, RecordingEffects, SimPool , type ApiAnswer } from './helpers.js';
import type { RunningSimulator } from '../../../../src/qingcloud/sim/index.js';

const pool = new SimPool();
afterEach(() => pool.stopAll());

async function volume(sim: RunningSimulator, id: string): Promise<ApiAnswer> {
  return (await ok(sim, 'DescribeVolumes', { volumes: [id] }))['volume_set'][0] as ApiAnswer;
}

async function createVolume(sim: RunningSimulator, params: Record<string, string | number> = {}): Promise<string> {
  const answer = await ok(sim, 'CreateVolumes', { size: 20, volume_name: 'v', ...params });
  expect((await finishedJob(sim, answer['job_id'] as string))['status']).toBe('successful');
  return (answer['volumes'] as string[])[0] ?? '';
}

describe('volume lifecycle', () => {
  it('creates, attaches, resizes, detaches and deletes a volume through jobs, calling the effects', async () => {
    const effects = new RecordingEffects();
    const sim = await pool.start({ effects });
    const created = await ok(sim, 'CreateVolumes', { size: 30, volume_name: 'data', volume_type: 0 });
    expect(created['volumes']).toHaveLength(1);
    expect(typeof created['job_id']).toBe('string');
    const id = (created['volumes'] as string[])[0] ?? '';
    expect(id).toMatch(/^vol-[a-z0-9]{8}$/);
    const job = await finishedJob(sim, created['job_id'] as string);
    expect(job).toMatchObject({ job_action: 'CreateVolumes', status: 'successful', resource_ids: id });
    expect(JSON.parse(job['directive'] as string)).toMatchObject({ action: 'CreateVolumes', volumes: [id] });
    expect(await volume(sim, id)).toMatchObject({ status: 'available', transition_status: '', size: 30, instance: { instance_id: '', instance_name: '' } });
    expect((await volume(sim, id))['instance']).not.toHaveProperty('device');

    const attach = await ok(sim, 'AttachVolumes', { volumes: [id], instance: 'i-sim00001' });
    expect((await finishedJob(sim, attach['job_id'] as string))['status']).toBe('successful');
    expect(await volume(sim, id)).toMatchObject({ status: 'in-use', instance: { instance_id: 'i-sim00001', instance_name: 'sim-node-1', device: `/dev/fake/${id}` } });
    const instance = (await ok(sim, 'DescribeInstances', { instances: ['i-sim00001'] }))['instance_set'][0];
    expect(instance).toMatchObject({ volume_ids: [id], volumes: [{ volume_id: id, device: `/dev/fake/${id}` }] });

    const resize = await ok(sim, 'ResizeVolumes', { volumes: [id], size: 50 });
    expect((await finishedJob(sim, resize['job_id'] as string))['status']).toBe('successful');
    expect((await volume(sim, id))['size']).toBe(50);

    const detach = await ok(sim, 'DetachVolumes', { volumes: [id], instance: 'i-sim00001' });
    expect((await finishedJob(sim, detach['job_id'] as string))['status']).toBe('successful');
    expect(await volume(sim, id)).toMatchObject({ status: 'available', instance: { instance_id: '' } });

    const del = await ok(sim, 'DeleteVolumes', { volumes: [id] });
    expect((await finishedJob(sim, del['job_id'] as string))['status']).toBe('successful');
    expect((await volume(sim, id))['status']).toBe('deleted');
    expect((await ok(sim, 'DescribeVolumes', { status: ['deleted'] }))['total_count']).toBe(1);
    expect((await ok(sim, 'DescribeVolumes', { status: ['available', 'in-use'] }))['total_count']).toBe(0);
    expect(effects.methods()).toEqual(['restore', 'createVolume', 'attachVolume', 'resizeVolume', 'isVolumeBusy', 'detachVolume', 'deleteVolume']);
  });

  it('moves a job pending → working → successful over its latency and shows the transition meanwhile', async () => {
    const clock = new ManualClock(Date.now());
    const sim = await pool.start({ clock, jobLatencyMs: 1000 });
    const at = () => ({ timeMs: clock.now() });
    const created = await ok(sim, 'CreateVolumes', { size: 20 }, at());
    const jobId = created['job_id'] as string;
    const id = (created['volumes'] as string[])[0] ?? '';
    const jobStatus = async () => (await ok(sim, 'DescribeJobs', { jobs: [jobId] }, at()))['job_set'][0]['status'];
    expect(await jobStatus()).toBe('pending');
    expect((await ok(sim, 'DescribeVolumes', { volumes: [id] }, at()))['volume_set'][0]).toMatchObject({ status: 'pending', transition_status: 'creating' });
    await clock.advance(500);
    expect(await jobStatus()).toBe('working');
    expect((await ok(sim, 'DescribeJobs', { status: ['working'] }, at()))['total_count']).toBe(1);
    await clock.advance(500);
    expect(await jobStatus()).toBe('successful');
    expect((await ok(sim, 'DescribeVolumes', { volumes: [id] }, at()))['volume_set'][0]).toMatchObject({ status: 'available', transition_status: '' });
  });

  it('answers 1400 "please try later" for a second mutating call while a job runs', async () => {
    const effects = new RecordingEffects();
    const sim = await pool.start({ effects });
    const id = await createVolume(sim);
    const gate = effects.block('attachVolume');
    await ok(sim, 'AttachVolumes', { volumes: [id], instance: 'i-sim00001' });
    expect(await volume(sim, id)).toMatchObject({ status: 'available', transition_status: 'attaching' });
    for (const [action, params] of [
      ['DeleteVolumes', { volumes: [id] }],
      ['AttachVolumes', { volumes: [id], instance: 'i-sim00002' }],
      ['ResizeVolumes', { volumes: [id], size: 40 }],
    ] as const) {
      const answer = await call(sim, action, params);
      expect(answer).toMatchObject({ ret_code: 1400, message: `PermissionDenied, resource [${id}] is [attaching], please try later` });
    }
    gate.open();
    await sim.settled();
    expect((await volume(sim, id))['status']).toBe('in-use');
  });

  it('answers 2100 ResourceNotFound for unknown ids in mutating calls and an empty set in Describe', async () => {
    const sim = await pool.start();
    expect(await call(sim, 'DeleteVolumes', { volumes: ['vol-00000000'] })).toEqual({ ret_code: 2100, message: 'ResourceNotFound, resource [vol-00000000] not found' });
    expect((await call(sim, 'AttachVolumes', { volumes: [await createVolume(sim)], instance: 'i-00000000' }))['ret_code']).toBe(2100);
    expect(await ok(sim, 'DescribeVolumes', { volumes: ['vol-00000000'] })).toMatchObject({ volume_set: [], total_count: 0 });
  });

  it('answers 1400 PermissionDenied for operations the state forbids', async () => {
    const sim = await pool.start({ allowOnlineResize: false });
    const id = await createVolume(sim);
    await finishedJob(sim, (await ok(sim, 'AttachVolumes', { volumes: [id], instance: 'i-sim00001' }))['job_id'] as string);
    const cases: [string, Record<string, string | number | string[]>][] = [
      ['DeleteVolumes', { volumes: [id] }],
      ['AttachVolumes', { volumes: [id], instance: 'i-sim00001' }],
      ['ResizeVolumes', { volumes: [id], size: 40 }],
      ['DetachVolumes', { volumes: [id], instance: 'i-sim00002' }],
    ];
    for (const [action, params] of cases) {
      const answer = await call(sim, action, params);
      expect(answer['ret_code'], action).toBe(1400);
      expect(answer['message']).toMatch(/^PermissionDenied, /);
    }
    const other = await createVolume(sim);
    expect((await call(sim, 'DetachVolumes', { volumes: [other], instance: 'i-sim00001' }))['ret_code']).toBe(1400);
    expect((await call(sim, 'ResizeVolumes', { volumes: [other], size: 10 }))['message']).toContain('can only grow');
  });

  it('refuses DetachVolumes with 1400 while the device is mounted on the instance', async () => {
    const effects = new RecordingEffects();
    const sim = await pool.start({ effects });
    const id = await createVolume(sim);
    await finishedJob(sim, (await ok(sim, 'AttachVolumes', { volumes: [id], instance: 'i-sim00001' }))['job_id'] as string);
    effects.busyVolumes.add(id);
    expect(await call(sim, 'DetachVolumes', { volumes: [id], instance: 'i-sim00001' })).toEqual({
      ret_code: 1400,
      message: `PermissionDenied, volume [${id}] is in use on the instance (mounted), unmount it first`,
    });
    expect((await volume(sim, id))['status']).toBe('in-use');
  });

  it('resizes in-use volumes by default (online expansion) and checks the step and range', async () => {
    const sim = await pool.start();
    const id = await createVolume(sim);
    await finishedJob(sim, (await ok(sim, 'AttachVolumes', { volumes: [id], instance: 'i-sim00001' }))['job_id'] as string);
    expect((await call(sim, 'ResizeVolumes', { volumes: [id], size: 35 }))['ret_code']).toBe(1100);
    expect((await call(sim, 'ResizeVolumes', { volumes: [id], size: 2010 }))['ret_code']).toBe(1100);
    await finishedJob(sim, (await ok(sim, 'ResizeVolumes', { volumes: [id], size: 2000 }))['job_id'] as string);
    expect(await volume(sim, id)).toMatchObject({ size: 2000, status: 'in-use' });
  });

  it('enforces the attach matrix by instance class and the volumes-per-instance limit', async () => {
    const sim = await pool.start({ seed: { limits: { max_volumes_per_instance: 2 } } });
    const ssd = await createVolume(sim, { volume_type: 200 });
    const denied = await call(sim, 'AttachVolumes', { volumes: [ssd], instance: 'i-sim00001' });
    expect(denied['ret_code']).toBe(1400);
    expect(denied['message']).toContain('instance_class 0');
    await finishedJob(sim, (await ok(sim, 'AttachVolumes', { volumes: [ssd], instance: 'i-sim00004' }))['job_id'] as string);
    const a = await createVolume(sim);
    const b = await createVolume(sim);
    const c = await createVolume(sim);
    await ok(sim, 'AttachVolumes', { volumes: [a, b], instance: 'i-sim00001' });
    const over = await call(sim, 'AttachVolumes', { volumes: [c], instance: 'i-sim00001' });
    expect(over['ret_code']).toBe(1400);
    expect(over['message']).toContain('at most 2');
  });

  it('rounds a too-small size up with round_up=1 and enforces the volume quota with 2500', async () => {
    const sim = await pool.start({ seed: { limits: { quotas: { volume: 3, volume_size: 100 } } } });
    const rounded = await createVolume(sim, { size: 3, round_up: 1 });
    expect((await volume(sim, rounded))['size']).toBe(20);
    expect((await call(sim, 'CreateVolumes', { size: 20, count: 3 }))['ret_code']).toBe(2500);
    expect((await call(sim, 'CreateVolumes', { size: 90 }))['ret_code']).toBe(2500);
    const left = await ok(sim, 'GetQuotaLeft', { resource_types: ['volume', 'volume_size'] });
    expect(left['quota_left_set']).toEqual([
      { resource_type: 'volume', left: 2 },
      { resource_type: 'volume_size', left: 80 },
    ]);
  });

  it('fails the job and rolls the volume back when an effect throws', async () => {
    const effects = new RecordingEffects();
    const sim = await pool.start({ effects });
    const id = await createVolume(sim);
    effects.failing.add('attachVolume');
    const job = await finishedJob(sim, (await ok(sim, 'AttachVolumes', { volumes: [id], instance: 'i-sim00001' }))['job_id'] as string);
    expect(job['status']).toBe('failed');
    expect(await volume(sim, id)).toMatchObject({ status: 'available', transition_status: '', instance: { instance_id: '' } });
    effects.failing.add('createVolume');
    const created = await ok(sim, 'CreateVolumes', { size: 20 });
    expect((await finishedJob(sim, created['job_id'] as string))['status']).toBe('failed');
    expect((await volume(sim, (created['volumes'] as string[])[0] ?? ''))['status']).toBe('ceased');
  });

  it('fails jobs at the injected job failure rate and rolls back', async () => {
    const sim = await pool.start({ faults: { actions: { AttachVolumes: { jobFailureRate: 1 } } } });
    const id = await createVolume(sim);
    const job = await finishedJob(sim, (await ok(sim, 'AttachVolumes', { volumes: [id], instance: 'i-sim00001' }))['job_id'] as string);
    expect(job['status']).toBe('failed');
    expect((await volume(sim, id))['status']).toBe('available');
    expect((await ok(sim, 'DescribeJobs', { status: ['failed'], job_action: 'AttachVolumes' }))['total_count']).toBe(1);
  });

  it('clones volumes and modifies attributes', async () => {
    const effects = new RecordingEffects();
    const sim = await pool.start({ effects });
    const id = await createVolume(sim, { size: 40 });
    const clone = await ok(sim, 'CloneVolumes', { volume: id, volume_name: 'copy' });
    await finishedJob(sim, clone['job_id'] as string);
    const copy = (clone['volumes'] as string[])[0] ?? '';
    expect(await volume(sim, copy)).toMatchObject({ status: 'available', size: 40, volume_name: 'copy', volume_type: 0 });
    expect(effects.calls.find((c) => c.method === 'cloneVolume')?.args).toEqual([id, copy, 40]);
    await ok(sim, 'ModifyVolumeAttributes', { volume: id, volume_name: 'renamed', description: 'd' });
    expect(await volume(sim, id)).toMatchObject({ volume_name: 'renamed', description: 'd' });
    expect((await ok(sim, 'DescribeVolumes', { search_word: 'RENAMED' }))['total_count']).toBe(1);
  });
});

describe('snapshots', () => {
  it('snapshots a volume, returns job_id as an array, and creates a volume of the same type and size from it', async () => {
    const effects = new RecordingEffects();
    const sim = await pool.start({ effects });
    const id = await createVolume(sim, { size: 30, volume_type: 2 });
    const snap = await ok(sim, 'CreateSnapshots', { resources: [id], snapshot_name: 's1' });
    expect(Array.isArray(snap['job_id'])).toBe(true);
    const ssId = (snap['snapshots'] as string[])[0] ?? '';
    expect(ssId).toMatch(/^ss-[a-z0-9]{8}$/);
    expect((await finishedJob(sim, (snap['job_id'] as string[])[0] ?? ''))['status']).toBe('successful');
    const described = (await ok(sim, 'DescribeSnapshots', { snapshots: [ssId] }))['snapshot_set'][0];
    expect(described).toMatchObject({ status: 'available', size: 30 * 1024, snapshot_resource: { volume_id: id, volume_type: 2, size: 30 } });
    expect((await ok(sim, 'DescribeSnapshots', { resource_id: id }))['total_count']).toBe(1);

    const restored = await ok(sim, 'CreateVolumeFromSnapshot', { snapshot: ssId, volume_name: 'restored' });
    expect(typeof restored['volume_id']).toBe('string');
    await finishedJob(sim, restored['job_id'] as string);
    expect(await volume(sim, restored['volume_id'] as string)).toMatchObject({ status: 'available', size: 30, volume_type: 2 });
    expect(effects.methods()).toContain('snapshotVolume');
    expect(effects.methods()).toContain('createVolumeFromSnapshot');

    await finishedJob(sim, (await ok(sim, 'DeleteSnapshots', { snapshots: [ssId] }))['job_id'] as string);
    expect((await ok(sim, 'DescribeSnapshots', { snapshots: [ssId] }))['snapshot_set'][0]['status']).toBe('deleted');
    expect((await call(sim, 'CreateVolumeFromSnapshot', { snapshot: ssId }))['ret_code']).toBe(2100);
  });

  it('returns CreateSnapshots job_id as a string when configured, and refuses a snapshot still being created', async () => {
    const effects = new RecordingEffects();
    const sim = await pool.start({ effects, snapshotJobIdAs: 'string' });
    const id = await createVolume(sim);
    const gate = effects.block('snapshotVolume');
    const snap = await ok(sim, 'CreateSnapshots', { resources: [id] });
    expect(typeof snap['job_id']).toBe('string');
    const ssId = (snap['snapshots'] as string[])[0] ?? '';
    expect(await call(sim, 'CreateVolumeFromSnapshot', { snapshot: ssId })).toMatchObject({ ret_code: 1400, message: `PermissionDenied, resource [${ssId}] is [creating], please try later` });
    gate.open();
    await sim.settled();
  });
});
