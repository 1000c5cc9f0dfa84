import { afterEach, describe, expect, it } from 'vitest';
import {
  JobFailedError,
  QingCloudApiError,
  createQingCloud,
  type CreateQingCloudOptions,
  type QingCloud,
} from '../../../src/qingcloud/index.js';
import { sdkConfigFor } from '../../../src/qingcloud/sim/client-config.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../../src/qingcloud/sim/index.js';

const FAST_RETRY = {
  maxAttempts: 6,
  backoff: { initialMs: 5, maxMs: 20, factor: 2, jitter: 0 },
  throttlePause: { initialMs: 50, maxMs: 400, factor: 2, jitter: 0 },
  maxThrottledAttempts: 40,
};
const FAST_WAITER = { initialIntervalMs: 20, maxIntervalMs: 100 };

const running: { sim: RunningSimulator; sdk: QingCloud }[] = [];

async function setup(simOptions: SimulatorOptions = {}, sdkOptions: Partial<CreateQingCloudOptions> = {}, secret?: string) {
  const sim = await startSimulator({ random: 42, ...simOptions });
  const c = sim.clientConfig;
  const config = sdkConfigFor({ ...c, qy_secret_access_key: secret ?? c.qy_secret_access_key }, { connectionTimeoutMs: 5_000 });
  const sdk = createQingCloud({ config, budget: null, retry: FAST_RETRY, waiter: FAST_WAITER, ...sdkOptions });
  running.push({ sim, sdk });
  return { sim, sdk };
}

afterEach(async () => {
  for (const { sim, sdk } of running.splice(0)) {
    await sdk.close();
    await sim.stop();
  }
});

