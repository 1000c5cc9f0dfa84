import { beforeEach, describe, expect, it } from 'vitest';
import type * as csi from '../../../src/csi/csi-types.js';
import { DeviceResolver, type DeviceLookupFs } from '../../../src/csi/mount/devices.js';
import { NodeService } from '../../../src/csi/node.js';
import { toCsiStatus } from '../../../src/csi/status.js';
import { topologyKeys } from '../../../src/csi/topology.js';
import { INSTANCE_CLASSES, VOLUME_TYPES } from '../../../src/qingcloud/volume-types.js';
import { FakeMounter } from '../../fakes/fake-mounter.js';
import { ManualClock } from '../../fakes/manual-clock.js';

const GiB = 1024 ** 3;
const VOL = 'vol-abcd1234';
const DEVICE = '/dev/vdc';
const STAGING = '/var/lib/kubelet/plugins/kubernetes.io/csi/disk.csi.qingcloud.com/x/globalmount';
const TARGET = '/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/pvc-1/mount';
const keys = topologyKeys('disk.csi.qingcloud.com');

const mountCap = (fs = 'ext4', flags: string[] = []): csi.VolumeCapability => ({
  mount: { fs_type: fs, mount_flags: flags, volume_mount_group: '' },
  access_type: 'mount',
  access_mode: { mode: 'SINGLE_NODE_WRITER' },
});
const blockCap: csi.VolumeCapability = { block: {}, access_type: 'block', access_mode: { mode: 'SINGLE_NODE_WRITER' } };

/** by-id links of attached volumes and their virtio serials, as sysfs and udev would show them. */
class FakeLookup implements DeviceLookupFs {
  readonly links = new Map<string, string>();
  readonly serials = new Map<string, string>();
  attach(volumeId: string, device: string): void {
    this.links.set(`/dev/disk/by-id/virtio-${volumeId}`, device);
    this.serials.set(`/sys/class/block/${device.slice('/dev/'.length)}/serial`, volumeId);
  }
  async realpath(path: string) {
    return this.links.get(path) ?? (path.startsWith('/dev/vd') ? path : undefined);
  }
  async readText(path: string) {
    return this.serials.get(path);
  }
  async isBlockDevice(path: string) {
    return path.startsWith('/dev/vd');
  }
}

async function statusOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return toCsiStatus(err).status;
  }
}

