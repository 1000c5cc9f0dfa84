import { afterEach, describe, expect, it } from 'vitest';
import { StorageError } from '../../../src/csi/storage/block-storage.js';
import { QingCloudBlockStorage } from '../../../src/csi/storage/qingcloud-block-storage.js';
import { createQingCloud, type QingCloud } from '../../../src/qingcloud/index.js';
import { sdkConfigFor } from '../../../src/qingcloud/sim/client-config.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../../src/qingcloud/sim/index.js';
import { systemClock, type Clock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/log.js';

// The adapter against the simulator's real API: how a create checks its name once the volume exists.

let sim: RunningSimulator | undefined;
let sdk: QingCloud | undefined;
/** The simulator's clock runs this far ahead of the system's, so volumes made after a bump are strictly newer. */
let skewMs = 0;
const skewedClock: Clock = { now: () => systemClock.now() + skewMs, sleep: (ms, signal) => systemClock.sleep(ms, signal) };

afterEach(async () => {
  await sdk?.close();
  await sim?.stop();
  sim = undefined;
  sdk = undefined;
  skewMs = 0;
});

async function setup(options: SimulatorOptions = {}): Promise<{ storage: QingCloudBlockStorage; sdk: QingCloud; sim: RunningSimulator }> {
  sim = await startSimulator({ random: 7, jobLatencyMs: 20, clock: skewedClock, ...options });
  sdk = createQingCloud({ config: sdkConfigFor(sim.clientConfig), budget: null, waiter: { initialIntervalMs: 20, maxIntervalMs: 100 } });
  const storage = new QingCloudBlockStorage({ sdk, zone: sim.clientConfig.zone, clock: systemClock, logger: silentLogger() });
  return { storage, sdk, sim };
}

const spec = (name: string) => ({ name, sizeGiB: 20, type: 0, replica: 2 as const, tags: [] });
const named = (s: RunningSimulator, name: string) => Object.values(s.world().volumes).filter((v) => v.volume_name === name);

describe('QingCloudBlockStorage.createVolume', () => {
  it('makes one volume, watched through DescribeVolumes by name instead of DescribeJobs', async () => {
    const { storage, sim } = await setup();
    const started: string[] = [];
    const out = await storage.createVolume(spec('pvc-plain'), undefined, (id) => started.push(id));
    expect(out).toMatchObject({ created: true, volume: { name: 'pvc-plain', sizeGiB: 20, state: 'available' } });
    expect(started).toEqual([out.volume.id]);
    expect(sim.callCounts()['DescribeJobs']).toBeUndefined();
    expect(sim.callCounts()['DescribeVolumes']).toBeGreaterThanOrEqual(1);
  });

  it('deletes its own volume and answers the older one when an older volume already carries the name', async () => {
    const { storage, sdk, sim } = await setup();
    const [olderId] = (await sdk.api.volumes.createVolumesAndWait({ size: 20, volume_name: 'pvc-twice', count: 1 })).volumeIds;
    skewMs = 5_000;
    const started: string[] = [];
    const out = await storage.createVolume(spec('pvc-twice'), undefined, (id) => started.push(id));
    expect(out).toMatchObject({ created: false, volume: { id: olderId } });
    // The caller's index is pointed at the one that stays.
    expect(started.at(-1)).toBe(olderId);
    await sim.settled();
    expect(named(sim, 'pvc-twice').filter((v) => v.status !== 'deleted').map((v) => v.volume_id)).toEqual([olderId]);
  });

  it('keeps its volume when the other namesake is newer: the newer attempt is the one that yields', async () => {
    const { storage, sdk, sim } = await setup();
    skewMs = 5_000;
    await sdk.api.volumes.createVolumesAndWait({ size: 20, volume_name: 'pvc-race', count: 1 });
    skewMs = 0;
    const out = await storage.createVolume(spec('pvc-race'), undefined);
    expect(out.created).toBe(true);
    expect(named(sim, 'pvc-race').filter((v) => v.status === 'available')).toHaveLength(2);
  });

  it('answers a volume already carrying the name of a restore instead of restoring again (the index may have missed it)', async () => {
    const { storage, sdk, sim } = await setup();
    const [sourceId] = (await sdk.api.volumes.createVolumesAndWait({ size: 20, volume_name: 'pvc-source', count: 1 })).volumeIds;
    const [snapshotId] = (await sdk.api.snapshots.createSnapshotsAndWait({ resources: [sourceId!], snapshot_name: 'snap', is_full: true })).snapshotIds;
    const [existingId] = (await sdk.api.volumes.createVolumesAndWait({ size: 20, volume_name: 'pvc-restored', count: 1 })).volumeIds;
    const out = await storage.createVolume({ ...spec('pvc-restored'), source: { kind: 'snapshot', id: snapshotId! } });
    expect(out).toMatchObject({ created: false, volume: { id: existingId } });
    expect(sim.callCounts()['CreateVolumeFromSnapshot']).toBeUndefined();
  });

  it('reports a create job that failed as retryable, naming the volume and the job', async () => {
    const { storage } = await setup({ faults: { actions: { CreateVolumes: { jobFailureRate: 1 } } } });
    const err = await storage.createVolume(spec('pvc-fails')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).kind).toBe('Busy');
    expect((err as Error).message).toMatch(/creating volume vol-\w+ \(pvc-fails\) failed in the cloud: job j-\w+ left it ceased/);
  });
});
