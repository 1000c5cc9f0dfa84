import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DRIVER, GiB, NODE_ID, blockCapability, keys, mountCapability, startHarness, type Harness } from './harness.js';

// Drives the driver over its real unix socket with a gRPC client, against the simulator, following the
// csi-sanity checklist (csi-cni-specs.md §2): required fields before lookups, idempotent repeats, exact
// capacities, pagination, cleanup of already-deleted things, staging/target handling.

let h: Harness;
let seq = 0;
const name = (what: string) => `pvc-${what}-${++seq}`;
const size = (gib: number) => ({ required_bytes: String(gib * GiB) });

async function createVolume(overrides: object = {}): Promise<any> {
  const res = await h.call('controller', 'CreateVolume', { name: name('v'), capacity_range: size(20), volume_capabilities: [mountCapability()], ...overrides });
  return res.volume;
}

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
});

describe('Identity', () => {
  it('names the driver with a sanity-valid name and a version', async () => {
    const info = await h.call('identity', 'GetPluginInfo', {});
    expect(info.name).toBe(DRIVER);
    expect(info.name).toMatch(/^[a-zA-Z][A-Za-z0-9-._]{0,61}[a-zA-Z]$/);
    expect(info.vendor_version).not.toBe('');
  });

  it('advertises controller service, topology and online expansion, nothing unknown', async () => {
    const caps = (await h.call('identity', 'GetPluginCapabilities', {})).capabilities;
    expect(caps.map((c: any) => c.service?.type ?? `expansion:${c.volume_expansion?.type}`).sort()).toEqual(['CONTROLLER_SERVICE', 'VOLUME_ACCESSIBILITY_CONSTRAINTS', 'expansion:ONLINE']);
  });

  it('probes ready when the IaaS answers with these keys', async () => {
    expect((await h.call('identity', 'Probe', {})).ready).toEqual({ value: true });
  });
});