describe('SDK against the simulator over real HTTP', () => {
  it('reads zones, instances, vxnets and quotas of the default world', async () => {
    const { sdk } = await setup();
    const zones = await sdk.api.zones.describeZones();
    expect(zones.items.map((z) => z.zone_id)).toContain('sim1a');
    const instances = await sdk.api.instances.describeAllInstances();
    expect(new Set(instances.map((i) => i.instance_class)).size).toBeGreaterThanOrEqual(3);
    const vxnets = await sdk.api.vxnets.describeVxnets({ verbose: 1 });
    expect(vxnets.items.length).toBeGreaterThanOrEqual(2);
    expect(vxnets.items[0]?.router?.ip_network).toMatch(/\/24$/);
    expect((await sdk.api.quotas.getQuotaLeft(['volume'])).length).toBe(1);
    expect(Object.keys((await sdk.api.quotas.describeQuotas()).quotas).length).toBeGreaterThan(0);
  });

  it('runs the whole volume lifecycle: create, attach, resize, detach, rename, clone, delete', async () => {
    const { sdk } = await setup();
    const instance = (await sdk.api.instances.describeAllInstances()).find((i) => i.instance_class === 0)!;
    const created = await sdk.api.volumes.createVolumesAndWait({ size: 20, volume_name: 'data', volume_type: 0, count: 1 });
    const id = created.volumeIds[0]!;
    expect((await sdk.api.volumes.getVolume(id))?.status).toBe('available');
    await sdk.api.volumes.attachVolumesAndWait([id], instance.instance_id);
    const attached = await sdk.api.volumes.getVolume(id);
    expect(attached?.status).toBe('in-use');
    expect(attached?.instance?.instance_id).toBe(instance.instance_id);
    await sdk.api.volumes.resizeVolumesAndWait([id], 30);
    await sdk.api.volumes.detachVolumesAndWait([id], instance.instance_id);
    await sdk.api.volumes.modifyVolumeAttributes({ volume: id, volume_name: 'renamed', description: 'hello' });
    const v = (await sdk.api.volumes.describeVolumes({ volumes: [id] })).items[0];
    expect(v).toMatchObject({ size: 30, volume_name: 'renamed', description: 'hello', status: 'available' });
    expect(v?.instance?.device).toBeUndefined();
    const clone = await sdk.api.volumes.cloneVolumesAndWait({ volume: id, volume_name: 'copy', count: 1 });
    await sdk.api.volumes.deleteVolumesAndWait([id, clone.volumeIds[0]!]);
    expect((await sdk.api.volumes.describeVolumes({ volumes: [id], status: ['deleted'] })).items).toHaveLength(1);
    expect(await sdk.api.volumes.getVolume('vol-nothere0')).toBeUndefined();
  });

  it('snapshots a volume and restores it, accepting CreateSnapshots job ids as an array', async () => {
    const { sdk } = await setup();
    const id = (await sdk.api.volumes.createVolumesAndWait({ size: 20, volume_name: 'src', volume_type: 2, count: 1 })).volumeIds[0]!;
    const snap = await sdk.api.snapshots.createSnapshotsAndWait({ resources: [id], snapshot_name: 'snap-1', is_full: true });
    const snapshotId = snap.snapshotIds[0]!;
    const described = await sdk.api.snapshots.getSnapshot(snapshotId);
    expect(described).toMatchObject({ status: 'available', snapshot_name: 'snap-1' });
    expect(described?.snapshot_resource?.volume_id).toBe(id);
    const restored = await sdk.api.snapshots.createVolumeFromSnapshotAndWait({ snapshot: snapshotId, volume_name: 'restored' });
    expect((await sdk.api.volumes.getVolume(restored.volumeId))).toMatchObject({ size: 20, volume_type: 2 });
    await sdk.api.snapshots.deleteSnapshotsAndWait([snapshotId]);
  });

  it('creates, attaches, finds by instance, detaches and deletes NICs', async () => {
    const { sdk } = await setup();
    const vxnet = (await sdk.api.vxnets.describeVxnets()).items[0]!;
    const instance = (await sdk.api.instances.describeAllInstances())[0]!;
    const { nics } = await sdk.api.nics.createNics({ vxnet: vxnet.vxnet_id, nic_name: `hostnic_${instance.instance_id}`, count: 2 });
    expect(nics).toHaveLength(2);
    for (const nic of nics) expect(nic.nic_id).toMatch(/^52:54(:[0-9a-f]{2}){4}$/);
    const ids = nics.map((n) => n.nic_id);
    await sdk.api.nics.attachNicsAndWait(ids, instance.instance_id);
    const onInstance = await sdk.api.nics.describeNics({ instances: [instance.instance_id], nic_name: `hostnic_${instance.instance_id}` });
    expect(onInstance.items.map((n) => n.nic_id).sort()).toEqual([...ids].sort());
    expect(onInstance.items.every((n) => n.status === 'in-use')).toBe(true);
    await sdk.api.nics.modifyNicAttributes({ nic: ids[0]!, nic_name: 'renamed' });
    await sdk.api.nics.detachNicsAndWait(ids);
    await sdk.api.nics.deleteNics(ids);
    expect(await sdk.api.nics.getNic(ids[0]!)).toBeUndefined();
  });

  it('creates, attaches, filters by, detaches and deletes tags', async () => {
    const { sdk } = await setup();
    const { tagId } = await sdk.api.tags.createTag({ tag_name: 'k8s-pv' });
    const id = (await sdk.api.volumes.createVolumesAndWait({ size: 20, volume_name: 'tagged', count: 1 })).volumeIds[0]!;
    await sdk.api.tags.attachTags([{ tag_id: tagId, resource_type: 'volume', resource_id: id }]);
    const filtered = await sdk.api.volumes.describeVolumes({ tags: [tagId] });
    expect(filtered.items.map((v) => v.volume_id)).toEqual([id]);
    expect((await sdk.api.tags.describeTags({ tags: [tagId] })).items[0]?.tag_name).toBe('k8s-pv');
    await sdk.api.tags.detachTags([{ tag_id: tagId, resource_type: 'volume', resource_id: id }]);
    expect((await sdk.api.volumes.describeVolumes({ tags: [tagId] })).items).toHaveLength(0);
    await sdk.api.tags.deleteTags([tagId]);
  });

  it('pages lists through offset and limit with total_count', async () => {
    const { sdk } = await setup();
    await sdk.api.nics.createNics({ vxnet: (await sdk.api.vxnets.describeVxnets()).items[0]!.vxnet_id, count: 130 });
    const first = await sdk.api.nics.describeNics({ limit: 100 });
    expect(first.items).toHaveLength(100);
    expect(first.totalCount).toBeGreaterThanOrEqual(130);
    expect((await sdk.api.nics.describeAllNics()).length).toBe(first.totalCount);
  });

  it('surfaces a rejected signature as ret_code 1200 without retrying it', async () => {
    const { sdk, sim } = await setup({}, {}, 'not-the-secret');
    const err = await sdk.api.zones.describeZones().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QingCloudApiError);
    expect((err as QingCloudApiError).retCode).toBe(1200);
    expect((err as Error).message).not.toContain('not-the-secret');
    expect(sim.callCounts()['DescribeZones']).toBe(1);
  });

  it('retries injected 5000/5100 answers and succeeds', async () => {
    const { sdk } = await setup({ faults: { retCodes: { 5100: 0.3, 5000: 0.2 } } });
    for (let i = 0; i < 20; i++) await sdk.api.zones.describeZones();
    const retries = Object.values(sdk.metrics.snapshot()).reduce((n, a) => n + a.retries, 0);
    expect(retries).toBeGreaterThan(0);
  });

  it('pauses the whole client on throttling (2500), probes, and completes every call', async () => {
    const { sdk, sim } = await setup({ faults: { apiQuota: { limit: 5, windowSec: 1 } } });
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 12 }, () => sdk.api.zones.describeZones()));
    const elapsed = Date.now() - t0;
    expect(results).toHaveLength(12);
    const throttles = Object.values(sdk.metrics.snapshot()).reduce((n, a) => n + a.throttles, 0);
    expect(throttles).toBeGreaterThan(0);
    // Pause-and-probe: besides the 12 successes and the calls already in flight when the first 2500 came back,
    // at most one probe per pause went out; callers retrying on their own would send 12 per pause.
    expect(sim.callCounts()['DescribeZones']).toBeLessThanOrEqual(12 + 12 + Math.ceil(elapsed / 50));
  });

  it('reports a failed job with its id, action and resources, and the volume rolls back', async () => {
    const { sdk } = await setup({ faults: { actions: { AttachVolumes: { jobFailureRate: 1 } } } });
    const instance = (await sdk.api.instances.describeAllInstances()).find((i) => i.instance_class === 0)!;
    const id = (await sdk.api.volumes.createVolumesAndWait({ size: 20, count: 1 })).volumeIds[0]!;
    const err = await sdk.api.volumes.attachVolumesAndWait([id], instance.instance_id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    expect((err as JobFailedError).jobAction).toBe('AttachVolumes');
    expect((err as Error).message).toContain(id);
    expect((await sdk.api.volumes.getVolume(id))?.status).toBe('available');
  });

  it('shares DescribeJobs calls among 50 concurrent job waits (one call per poll tick, not one per job)', async () => {
    const { sdk, sim } = await setup({ jobLatencyMs: 300 }, { waiter: { initialIntervalMs: 100, maxIntervalMs: 200 } });
    const starts = await Promise.all(Array.from({ length: 50 }, (_, i) => sdk.api.volumes.createVolumes({ size: 20, volume_name: `v${i}`, count: 1 })));
    sim.resetCallCounts();
    const t0 = Date.now();
    await Promise.all(starts.map((s) => sdk.waiter.wait(s.jobId, { jobAction: 'CreateVolumes', timeoutMs: 10_000 })));
    const elapsed = Date.now() - t0;
    const describeJobs = sim.callCounts()['DescribeJobs'] ?? 0;
    // Ticks at 100, 300, 500 … ms: at most one DescribeJobs per tick while the jobs run.
    const maxTicks = Math.ceil(elapsed / 100) + 1;
    expect(describeJobs).toBeGreaterThan(0);
    expect(describeJobs).toBeLessThanOrEqual(maxTicks);
    expect(describeJobs).toBeLessThan(10);
  });
});
