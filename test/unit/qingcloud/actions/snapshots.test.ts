import { afterEach, describe, expect, it } from 'vitest';
import { describeJobsFrom, harness, teardown, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await teardown(h);
  h = undefined;
});

describe('SnapshotsApi', () => {
  it('accepts CreateSnapshots job_id as an array and waits for every job in one DescribeJobs', async () => {
    const jobs = new Map([
      ['j-snap0001', 'successful'],
      ['j-snap0002', 'successful'],
    ]);
    h = harness((seen) =>
      seen.action === 'CreateSnapshots' ? { job_id: ['j-snap0001', 'j-snap0002'], snapshots: ['ss-aaaaaaaa', 'ss-bbbbbbbb'] } : describeJobsFrom(jobs)(seen),
    );
    const result = h.sdk.api.snapshots.createSnapshotsAndWait({ resources: ['vol-aaaaaaaa', 'vol-bbbbbbbb'], snapshot_name: 's', is_full: true });
    await h.clock.advance(300);
    await expect(result).resolves.toMatchObject({ jobId: 'j-snap0001', jobIds: ['j-snap0001', 'j-snap0002'], snapshotIds: ['ss-aaaaaaaa', 'ss-bbbbbbbb'] });
    expect(h.transport.calls('DescribeJobs')).toHaveLength(1);
    expect(h.transport.calls('CreateSnapshots')[0]!.params).toMatchObject({ 'resources.2': 'vol-bbbbbbbb', is_full: '1' });
  });

  it('accepts CreateSnapshots job_id as a string', async () => {
    h = harness(() => ({ job_id: 'j-snap0001', snapshots: ['ss-aaaaaaaa'] }));
    await expect(h.sdk.api.snapshots.createSnapshots({ resources: ['vol-aaaaaaaa'] })).resolves.toEqual({
      jobId: 'j-snap0001',
      jobIds: ['j-snap0001'],
      snapshotIds: ['ss-aaaaaaaa'],
    });
  });

  it('createVolumeFromSnapshot returns the new volume id', async () => {
    h = harness(() => ({ job_id: 'j-fromsnap', volume_id: 'vol-cccccccc' }));
    await expect(h.sdk.api.snapshots.createVolumeFromSnapshot({ snapshot: 'ss-aaaaaaaa', volume_name: 'restored' })).resolves.toEqual({
      jobId: 'j-fromsnap',
      volumeId: 'vol-cccccccc',
    });
    expect(h.transport.seen[0]!.params).toMatchObject({ action: 'CreateVolumeFromSnapshot', snapshot: 'ss-aaaaaaaa' });
  });

  it('deleteSnapshots and getSnapshot use the snapshot ids', async () => {
    h = harness((seen) =>
      seen.action === 'DeleteSnapshots' ? { job_id: 'j-del00001' } : { snapshot_set: [{ snapshot_id: 'ss-aaaaaaaa', status: 'available' }], total_count: 1 },
    );
    await expect(h.sdk.api.snapshots.deleteSnapshots(['ss-aaaaaaaa'])).resolves.toEqual({ jobId: 'j-del00001' });
    const got = h.sdk.api.snapshots.getSnapshot('ss-aaaaaaaa');
    await h.clock.advance(10);
    await expect(got).resolves.toMatchObject({ status: 'available' });
  });
});
