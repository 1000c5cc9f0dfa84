import { beforeEach, describe, expect, it } from 'vitest';
import { ControllerService } from '../../../src/csi/controller.js';
import type * as csi from '../../../src/csi/csi-types.js';
import { toCsiStatus } from '../../../src/csi/status.js';
import { StorageError } from '../../../src/csi/storage/block-storage.js';
import { topologyKeys } from '../../../src/csi/topology.js';
import { INSTANCE_CLASSES, VOLUME_TYPES } from '../../../src/qingcloud/volume-types.js';
import { FakeBlockStorage } from '../../fakes/fake-block-storage.js';

const GiB = 1024 ** 3;
const keys = topologyKeys('disk.csi.qingcloud.com');
const mountCap: csi.VolumeCapability = {
  mount: { fs_type: 'ext4', mount_flags: [], volume_mount_group: '' },
  access_type: 'mount',
  access_mode: { mode: 'SINGLE_NODE_WRITER' },
};

function createReq(overrides: Partial<csi.CreateVolumeRequest> = {}): csi.CreateVolumeRequest {
  return {
    name: 'pvc-1',
    capacity_range: { required_bytes: String(20 * GiB), limit_bytes: '0' },
    volume_capabilities: [mountCap],
    parameters: {},
    secrets: {},
    volume_content_source: null,
    accessibility_requirements: null,
    mutable_parameters: {},
    ...overrides,
  };
}

async function statusOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return toCsiStatus(err).status;
  }
}

