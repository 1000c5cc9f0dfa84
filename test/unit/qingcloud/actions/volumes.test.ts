import { afterEach, describe, expect, it } from 'vitest';
import { InvalidIdError, JobFailedError } from '../../../../src/qingcloud/errors.js';
import { describeJobsFrom, harness, listParam, teardown, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await teardown(h);
  h = undefined;
});

describe('VolumesApi', () => {
  it('createVolumesAndWait creates, then waits on the job through the shared waiter', async () => {
    const jobs = new Map([['j-create01', 'working']]);
    h = harness((seen) => (seen.action === 'CreateVolumes' ? { job_id: 'j-create01', volumes: ['vol-aaaaaaaa'] } : describeJobsFrom(jobs)(seen)));
    const result = h.sdk.api.volumes.createVolumesAndWait({ size: 20, volume_name: 'pvc-1', volume_type: 2, count: 1 }, { timeoutMs: 10_000 });
    await h.clock.advance(300);
    expect(h.transport.calls('DescribeJobs')).toHaveLength(1);
    expect(h.transport.calls('DescribeJobs')[0]!.params).toMatchObject({ 'jobs.1': 'j-create01', limit: '100' });
    jobs.set('j-create01', 'successful');
    await h.clock.advance(600);
    await expect(result).resolves.toMatchObject({ jobId: 'j-create01', volumeIds: ['vol-aaaaaaaa'], job: { status: 'successful' } });
    expect(h.transport.calls('CreateVolumes')[0]!.params).toMatchObject({ size: '20', volume_name: 'pvc-1', volume_type: '2', count: '1' });
    expect(h.sdk.metrics.totalCalls()).toBe(3);
  });

  it('attachVolumesAndWait reports a failed job with the volume and instance', async () => {
    h = harness((seen) => (seen.action === 'AttachVolumes' ? { job_id: 'j-attach01' } : describeJobsFrom(new Map([['j-attach01', 'failed']]))(seen)));
    const outcome = h.sdk.api.volumes.attachVolumesAndWait(['vol-aaaaaaaa'], 'i-bbbbbbbb').catch((e: unknown) => e);
    await h.clock.advance(300);
    const err = (await outcome) as JobFailedError;
    expect(err).toBeInstanceOf(JobFailedError);
    expect(err.resourceIds).toEqual(['vol-aaaaaaaa', 'i-bbbbbbbb']);
    expect(h.transport.calls('AttachVolumes')[0]!.params).toMatchObject({ 'volumes.1': 'vol-aaaaaaaa', instance: 'i-bbbbbbbb' });
  });

  it('sends detach, resize, delete and clone with their documented params', async () => {
    h = harness((seen) => ({ job_id: 'j-00000001', volumes: seen.action === 'CloneVolumes' ? ['vol-cccccccc'] : undefined }));
    const v = h.sdk.api.volumes;
    await expect(v.detachVolumes(['vol-aaaaaaaa'], 'i-bbbbbbbb')).resolves.toEqual({ jobId: 'j-00000001' });
    await v.resizeVolumes(['vol-aaaaaaaa'], 40);
    await v.deleteVolumes(['vol-aaaaaaaa', 'vol-bbbbbbbb']);
    await expect(v.cloneVolumes({ volume: 'vol-aaaaaaaa', volume_name: 'copy' })).resolves.toEqual({ jobId: 'j-00000001', volumeIds: ['vol-cccccccc'] });
    await v.modifyVolumeAttributes({ volume: 'vol-aaaaaaaa', volume_name: 'renamed' });
    const [detach, resize, del, clone, modify] = h.transport.seen;
    expect(detach!.params).toMatchObject({ action: 'DetachVolumes', 'volumes.1': 'vol-aaaaaaaa', instance: 'i-bbbbbbbb' });
    expect(resize!.params).toMatchObject({ action: 'ResizeVolumes', size: '40' });
    expect(listParam(del!, 'volumes')).toEqual(['vol-aaaaaaaa', 'vol-bbbbbbbb']);
    expect(clone!.params).toMatchObject({ action: 'CloneVolumes', volume: 'vol-aaaaaaaa', volume_name: 'copy' });
    expect(modify!.params).toMatchObject({ action: 'ModifyVolumeAttributes', volume: 'vol-aaaaaaaa', volume_name: 'renamed' });
  });

  it('coalesces concurrent getVolume lookups into one DescribeVolumes', async () => {
    h = harness((seen) => {
      const known = listParam(seen, 'volumes').filter((id) => id !== 'vol-zzzzzzzz');
      return { volume_set: known.map((id) => ({ volume_id: id, status: 'available' })), total_count: known.length };
    });
    const v = h.sdk.api.volumes;
    const lookups = Promise.all([v.getVolume('vol-aaaaaaaa'), v.getVolume('vol-bbbbbbbb'), v.getVolume('vol-aaaaaaaa'), v.getVolume('vol-zzzzzzzz')]);
    await h.clock.advance(10);
    const [a, b, a2, missing] = await lookups;
    expect(a?.volume_id).toBe('vol-aaaaaaaa');
    expect(b?.volume_id).toBe('vol-bbbbbbbb');
    expect(a2).toBe(a);
    expect(missing).toBeUndefined();
    expect(h.transport.calls('DescribeVolumes')).toHaveLength(1);
    expect(h.transport.calls('DescribeVolumes')[0]!.params).toMatchObject({ limit: '100' });
  });

  it('describeAllVolumes pages through total_count', async () => {
    const all = Array.from({ length: 130 }, (_, i) => ({ volume_id: `vol-${i}` }));
    h = harness((seen) => {
      const offset = Number(seen.params['offset']);
      return { volume_set: all.slice(offset, offset + Number(seen.params['limit'])), total_count: all.length };
    });
    const volumes = await h.sdk.api.volumes.describeAllVolumes({ status: ['available', 'in-use'] });
    expect(volumes).toHaveLength(130);
    expect(h.transport.calls('DescribeVolumes').map((s) => [s.params['offset'], s.params['limit'], s.params['status.2']])).toEqual([
      ['0', '100', 'in-use'],
      ['100', '100', 'in-use'],
    ]);
  });

  it('refuses malformed ids without calling the API', async () => {
    h = harness(() => ({}));
    await expect(h.sdk.api.volumes.deleteVolumes(['vol-1&zone=x'])).rejects.toBeInstanceOf(InvalidIdError);
    await expect(h.sdk.api.volumes.attachVolumes(['vol-aaaaaaaa'], 'vol-bbbbbbbb')).rejects.toThrow(/instance id/);
    expect(h.transport.seen).toHaveLength(0);
  });
});
