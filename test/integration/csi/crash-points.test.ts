import { afterEach, describe, expect, it } from 'vitest';
import { ControllerService } from '../../../src/csi/controller.js';
import { QingCloudBlockStorage } from '../../../src/csi/storage/qingcloud-block-storage.js';
import { topologyKeys } from '../../../src/csi/topology.js';
import { createQingCloud, type QingCloud } from '../../../src/qingcloud/index.js';
import { sdkConfigFor } from '../../../src/qingcloud/sim/client-config.js';
import { startSimulator, type RunningSimulator } from '../../../src/qingcloud/sim/index.js';
import { INSTANCE_CLASSES, VOLUME_TYPES } from '../../../src/qingcloud/volume-types.js';
import { systemClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/log.js';

// The controller process dies at each step of a multi-step operation; a new process (new SDK, empty memory) gets the
// sidecar's retry and must converge: one volume, one attachment, nothing left half-done.

const GiB = 1024 ** 3;
const NODE = 'i-sim00001';
const cap = { mount: { fs_type: 'ext4', mount_flags: [], volume_mount_group: '' }, access_type: 'mount' as const, access_mode: { mode: 'SINGLE_NODE_WRITER' as const } };
let sim: RunningSimulator | undefined;
const sdks: QingCloud[] = [];

afterEach(async () => {
  for (const sdk of sdks.splice(0)) await sdk.close();
  await sim?.stop();
  sim = undefined;
});

/** A controller process: its own SDK client and empty memory. */
function startController(s: RunningSimulator): { controller: ControllerService; crash: () => Promise<void> } {
  const sdk = createQingCloud({ config: sdkConfigFor(s.clientConfig), budget: null, waiter: { initialIntervalMs: 20, maxIntervalMs: 100 } });
  sdks.push(sdk);
  const storage = new QingCloudBlockStorage({ sdk, zone: s.clientConfig.zone, clock: systemClock, logger: silentLogger() });
  const controller = new ControllerService({ storage, catalog: { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES }, keys: topologyKeys('disk.csi.qingcloud.com'), defaultVolumeType: 0 });
  // A crash: the client is torn down mid-wait; whatever the process was doing is abandoned.
  return { controller, crash: () => sdk.close() };
}

/** Resolves once `action` has been sent to the cloud (the crash point), polling the simulator's own counters. */
async function sent(s: RunningSimulator, action: string, times = 1): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((s.callCounts()[action] ?? 0) < times) {
    if (Date.now() > deadline) throw new Error(`${action} was never sent`);
    await new Promise((r) => setImmediate(r));
  }
}

const createReq = (name: string, extra: object = {}) => ({
  name,
  capacity_range: { required_bytes: String(20 * GiB), limit_bytes: '0' },
  volume_capabilities: [cap],
  parameters: {},
  secrets: {},
  volume_content_source: null,
  accessibility_requirements: null,
  mutable_parameters: {},
  ...extra,
});

describe('controller crash points', () => {
  it('after CreateVolumes is sent, before its job ends: the retry finds the volume and makes no second one', async () => {
    sim = await startSimulator({ random: 1, jobLatencyMs: { default: 0, actions: { CreateVolumes: 400 } } });
    const a = startController(sim);
    const first = a.controller.CreateVolume(createReq('pvc-crash-create')).catch(() => 'crashed');
    await sent(sim, 'CreateVolumes');
    await a.crash();
    expect(await first).toBe('crashed');
    const b = startController(sim);
    const r = await b.controller.CreateVolume(createReq('pvc-crash-create'));
    expect(sim.callCounts()['CreateVolumes']).toBe(1);
    expect(Object.values(sim.world().volumes).filter((v) => v.volume_name === 'pvc-crash-create' && v.status === 'available')).toHaveLength(1);
    expect(r.volume?.volume_id).toMatch(/^vol-/);
  });

  it('mid-attach and mid-detach: the retry joins the cloud state and ends attached once, then detached', async () => {
    sim = await startSimulator({ random: 2, jobLatencyMs: { default: 0, actions: { AttachVolumes: 400, DetachVolumes: 400 } } });
    const a = startController(sim);
    const volumeId = (await a.controller.CreateVolume(createReq('pvc-crash-attach'))).volume!.volume_id;
    const publish = { volume_id: volumeId, node_id: NODE, volume_capability: cap, readonly: false, secrets: {}, volume_context: {} };
    void a.controller.ControllerPublishVolume(publish).catch(() => undefined);
    await sent(sim, 'AttachVolumes');
    await a.crash();
    const b = startController(sim);
    await b.controller.ControllerPublishVolume(publish);
    expect(sim.world().volumes[volumeId]).toMatchObject({ status: 'in-use', instance_id: NODE });
    expect(sim.callCounts()['AttachVolumes']).toBeGreaterThanOrEqual(1);

    void b.controller.ControllerUnpublishVolume({ volume_id: volumeId, node_id: NODE, secrets: {} }).catch(() => undefined);
    await sent(sim, 'DetachVolumes');
    await b.crash();
    const c = startController(sim);
    await c.controller.ControllerUnpublishVolume({ volume_id: volumeId, node_id: NODE, secrets: {} });
    expect(sim.world().volumes[volumeId]).toMatchObject({ status: 'available', instance_id: '' });
  });

  it('mid-delete: the retry waits for the running delete or finds the volume gone', async () => {
    sim = await startSimulator({ random: 3, jobLatencyMs: { default: 0, actions: { DeleteVolumes: 400 } } });
    const a = startController(sim);
    const volumeId = (await a.controller.CreateVolume(createReq('pvc-crash-delete'))).volume!.volume_id;
    void a.controller.DeleteVolume({ volume_id: volumeId, secrets: {} }).catch(() => undefined);
    await sent(sim, 'DeleteVolumes');
    await a.crash();
    const b = startController(sim);
    await b.controller.DeleteVolume({ volume_id: volumeId, secrets: {} });
    expect(sim.world().volumes[volumeId]?.status).toBe('deleted');
  });

  it('between restoring a snapshot and recording its source: the retry finishes the restore instead of ALREADY_EXISTS', async () => {
    sim = await startSimulator({ random: 4, jobLatencyMs: { default: 0, actions: { CreateVolumeFromSnapshot: 400 } } });
    const a = startController(sim);
    const src = (await a.controller.CreateVolume(createReq('pvc-src'))).volume!.volume_id;
    let snap = await a.controller.CreateSnapshot({ name: 'snap-crash', source_volume_id: src, secrets: {}, parameters: {} });
    while (!snap.snapshot!.ready_to_use) snap = await a.controller.CreateSnapshot({ name: 'snap-crash', source_volume_id: src, secrets: {}, parameters: {} });
    const restore = createReq('pvc-restore-crash', {
      capacity_range: { required_bytes: String(30 * GiB), limit_bytes: '0' },
      volume_content_source: { snapshot: { snapshot_id: snap.snapshot!.snapshot_id }, type: 'snapshot' },
    });
    void a.controller.CreateVolume(restore).catch(() => undefined);
    await sent(sim, 'CreateVolumeFromSnapshot');
    await a.crash();
    const b = startController(sim);
    const r = await b.controller.CreateVolume(restore);
    expect(r.volume?.capacity_bytes).toBe(String(30 * GiB));
    expect(r.volume?.content_source?.snapshot?.snapshot_id).toBe(snap.snapshot!.snapshot_id);
    expect(sim.callCounts()['CreateVolumeFromSnapshot']).toBe(1);
    expect(sim.world().volumes[r.volume!.volume_id]?.size).toBe(30);
  });
});