describe('ControllerService', () => {
  let storage: FakeBlockStorage;
  let controller: ControllerService;

  beforeEach(() => {
    storage = new FakeBlockStorage({ zone: 'pek3a', instances: ['i-node0001', 'i-node0002'] });
    controller = new ControllerService({ storage, catalog: { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES }, keys, defaultVolumeType: 0 });
  });

  it('checks required fields before looking anything up', async () => {
    expect(await statusOf(controller.CreateVolume(createReq({ name: '' })))).toBe('INVALID_ARGUMENT');
    expect(await statusOf(controller.CreateVolume(createReq({ volume_capabilities: [] })))).toBe('INVALID_ARGUMENT');
    expect(await statusOf(controller.DeleteVolume({ volume_id: '', secrets: {} }))).toBe('INVALID_ARGUMENT');
    expect(await statusOf(controller.ControllerPublishVolume({ volume_id: 'vol-00000000', node_id: '', volume_capability: mountCap, readonly: false, secrets: {}, volume_context: {} }))).toBe('INVALID_ARGUMENT');
    expect(storage.calls).toEqual({});
  });

  it('creates a volume once per name: a repeat returns the same volume without a second create', async () => {
    const a = await controller.CreateVolume(createReq());
    const b = await controller.CreateVolume(createReq());
    expect(b.volume?.volume_id).toBe(a.volume?.volume_id);
    expect(storage.calls['createVolume']).toBe(1);
    expect(a.volume?.capacity_bytes).toBe(String(20 * GiB));
    expect(a.volume?.volume_context).toEqual({ volumeType: '0', fsType: 'ext4' });
  });

  it('finds, on the retry, the volume a create whose wait failed had started, instead of making a second', async () => {
    storage.failNext.set('createVolume:wait', new StorageError('Busy', 'job wait timed out'));
    expect(await statusOf(controller.CreateVolume(createReq()))).toBe('UNAVAILABLE');
    const r = await controller.CreateVolume(createReq());
    expect(storage.calls['createVolume']).toBe(1);
    expect([...storage.volumes.values()].map((v) => v.id)).toEqual([r.volume?.volume_id]);
  });

  it('needs no cloud lookup for a new name: one read of the volume list at the first create', async () => {
    await controller.CreateVolume(createReq({ name: 'pvc-a' }));
    await controller.CreateVolume(createReq({ name: 'pvc-b' }));
    expect(storage.calls['listVolumes']).toBe(1);
    expect(storage.calls['findVolumeByName']).toBeUndefined();
    expect(storage.calls['getVolume']).toBeUndefined();
  });

  it('joins concurrent creates of the same name into one cloud create', async () => {
    const results = await Promise.all([controller.CreateVolume(createReq()), controller.CreateVolume(createReq()), controller.CreateVolume(createReq())]);
    expect(new Set(results.map((r) => r.volume?.volume_id)).size).toBe(1);
    expect(storage.calls['createVolume']).toBe(1);
  });

  it('answers ALREADY_EXISTS for the same name with an incompatible size', async () => {
    await controller.CreateVolume(createReq({ capacity_range: { required_bytes: String(20 * GiB), limit_bytes: String(20 * GiB) } }));
    expect(await statusOf(controller.CreateVolume(createReq({ capacity_range: { required_bytes: String(30 * GiB), limit_bytes: String(30 * GiB) } })))).toBe('ALREADY_EXISTS');
  });

  it('rounds up to the type step and refuses sizes beyond the type as OUT_OF_RANGE', async () => {
    const r = await controller.CreateVolume(createReq({ capacity_range: { required_bytes: String(21 * GiB), limit_bytes: '0' } }));
    expect(r.volume?.capacity_bytes).toBe(String(30 * GiB));
    expect(await statusOf(controller.CreateVolume(createReq({ name: 'big', capacity_range: { required_bytes: String(2001 * GiB), limit_bytes: '0' } })))).toBe('OUT_OF_RANGE');
  });

  it('chooses super-high-performance disk for a volume placed on an SHP node and returns its topology', async () => {
    const r = await controller.CreateVolume(
      createReq({ accessibility_requirements: { requisite: [], preferred: [{ segments: { [keys.zone]: 'pek3a', [keys.instanceType]: 'SuperHighPerformance' } }] } }),
    );
    expect(r.volume?.volume_context['volumeType']).toBe('3');
    expect(r.volume?.accessible_topology.map((t) => t.segments[keys.instanceType])).toContain('SuperHighPerformance');
  });

  it('restores from a snapshot and echoes the content source; a missing snapshot is NOT_FOUND', async () => {
    const v = await controller.CreateVolume(createReq());
    const s = await controller.CreateSnapshot({ name: 'snap-1', source_volume_id: v.volume!.volume_id, secrets: {}, parameters: {} });
    const source = { snapshot: { snapshot_id: s.snapshot!.snapshot_id }, type: 'snapshot' as const };
    const restored = await controller.CreateVolume(createReq({ name: 'pvc-2', volume_content_source: source }));
    expect(restored.volume?.content_source?.snapshot?.snapshot_id).toBe(s.snapshot!.snapshot_id);
    expect(await statusOf(controller.CreateVolume(createReq({ name: 'pvc-3', volume_content_source: { snapshot: { snapshot_id: 'ss-nothere' }, type: 'snapshot' } })))).toBe('NOT_FOUND');
    expect(await statusOf(controller.CreateVolume(createReq({ name: 'pvc-4', volume_content_source: { volume: { volume_id: 'vol-nothere' }, type: 'volume' } })))).toBe('NOT_FOUND');
  });

  it('deletes idempotently: unknown ids and repeats are OK, an attached volume is refused', async () => {
    const v = await controller.CreateVolume(createReq());
    const id = v.volume!.volume_id;
    await controller.ControllerPublishVolume({ volume_id: id, node_id: 'i-node0001', volume_capability: mountCap, readonly: false, secrets: {}, volume_context: {} });
    expect(await statusOf(controller.DeleteVolume({ volume_id: id, secrets: {} }))).toBe('FAILED_PRECONDITION');
    await controller.ControllerUnpublishVolume({ volume_id: id, node_id: 'i-node0001', secrets: {} });
    expect(await statusOf(controller.DeleteVolume({ volume_id: id, secrets: {} }))).toBe('OK');
    expect(await statusOf(controller.DeleteVolume({ volume_id: id, secrets: {} }))).toBe('OK');
    expect(await statusOf(controller.DeleteVolume({ volume_id: 'fake-vol-id', secrets: {} }))).toBe('OK');
  });

  it('publishes idempotently and refuses a second node while attached', async () => {
    const id = (await controller.CreateVolume(createReq())).volume!.volume_id;
    const publish = (node: string) => controller.ControllerPublishVolume({ volume_id: id, node_id: node, volume_capability: mountCap, readonly: false, secrets: {}, volume_context: {} });
    for (let i = 0; i < 3; i++) expect(await statusOf(publish('i-node0001'))).toBe('OK');
    expect(await statusOf(publish('i-node0002'))).toBe('FAILED_PRECONDITION');
    expect(await statusOf(publish('fake-node-id-1234567890'))).toBe('NOT_FOUND');
  });

  it('unpublishes a gone volume, a gone node or a never-attached volume as success', async () => {
    expect(await statusOf(controller.ControllerUnpublishVolume({ volume_id: 'vol-gone0001', node_id: 'i-node0001', secrets: {} }))).toBe('OK');
    expect(await statusOf(controller.ControllerUnpublishVolume({ volume_id: 'fake-vol-id', node_id: 'fake-node', secrets: {} }))).toBe('OK');
    const id = (await controller.CreateVolume(createReq())).volume!.volume_id;
    expect(await statusOf(controller.ControllerUnpublishVolume({ volume_id: id, node_id: '', secrets: {} }))).toBe('OK');
  });

  it('lists volumes in pages with tokens and rejects tokens it did not issue with ABORTED', async () => {
    for (let i = 0; i < 5; i++) await controller.CreateVolume(createReq({ name: `pvc-${i}` }));
    const first = await controller.ListVolumes({ max_entries: 2, starting_token: '' });
    expect(first.entries).toHaveLength(2);
    const rest = await controller.ListVolumes({ max_entries: 0, starting_token: first.next_token });
    expect(rest.entries).toHaveLength(3);
    expect(rest.next_token).toBe('');
    expect(await statusOf(controller.ListVolumes({ max_entries: 0, starting_token: 'invalid-token' }))).toBe('ABORTED');
  });

  it('snapshots idempotently by name and refuses the same name on another volume', async () => {
    const a = (await controller.CreateVolume(createReq({ name: 'a' }))).volume!.volume_id;
    const b = (await controller.CreateVolume(createReq({ name: 'b' }))).volume!.volume_id;
    const s1 = await controller.CreateSnapshot({ name: 'snap', source_volume_id: a, secrets: {}, parameters: {} });
    const s2 = await controller.CreateSnapshot({ name: 'snap', source_volume_id: a, secrets: {}, parameters: {} });
    expect(s2.snapshot?.snapshot_id).toBe(s1.snapshot?.snapshot_id);
    expect(await statusOf(controller.CreateSnapshot({ name: 'snap', source_volume_id: b, secrets: {}, parameters: {} }))).toBe('ALREADY_EXISTS');
    const listed = await controller.ListSnapshots({ max_entries: 0, starting_token: '', source_volume_id: '', snapshot_id: 'none-exist-id', secrets: {} });
    expect(listed.entries).toEqual([]);
    expect(await statusOf(controller.DeleteSnapshot({ snapshot_id: 'reallyfakesnapshotid', secrets: {} }))).toBe('OK');
  });

  it('expands step-aware, reports the exact new size, and is a no-op when already large enough', async () => {
    const id = (await controller.CreateVolume(createReq())).volume!.volume_id;
    const r = await controller.ControllerExpandVolume({ volume_id: id, capacity_range: { required_bytes: String(25 * GiB), limit_bytes: '0' }, secrets: {}, volume_capability: mountCap });
    expect(r).toEqual({ capacity_bytes: String(30 * GiB), node_expansion_required: true });
    const again = await controller.ControllerExpandVolume({ volume_id: id, capacity_range: { required_bytes: String(25 * GiB), limit_bytes: '0' }, secrets: {}, volume_capability: null });
    expect(again.capacity_bytes).toBe(String(30 * GiB));
    expect(storage.calls['resizeVolume']).toBe(1);
    expect(await statusOf(controller.ControllerExpandVolume({ volume_id: 'vol-nothere', capacity_range: { required_bytes: '1', limit_bytes: '0' }, secrets: {}, volume_capability: null }))).toBe('NOT_FOUND');
  });

  it('refuses a different operation on a volume while one runs (ABORTED)', async () => {
    const id = (await controller.CreateVolume(createReq())).volume!.volume_id;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const original = storage.attachVolume.bind(storage);
    storage.attachVolume = async (v, n) => {
      await gate;
      return original(v, n);
    };
    const publish = controller.ControllerPublishVolume({ volume_id: id, node_id: 'i-node0001', volume_capability: mountCap, readonly: false, secrets: {}, volume_context: {} });
    expect(await statusOf(controller.DeleteVolume({ volume_id: id, secrets: {} }))).toBe('ABORTED');
    release();
    await publish;
  });
});