describe('NodeService', () => {
  let mounter: FakeMounter;
  let lookup: FakeLookup;
  let node: NodeService;

  const stage = (cap = mountCap(), volumeId = VOL, staging = STAGING) =>
    node.NodeStageVolume({ volume_id: volumeId, staging_target_path: staging, volume_capability: cap, publish_context: {}, secrets: {}, volume_context: {} });
  const publish = (cap = mountCap(), readonly = false, target = TARGET) =>
    node.NodePublishVolume({ volume_id: VOL, staging_target_path: STAGING, target_path: target, volume_capability: cap, readonly, publish_context: {}, secrets: {}, volume_context: {} });

  beforeEach(() => {
    mounter = new FakeMounter();
    mounter.addDevice(DEVICE, { sizeBytes: 20 * GiB });
    mounter.addDir(STAGING);
    mounter.addDir('/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/pvc-1');
    lookup = new FakeLookup();
    lookup.attach(VOL, DEVICE);
    const clock = new ManualClock();
    node = new NodeService({
      mounter,
      devices: new DeviceResolver({ clock, fs: lookup, waitTimeoutMs: 0 }),
      identity: { nodeId: 'i-node0001', zone: 'pek3a', instanceClass: 1 },
      keys,
      catalog: { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES },
      maxVolumesPerNode: 9,
    });
  });

  it('reports its node id, an honest volume limit and its topology', async () => {
    expect(await node.NodeGetInfo()).toEqual({
      node_id: 'i-node0001',
      max_volumes_per_node: '9',
      accessible_topology: { segments: { [keys.zone]: 'pek3a', [keys.instanceType]: 'SuperHighPerformance' } },
    });
  });

  it('formats a blank device once, mounts it, and a repeated stage is OK without formatting again', async () => {
    for (let i = 0; i < 3; i++) expect(await statusOf(stage())).toBe('OK');
    expect(mounter.device(DEVICE)?.formatCount).toBe(1);
    expect((await mounter.findMount(STAGING))?.fsType).toBe('ext4');
  });

  it('never reformats a device that already holds data, and refuses a different explicit file system', async () => {
    mounter.device(DEVICE)!.content = { kind: 'filesystem', fsType: 'xfs' };
    expect(await statusOf(stage(mountCap('ext4')))).toBe('FAILED_PRECONDITION');
    expect(mounter.device(DEVICE)?.formatCount).toBe(0);
    expect(await statusOf(stage(mountCap('')))).toBe('OK');
    expect((await mounter.findMount(STAGING))?.fsType).toBe('xfs');
  });

  it('refuses devices with a partition table or unknown data', async () => {
    mounter.device(DEVICE)!.content = { kind: 'partitioned', tableType: 'gpt' };
    expect(await statusOf(stage())).toBe('FAILED_PRECONDITION');
  });

  it('refuses a device whose serial names another volume', async () => {
    lookup.serials.set('/sys/class/block/vdc/serial', 'vol-other999');
    expect(await statusOf(stage())).toBe('FAILED_PRECONDITION');
    expect(mounter.device(DEVICE)?.formatCount).toBe(0);
  });

  it('answers a not-yet-attached device with a retryable status', async () => {
    lookup.links.clear();
    expect(await statusOf(stage())).toBe('UNAVAILABLE');
  });

  it('checks required fields first, then the staging path rule', async () => {
    expect(await statusOf(stage(mountCap(), ''))).toBe('INVALID_ARGUMENT');
    expect(await statusOf(node.NodePublishVolume({ volume_id: VOL, staging_target_path: '', target_path: TARGET, volume_capability: null, readonly: false, publish_context: {}, secrets: {}, volume_context: {} }))).toBe('INVALID_ARGUMENT');
    expect(await statusOf(node.NodePublishVolume({ volume_id: VOL, staging_target_path: '', target_path: TARGET, volume_capability: mountCap(), readonly: false, publish_context: {}, secrets: {}, volume_context: {} }))).toBe('FAILED_PRECONDITION');
  });

  it('publishes by bind mount, idempotently, and refuses the same target with another read-only flag', async () => {
    await stage();
    for (let i = 0; i < 3; i++) expect(await statusOf(publish())).toBe('OK');
    expect(await statusOf(publish(mountCap(), true))).toBe('ALREADY_EXISTS');
    expect(await mounter.pathKind(TARGET)).toBe('dir');
  });

  it('publishes read-only', async () => {
    await stage();
    await publish(mountCap(), true);
    expect((await mounter.findMount(TARGET))?.readonly).toBe(true);
  });

  it('unpublishes and removes the target it created; repeating is OK', async () => {
    await stage();
    await publish();
    for (let i = 0; i < 2; i++) expect(await statusOf(node.NodeUnpublishVolume({ volume_id: VOL, target_path: TARGET }))).toBe('OK');
    expect(await mounter.pathKind(TARGET)).toBe('missing');
    for (let i = 0; i < 2; i++) expect(await statusOf(node.NodeUnstageVolume({ volume_id: VOL, staging_target_path: STAGING }))).toBe('OK');
    expect(await mounter.findMount(STAGING)).toBeUndefined();
  });

  it('publishes a block volume as a bind-mounted device file', async () => {
    expect(await statusOf(stage(blockCap))).toBe('OK');
    expect(await statusOf(publish(blockCap))).toBe('OK');
    expect(['file', 'block']).toContain(await mounter.pathKind(TARGET));
    const stats = await node.NodeGetVolumeStats({ volume_id: VOL, volume_path: TARGET, staging_target_path: '' });
    expect(stats.usage).toEqual([{ total: String(20 * GiB), available: '0', used: '0', unit: 'BYTES' }]);
    await node.NodeUnpublishVolume({ volume_id: VOL, target_path: TARGET });
    expect(await mounter.pathKind(TARGET)).toBe('missing');
  });

  it('reports bytes and inodes, and NOT_FOUND for a path where the volume is not mounted', async () => {
    await stage();
    await publish();
    const stats = await node.NodeGetVolumeStats({ volume_id: VOL, volume_path: TARGET, staging_target_path: STAGING });
    expect(stats.usage.map((u) => u.unit)).toEqual(['BYTES', 'INODES']);
    expect(stats.volume_condition).toEqual({ abnormal: false, message: `volume ${VOL} is healthy` });
    expect(await statusOf(node.NodeGetVolumeStats({ volume_id: VOL, volume_path: 'some/path', staging_target_path: '' }))).toBe('NOT_FOUND');
    expect(await statusOf(node.NodeGetVolumeStats({ volume_id: VOL, volume_path: '/var/lib/kubelet/pods', staging_target_path: '' }))).toBe('NOT_FOUND');
  });

  it('reports an abnormal condition when the device is gone', async () => {
    await stage();
    await publish();
    lookup.links.clear();
    const stats = await node.NodeGetVolumeStats({ volume_id: VOL, volume_path: TARGET, staging_target_path: STAGING });
    expect(stats.volume_condition?.abnormal).toBe(true);
  });

  it('grows the file system online and reports the device size', async () => {
    await stage();
    await publish();
    mounter.growDevice(DEVICE, 30 * GiB);
    const r = await node.NodeExpandVolume({ volume_id: VOL, volume_path: TARGET, capacity_range: { required_bytes: String(30 * GiB), limit_bytes: '0' }, staging_target_path: STAGING, volume_capability: null, secrets: {} });
    expect(r.capacity_bytes).toBe(String(30 * GiB));
    expect((await mounter.filesystemStats(TARGET)).totalBytes).toBeGreaterThanOrEqual(27 * GiB);
  });

  it('answers UNAVAILABLE while the device has not grown yet', async () => {
    await stage();
    await publish();
    const r = node.NodeExpandVolume({ volume_id: VOL, volume_path: TARGET, capacity_range: { required_bytes: String(30 * GiB), limit_bytes: '0' }, staging_target_path: STAGING, volume_capability: null, secrets: {} });
    expect(await statusOf(r)).toBe('UNAVAILABLE');
  });

  it('never puts mount flags into an error message', async () => {
    mounter.failNext('mount', new Error('mount failed'));
    try {
      await stage(mountCap('ext4', ['secret-flag=hunter2']));
    } catch (err) {
      expect(toCsiStatus(err).message).not.toContain('hunter2');
    }
  });
});