describe('Controller', () => {
  it('lists only known capabilities', async () => {
    const caps = (await h.call('controller', 'ControllerGetCapabilities', {})).capabilities;
    expect(caps.every((c: any) => c.rpc.type !== 'UNKNOWN')).toBe(true);
    expect(caps.map((c: any) => c.rpc.type)).toEqual(expect.arrayContaining(['CREATE_DELETE_VOLUME', 'PUBLISH_UNPUBLISH_VOLUME', 'LIST_VOLUMES', 'CREATE_DELETE_SNAPSHOT', 'EXPAND_VOLUME', 'CLONE_VOLUME']));
  });

  it('checks required fields before looking anything up', async () => {
    expect(await h.code('controller', 'CreateVolume', { volume_capabilities: [mountCapability()] })).toBe('INVALID_ARGUMENT');
    expect(await h.code('controller', 'CreateVolume', { name: name('x') })).toBe('INVALID_ARGUMENT');
    expect(await h.code('controller', 'DeleteVolume', {})).toBe('INVALID_ARGUMENT');
    expect(await h.code('controller', 'ValidateVolumeCapabilities', {})).toBe('INVALID_ARGUMENT');
    expect(await h.code('controller', 'ControllerPublishVolume', {})).toBe('INVALID_ARGUMENT');
    expect(await h.code('controller', 'ControllerPublishVolume', { volume_id: 'fake-vol-id-0123456789' })).toBe('INVALID_ARGUMENT');
    expect(await h.code('controller', 'ControllerPublishVolume', { volume_id: 'fake-vol-id-0123456789', node_id: 'fake-node-id-0123456789' })).toBe('INVALID_ARGUMENT');
    expect(await h.code('controller', 'ControllerUnpublishVolume', {})).toBe('INVALID_ARGUMENT');
    expect(await h.code('controller', 'CreateSnapshot', { source_volume_id: 'testId' })).toBe('INVALID_ARGUMENT');
    expect(await h.code('controller', 'CreateSnapshot', { name: 'name' })).toBe('INVALID_ARGUMENT');
    expect(await h.code('controller', 'DeleteSnapshot', {})).toBe('INVALID_ARGUMENT');
    expect(await h.code('controller', 'ControllerExpandVolume', { capacity_range: size(30) })).toBe('INVALID_ARGUMENT');
    expect(await h.code('controller', 'ControllerExpandVolume', { volume_id: 'vol-whatever' })).toBe('INVALID_ARGUMENT');
  });

  it('creates a volume with the exact step-aligned capacity and returns the same volume for a repeated name', async () => {
    const n = name('same');
    const req = { name: n, capacity_range: { required_bytes: String(30 * GiB), limit_bytes: String(30 * GiB) }, volume_capabilities: [mountCapability()] };
    const a = (await h.call('controller', 'CreateVolume', req)).volume;
    const b = (await h.call('controller', 'CreateVolume', req)).volume;
    expect(a.capacity_bytes).toBe(String(30 * GiB));
    expect(b.volume_id).toBe(a.volume_id);
    expect(Object.values(h.sim.world().volumes).filter((v) => v.volume_name === n)).toHaveLength(1);
    expect(a.accessible_topology[0].segments[keys.zone]).toBe('sim1a');
  });

  it('answers ALREADY_EXISTS for the same name with another capacity', async () => {
    const n = name('clash');
    await h.call('controller', 'CreateVolume', { name: n, capacity_range: { required_bytes: String(20 * GiB), limit_bytes: String(20 * GiB) }, volume_capabilities: [mountCapability()] });
    expect(await h.code('controller', 'CreateVolume', { name: n, capacity_range: { required_bytes: String(40 * GiB), limit_bytes: String(40 * GiB) }, volume_capabilities: [mountCapability()] })).toBe('ALREADY_EXISTS');
  });

  it('accepts a 128-character name and refuses sizes the type cannot take with OUT_OF_RANGE', async () => {
    expect(await h.code('controller', 'CreateVolume', { name: 'x'.repeat(128), capacity_range: size(20), volume_capabilities: [mountCapability()] })).toBe('OK');
    expect(await h.code('controller', 'CreateVolume', { name: name('huge'), capacity_range: size(5000), volume_capabilities: [mountCapability()] })).toBe('OUT_OF_RANGE');
    expect(await h.code('controller', 'CreateVolume', { name: name('tight'), capacity_range: { required_bytes: String(21 * GiB), limit_bytes: String(25 * GiB) }, volume_capabilities: [mountCapability()] })).toBe('OUT_OF_RANGE');
  });

  it('rejects access modes a block disk cannot serve and unknown StorageClass parameters', async () => {
    expect(await h.code('controller', 'CreateVolume', { name: name('rwx'), volume_capabilities: [{ mount: {}, access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' } }] })).toBe('INVALID_ARGUMENT');
    expect(await h.code('controller', 'CreateVolume', { name: name('param'), volume_capabilities: [mountCapability()], parameters: { tpye: '2' } })).toBe('INVALID_ARGUMENT');
  });

  it('creates the capacity class (type 2) and places default-class volumes by the node instance type', async () => {
    const capacity = await createVolume({ parameters: { type: '2' } });
    expect(h.sim.world().volumes[capacity.volume_id]?.volume_type).toBe(2);
    const shp = await createVolume({ accessibility_requirements: { preferred: [{ segments: { [keys.zone]: 'sim1a', [keys.instanceType]: 'SuperHighPerformance' } }] } });
    expect(h.sim.world().volumes[shp.volume_id]?.volume_type).toBe(3);
  });

  it('deletes idempotently: a never-existing id and a second delete are OK', async () => {
    const v = await createVolume();
    expect(await h.code('controller', 'DeleteVolume', { volume_id: v.volume_id })).toBe('OK');
    expect(await h.code('controller', 'DeleteVolume', { volume_id: v.volume_id })).toBe('OK');
    expect(await h.code('controller', 'DeleteVolume', { volume_id: 'fake-vol-id' })).toBe('OK');
  });

  it('validates capabilities of an existing volume and answers NOT_FOUND for an unknown one', async () => {
    const v = await createVolume();
    const ok = await h.call('controller', 'ValidateVolumeCapabilities', { volume_id: v.volume_id, volume_capabilities: [mountCapability()] });
    expect(ok.confirmed.volume_capabilities).toHaveLength(1);
    expect(await h.code('controller', 'ValidateVolumeCapabilities', { volume_id: v.volume_id })).toBe('INVALID_ARGUMENT');
    const rwx = await h.call('controller', 'ValidateVolumeCapabilities', { volume_id: v.volume_id, volume_capabilities: [{ mount: {}, access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' } }] });
    expect(rwx.confirmed).toBeNull();
    expect(await h.code('controller', 'ValidateVolumeCapabilities', { volume_id: 'vol-nothere1', volume_capabilities: [mountCapability()] })).toBe('NOT_FOUND');
  });

  it('publishes 10 times with the same arguments, refuses another node, and unpublishes idempotently', async () => {
    const v = await createVolume();
    const publish = { volume_id: v.volume_id, node_id: NODE_ID, volume_capability: mountCapability(), readonly: false };
    for (let i = 0; i < 10; i++) expect(await h.code('controller', 'ControllerPublishVolume', publish)).toBe('OK');
    expect(h.sim.world().volumes[v.volume_id]?.instance_id).toBe(NODE_ID);
    expect(await h.code('controller', 'ControllerPublishVolume', { ...publish, node_id: 'i-sim00003' })).toBe('FAILED_PRECONDITION');
    expect(await h.code('controller', 'DeleteVolume', { volume_id: v.volume_id })).toBe('FAILED_PRECONDITION');
    for (let i = 0; i < 3; i++) expect(await h.code('controller', 'ControllerUnpublishVolume', { volume_id: v.volume_id, node_id: NODE_ID })).toBe('OK');
    expect(h.sim.world().volumes[v.volume_id]?.status).toBe('available');
    await h.call('controller', 'DeleteVolume', { volume_id: v.volume_id });
    // After deletion the sidecar's cleanup repeats unpublish and delete: both must stay OK.
    expect(await h.code('controller', 'ControllerUnpublishVolume', { volume_id: v.volume_id, node_id: NODE_ID })).toBe('OK');
    expect(await h.code('controller', 'DeleteVolume', { volume_id: v.volume_id })).toBe('OK');
  });

  it('answers NOT_FOUND for publishing an unknown volume or to an unknown node, and OK for unpublishing from a gone node', async () => {
    const v = await createVolume();
    expect(await h.code('controller', 'ControllerPublishVolume', { volume_id: 'vol-nothere2', node_id: NODE_ID, volume_capability: mountCapability() })).toBe('NOT_FOUND');
    expect(await h.code('controller', 'ControllerPublishVolume', { volume_id: v.volume_id, node_id: 'fake-node-id-0123456789', volume_capability: mountCapability() })).toBe('NOT_FOUND');
    expect(await h.code('controller', 'ControllerPublishVolume', { volume_id: v.volume_id, node_id: 'i-gone0000', volume_capability: mountCapability() })).toBe('NOT_FOUND');
    expect(await h.code('controller', 'ControllerUnpublishVolume', { volume_id: v.volume_id, node_id: 'i-gone0000' })).toBe('OK');
  });

  it('lists volumes with exact counts and pages, and ABORTED for a token it did not issue', async () => {
    const count = async () => (await h.call('controller', 'ListVolumes', {})).entries.length;
    const before = await count();
    const v = await createVolume();
    expect(await count()).toBe(before + 1);
    const first = await h.call('controller', 'ListVolumes', { max_entries: 2 });
    expect(first.entries).toHaveLength(2);
    expect(first.next_token).not.toBe('');
    const rest = await h.call('controller', 'ListVolumes', { starting_token: first.next_token });
    expect(rest.entries.length).toBe(before + 1 - 2);
    expect(await h.code('controller', 'ListVolumes', { starting_token: 'invalid-token' })).toBe('ABORTED');
    await h.call('controller', 'DeleteVolume', { volume_id: v.volume_id });
    expect(await count()).toBe(before);
  });

  it('reports capacity and volume status', async () => {
    const cap = await h.call('controller', 'GetCapacity', {});
    expect(Number(cap.available_capacity)).toBeGreaterThan(0);
    const v = await createVolume();
    const got = await h.call('controller', 'ControllerGetVolume', { volume_id: v.volume_id });
    expect(got.status.volume_condition.abnormal).toBe(false);
    expect(await h.code('controller', 'ControllerGetVolume', { volume_id: 'vol-nothere3' })).toBe('NOT_FOUND');
  });

  it('expands step-aware and reports the exact new size; a repeat is OK', async () => {
    const v = await createVolume();
    const r = await h.call('controller', 'ControllerExpandVolume', { volume_id: v.volume_id, capacity_range: size(40), volume_capability: mountCapability() });
    expect(r).toEqual({ capacity_bytes: String(40 * GiB), node_expansion_required: true });
    expect(await h.code('controller', 'ControllerExpandVolume', { volume_id: v.volume_id, capacity_range: size(40) })).toBe('OK');
    expect(h.sim.world().volumes[v.volume_id]?.size).toBe(40);
    const block = await h.call('controller', 'ControllerExpandVolume', { volume_id: v.volume_id, capacity_range: size(45), volume_capability: blockCapability() });
    expect(block).toEqual({ capacity_bytes: String(50 * GiB), node_expansion_required: false });
    expect(await h.code('controller', 'ControllerExpandVolume', { volume_id: 'vol-nothere4', capacity_range: size(40) })).toBe('NOT_FOUND');
  });
});

describe('Snapshots, restores and clones', () => {
  it('snapshots idempotently by name, refuses the name on another volume, restores with content_source', async () => {
    const a = await createVolume();
    const b = await createVolume();
    const snapName = name('snap');
    const s1 = (await h.call('controller', 'CreateSnapshot', { name: snapName, source_volume_id: a.volume_id })).snapshot;
    const s2 = (await h.call('controller', 'CreateSnapshot', { name: snapName, source_volume_id: a.volume_id })).snapshot;
    expect(s2.snapshot_id).toBe(s1.snapshot_id);
    expect(s1.source_volume_id).toBe(a.volume_id);
    expect(Number(s1.creation_time.seconds)).toBeGreaterThan(0);
    expect(await h.code('controller', 'CreateSnapshot', { name: snapName, source_volume_id: b.volume_id })).toBe('ALREADY_EXISTS');
    await h.sim.settled();
    expect((await h.call('controller', 'CreateSnapshot', { name: snapName, source_volume_id: a.volume_id })).snapshot.ready_to_use).toBe(true);
    const restored = await createVolume({ volume_content_source: { snapshot: { snapshot_id: s1.snapshot_id } } });
    expect(restored.content_source.snapshot.snapshot_id).toBe(s1.snapshot_id);
    const again = (await h.call('controller', 'CreateVolume', { name: h.sim.world().volumes[restored.volume_id]!.volume_name, capacity_range: size(20), volume_capabilities: [mountCapability()], volume_content_source: { snapshot: { snapshot_id: s1.snapshot_id } } })).volume;
    expect(again.volume_id).toBe(restored.volume_id);
    expect(await h.code('controller', 'CreateVolume', { name: name('nosnap'), volume_capabilities: [mountCapability()], volume_content_source: { snapshot: { snapshot_id: 'non-existing-snapshot-id' } } })).toBe('NOT_FOUND');
  });

  it('restores into a larger volume when asked, and clones a volume', async () => {
    const a = await createVolume();
    const s = (await h.call('controller', 'CreateSnapshot', { name: name('snap'), source_volume_id: a.volume_id })).snapshot;
    await h.sim.settled();
    const bigger = await createVolume({ capacity_range: size(50), volume_content_source: { snapshot: { snapshot_id: s.snapshot_id } } });
    expect(bigger.capacity_bytes).toBe(String(50 * GiB));
    expect(h.sim.world().volumes[bigger.volume_id]?.size).toBe(50);
    const clone = await createVolume({ volume_content_source: { volume: { volume_id: a.volume_id } } });
    expect(clone.content_source.volume.volume_id).toBe(a.volume_id);
    expect(await h.code('controller', 'CreateVolume', { name: name('noclone'), volume_capabilities: [mountCapability()], volume_content_source: { volume: { volume_id: 'vol-nothere5' } } })).toBe('NOT_FOUND');
  });

  it('lists snapshots by id and by source, pages them, and deletes idempotently', async () => {
    const v = await createVolume();
    for (let i = 0; i < 5; i++) await h.call('controller', 'CreateSnapshot', { name: name('list'), source_volume_id: v.volume_id });
    const all = await h.call('controller', 'ListSnapshots', {});
    const total = all.entries.length;
    expect(total).toBeGreaterThanOrEqual(5);
    const page = await h.call('controller', 'ListSnapshots', { max_entries: 2 });
    expect(page.entries).toHaveLength(2);
    const rest = await h.call('controller', 'ListSnapshots', { starting_token: page.next_token });
    expect(rest.entries).toHaveLength(total - 2);
    const bySource = await h.call('controller', 'ListSnapshots', { source_volume_id: v.volume_id });
    expect(bySource.entries).toHaveLength(5);
    const one = bySource.entries[0].snapshot.snapshot_id;
    expect((await h.call('controller', 'ListSnapshots', { snapshot_id: one })).entries.map((e: any) => e.snapshot.snapshot_id)).toEqual([one]);
    expect((await h.call('controller', 'ListSnapshots', { snapshot_id: 'none-exist-id' })).entries).toEqual([]);
    expect((await h.call('controller', 'ListSnapshots', { source_volume_id: 'vol-nothere6' })).entries).toEqual([]);
    await h.sim.settled();
    expect(await h.code('controller', 'DeleteSnapshot', { snapshot_id: one })).toBe('OK');
    expect(await h.code('controller', 'DeleteSnapshot', { snapshot_id: one })).toBe('OK');
    expect(await h.code('controller', 'DeleteSnapshot', { snapshot_id: 'reallyfakesnapshotid' })).toBe('OK');
  });
});

describe('Node', () => {
  const staging = '/var/lib/kubelet/plugins/kubernetes.io/csi/disk.csi.qingcloud.com/abc/globalmount';
  const target = '/var/lib/kubelet/pods/pod-1/volumes/kubernetes.io~csi/pvc/mount';
  beforeEach(() => {
    h.mounter.addDir(staging);
    h.mounter.addDir('/var/lib/kubelet/pods/pod-1/volumes/kubernetes.io~csi/pvc');
  });

  it('reports node id, volume limit and topology', async () => {
    const info = await h.call('node', 'NodeGetInfo', {});
    expect(info).toMatchObject({ node_id: NODE_ID, max_volumes_per_node: '9' });
    expect(info.accessible_topology.segments).toEqual({ [keys.zone]: 'sim1a', [keys.instanceType]: 'HighPerformance' });
    const caps = (await h.call('node', 'NodeGetCapabilities', {})).capabilities.map((c: any) => c.rpc.type);
    expect(caps).toEqual(['STAGE_UNSTAGE_VOLUME', 'GET_VOLUME_STATS', 'EXPAND_VOLUME', 'VOLUME_CONDITION']);
  });

  it('checks required fields in the order csi-sanity expects', async () => {
    expect(await h.code('node', 'NodePublishVolume', {})).toBe('INVALID_ARGUMENT');
    expect(await h.code('node', 'NodePublishVolume', { volume_id: 'vol-x' })).toBe('INVALID_ARGUMENT');
    expect(await h.code('node', 'NodePublishVolume', { volume_id: 'vol-x', target_path: target })).toBe('INVALID_ARGUMENT');
    expect(await h.code('node', 'NodePublishVolume', { volume_id: 'vol-x', target_path: target, volume_capability: mountCapability() })).toBe('FAILED_PRECONDITION');
    expect(await h.code('node', 'NodeUnpublishVolume', {})).toBe('INVALID_ARGUMENT');
    expect(await h.code('node', 'NodeUnpublishVolume', { volume_id: 'vol-x' })).toBe('INVALID_ARGUMENT');
    expect(await h.code('node', 'NodeStageVolume', { publish_context: { device: '/dev/mock' } })).toBe('INVALID_ARGUMENT');
    expect(await h.code('node', 'NodeStageVolume', { volume_id: 'vol-x' })).toBe('INVALID_ARGUMENT');
    expect(await h.code('node', 'NodeStageVolume', { volume_id: 'vol-x', staging_target_path: staging })).toBe('INVALID_ARGUMENT');
    expect(await h.code('node', 'NodeUnstageVolume', {})).toBe('INVALID_ARGUMENT');
    expect(await h.code('node', 'NodeUnstageVolume', { volume_id: 'vol-x' })).toBe('INVALID_ARGUMENT');
    expect(await h.code('node', 'NodeGetVolumeStats', { volume_path: 'some/path' })).toBe('INVALID_ARGUMENT');
    expect(await h.code('node', 'NodeGetVolumeStats', { volume_id: 'vol-x' })).toBe('INVALID_ARGUMENT');
    expect(await h.code('node', 'NodeGetVolumeStats', { volume_id: 'vol-nothere7', volume_path: 'some/path' })).toBe('NOT_FOUND');
    expect(await h.code('node', 'NodeExpandVolume', { volume_path: '/x' })).toBe('INVALID_ARGUMENT');
    expect(await h.code('node', 'NodeExpandVolume', { volume_id: 'vol-nothere8', volume_path: 'some/path' })).toBe('NOT_FOUND');
  });

  it('stages and publishes 10 times idempotently, reports stats, removes the target on unpublish', async () => {
    const v = await createVolume();
    await h.call('controller', 'ControllerPublishVolume', { volume_id: v.volume_id, node_id: NODE_ID, volume_capability: mountCapability() });
    const stage = { volume_id: v.volume_id, staging_target_path: staging, volume_capability: mountCapability(), volume_context: v.volume_context };
    for (let i = 0; i < 10; i++) expect(await h.code('node', 'NodeStageVolume', stage)).toBe('OK');
    const publish = { volume_id: v.volume_id, staging_target_path: staging, target_path: target, volume_capability: mountCapability(), readonly: false };
    for (let i = 0; i < 10; i++) expect(await h.code('node', 'NodePublishVolume', publish)).toBe('OK');
    expect(await h.mounter.pathKind(target)).toBe('dir');
    const stats = await h.call('node', 'NodeGetVolumeStats', { volume_id: v.volume_id, volume_path: target });
    expect(stats.usage.length).toBeGreaterThan(0);
    expect(stats.volume_condition.abnormal).toBe(false);
    expect(await h.code('node', 'NodeGetVolumeStats', { volume_id: v.volume_id, volume_path: 'some/path' })).toBe('NOT_FOUND');
    expect(await h.code('node', 'NodePublishVolume', { ...publish, readonly: true })).toBe('ALREADY_EXISTS');

    // Online expansion: controller grows the disk, the node grows the file system.
    await h.call('controller', 'ControllerExpandVolume', { volume_id: v.volume_id, capacity_range: size(30) });
    const grown = await h.call('node', 'NodeExpandVolume', { volume_id: v.volume_id, volume_path: target, capacity_range: size(30), staging_target_path: staging });
    expect(grown.capacity_bytes).toBe(String(30 * GiB));

    for (let i = 0; i < 2; i++) expect(await h.code('node', 'NodeUnpublishVolume', { volume_id: v.volume_id, target_path: target })).toBe('OK');
    expect(await h.mounter.pathKind(target)).toBe('missing');
    for (let i = 0; i < 2; i++) expect(await h.code('node', 'NodeUnstageVolume', { volume_id: v.volume_id, staging_target_path: staging })).toBe('OK');
    expect(await h.code('controller', 'ControllerUnpublishVolume', { volume_id: v.volume_id, node_id: NODE_ID })).toBe('OK');
    expect(await h.code('controller', 'DeleteVolume', { volume_id: v.volume_id })).toBe('OK');
    // Cleanup of things already gone stays OK.
    expect(await h.code('node', 'NodeUnpublishVolume', { volume_id: v.volume_id, target_path: target })).toBe('OK');
    expect(await h.code('node', 'NodeUnstageVolume', { volume_id: v.volume_id, staging_target_path: staging })).toBe('OK');
  });

  it('publishes a block volume as a device file at the target and removes it on unpublish', async () => {
    const v = await createVolume({ volume_capabilities: [blockCapability()] });
    await h.call('controller', 'ControllerPublishVolume', { volume_id: v.volume_id, node_id: NODE_ID, volume_capability: blockCapability() });
    await h.call('node', 'NodeStageVolume', { volume_id: v.volume_id, staging_target_path: staging, volume_capability: blockCapability() });
    await h.call('node', 'NodePublishVolume', { volume_id: v.volume_id, staging_target_path: staging, target_path: target, volume_capability: blockCapability(), readonly: false });
    expect(['file', 'block']).toContain(await h.mounter.pathKind(target));
    await h.call('node', 'NodeUnpublishVolume', { volume_id: v.volume_id, target_path: target });
    expect(await h.mounter.pathKind(target)).toBe('missing');
    await h.call('node', 'NodeUnstageVolume', { volume_id: v.volume_id, staging_target_path: staging });
    await h.call('controller', 'ControllerUnpublishVolume', { volume_id: v.volume_id, node_id: NODE_ID });
  });
});