describe('ControllerService finishing a half-made restore', () => {
  it('repairs a restored volume whose source was never recorded and grows it, instead of answering ALREADY_EXISTS', async () => {
    const storage = new FakeBlockStorage({ zone: 'pek3a' });
    const controller = new ControllerService({ storage, catalog: { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES }, keys, defaultVolumeType: 0 });
    const src = await controller.CreateVolume(createReq({ name: 'src' }));
    const snap = await controller.CreateSnapshot({ name: 's', source_volume_id: src.volume!.volume_id, secrets: {}, parameters: {} });
    // What a crash right after CreateVolumeFromSnapshot leaves: our name, the snapshot's size, no recorded source.
    const { volume: half } = await storage.createVolume({ name: 'pvc-restored', sizeGiB: 20, type: 0, replica: 2, tags: [] });
    const req = createReq({ name: 'pvc-restored', capacity_range: { required_bytes: String(30 * GiB), limit_bytes: '0' }, volume_content_source: { snapshot: { snapshot_id: snap.snapshot!.snapshot_id }, type: 'snapshot' } });
    // The crash took the controller with it: the retry reaches a new one.
    const restarted = new ControllerService({ storage, catalog: { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES }, keys, defaultVolumeType: 0 });
    const r = await restarted.CreateVolume(req);
    expect(r.volume?.volume_id).toBe(half.id);
    expect(r.volume?.capacity_bytes).toBe(String(30 * GiB));
    expect(storage.volumes.get(half.id)?.source).toEqual({ kind: 'snapshot', id: snap.snapshot!.snapshot_id });
    expect(storage.calls['createVolume']).toBe(2);
  });
});

describe('ControllerService retrying a create whose tagging failed', () => {
  it('attaches the StorageClass tags the first attempt did not get to', async () => {
    const storage = new FakeBlockStorage({ zone: 'pek3a' });
    const controller = new ControllerService({ storage, catalog: { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES }, keys, defaultVolumeType: 0 });
    const { volume: half } = await storage.createVolume({ name: 'pvc-tagged', sizeGiB: 20, type: 0, replica: 2, tags: [] });
    await controller.CreateVolume(createReq({ name: 'pvc-tagged', parameters: { tags: 'tag-aaaa1111,tag-bbbb2222' } }));
    expect(storage.volumes.get(half.id)?.tags).toEqual(['tag-aaaa1111', 'tag-bbbb2222']);
    await controller.CreateVolume(createReq({ name: 'pvc-tagged', parameters: { tags: 'tag-aaaa1111,tag-bbbb2222' } }));
    expect(storage.calls['attachTags']).toBe(1);
  });
});