describe('NodeService staging a restored volume on a larger disk', () => {
  it('grows the smaller file system the restore carried to the size of the disk', async () => {
    const mounter = new FakeMounter();
    mounter.addDevice(DEVICE, { sizeBytes: 30 * GiB, content: { kind: 'filesystem', fsType: 'ext4' } });
    mounter.device(DEVICE)!.fsSizeBytes = 20 * GiB;
    mounter.addDir(STAGING);
    const node = nodeOn(mounter);
    await node.NodeStageVolume({ volume_id: VOL, staging_target_path: STAGING, volume_capability: mountCap(''), publish_context: {}, secrets: {}, volume_context: {} });
    expect((await mounter.filesystemStats(STAGING)).totalBytes).toBeGreaterThan(27 * GiB);
    expect(mounter.device(DEVICE)?.formatCount).toBe(0);
  });
});

describe('NodeService after a crash in the middle of formatting', () => {
  it('wipes the half-written file system it was creating and formats again, instead of refusing the volume forever', async () => {
    const mounter = new FakeMounter();
    mounter.addDevice(DEVICE, { sizeBytes: 20 * GiB });
    mounter.addDir(STAGING);
    const node = nodeOn(mounter);
    const stage = () => node.NodeStageVolume({ volume_id: VOL, staging_target_path: STAGING, volume_capability: mountCap('ext4'), publish_context: {}, secrets: {}, volume_context: {} });
    // The plugin dies inside mkfs: what is left on the disk is neither blank nor a usable file system.
    mounter.failNext('format', new Error('killed'));
    await expect(stage()).rejects.toThrow('killed');
    mounter.device(DEVICE)!.content = { kind: 'unknown-data', detail: 'a torn ext4 superblock' };
    expect(await statusOf(stage())).toBe('OK');
    expect(mounter.device(DEVICE)?.formatCount).toBe(1);
    expect(mounter.methodsCalled()).toContain('wipeSignatures');
    expect((await mounter.findMount(STAGING))?.fsType).toBe('ext4');
  });

  it('never wipes a device that holds data it did not start formatting', async () => {
    const mounter = new FakeMounter();
    mounter.addDevice(DEVICE, { sizeBytes: 20 * GiB, content: { kind: 'unknown-data', detail: 'LUKS' } });
    mounter.addDir(STAGING);
    const node = nodeOn(mounter);
    expect(await statusOf(node.NodeStageVolume({ volume_id: VOL, staging_target_path: STAGING, volume_capability: mountCap('ext4'), publish_context: {}, secrets: {}, volume_context: {} }))).toBe('FAILED_PRECONDITION');
    expect(mounter.methodsCalled()).not.toContain('wipeSignatures');
  });
});

/** A node service whose only attached volume is VOL on DEVICE, mounting through `mounter`. */
function nodeOn(mounter: FakeMounter): NodeService {
  const lookup = new FakeLookup();
  lookup.attach(VOL, DEVICE);
  return new NodeService({
    mounter,
    devices: new DeviceResolver({ clock: new ManualClock(), fs: lookup, waitTimeoutMs: 0 }),
    identity: { nodeId: 'i-node0001', zone: 'pek3a' },
    keys,
    catalog: { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES },
    maxVolumesPerNode: 9,
  });
}
