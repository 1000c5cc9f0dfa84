import { describe, expect, it } from 'vitest';
import type * as csi from '../../../src/csi/csi-types.js';
import { DeviceResolver } from '../../../src/csi/mount/devices.js';
import { NodeService } from '../../../src/csi/node.js';
import { toCsiStatus } from '../../../src/csi/status.js';
import { topologyKeys } from '../../../src/csi/topology.js';
import { INSTANCE_CLASSES, VOLUME_TYPES } from '../../../src/qingcloud/volume-types.js';
import { FakeMounter } from '../../fakes/fake-mounter.js';
import { ManualClock } from '../../fakes/manual-clock.js';

const VOLUME = 'vol-path0001';
const STAGING = '/kubelet/staging/pv1';
const TARGET = '/kubelet/pods/p1/vol';
const MUTATING = new Set(['mount', 'bindMount', 'makeDir', 'makeFile', 'removePath', 'unmount', 'format', 'resizeFilesystem']);
const BAD_PATHS: [string, string][] = [
  ['a ".." segment', '/kubelet/staging/../../etc'],
  ['a trailing ".."', '/kubelet/pods/p1/..'],
  ['a NUL byte', '/kubelet/staging/a\0b'],
  ['a relative path', 'kubelet/staging/pv1'],
  ['a dot-relative path', './pv1'],
  ['an unnormalised path', '/kubelet//staging/./pv1'],
  ['the root directory', '/'],
];

/** A node service with no SDK anywhere: a fake mounter and a device lookup that finds the attached disk by serial. */
function nodeWithoutCloud(): { node: NodeService; mounter: FakeMounter } {
  const mounter = new FakeMounter().addDevice('/dev/vdb').addDir('/kubelet/staging').addDir('/kubelet/pods/p1');
  const devices = new DeviceResolver({
    clock: new ManualClock(),
    waitTimeoutMs: 0,
    fs: {
      realpath: async (p) => (p.endsWith(`virtio-${VOLUME}`) ? '/dev/vdb' : undefined),
      readText: async (p) => (p.endsWith('/vdb/serial') ? VOLUME : undefined),
      isBlockDevice: async (p) => p === '/dev/vdb',
    },
  });
  const node = new NodeService({
    mounter,
    devices,
    identity: { nodeId: 'i-node0001', zone: 'pek3a', instanceClass: 0 },
    keys: topologyKeys('disk.csi.qingcloud.com'),
    catalog: { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES },
    maxVolumesPerNode: 9,
  });
  return { node, mounter };
}

const cap: csi.VolumeCapability = { mount: { fs_type: 'ext4', mount_flags: [], volume_mount_group: '' }, access_mode: { mode: 'SINGLE_NODE_WRITER' }, access_type: 'mount' };

const stage = (staging: string): csi.NodeStageVolumeRequest =>
  ({ volume_id: VOLUME, publish_context: {}, staging_target_path: staging, volume_capability: cap, secrets: {}, volume_context: {} });
const publish = (staging: string, target: string): csi.NodePublishVolumeRequest =>
  ({ volume_id: VOLUME, publish_context: {}, staging_target_path: staging, target_path: target, volume_capability: cap, readonly: false, secrets: {}, volume_context: {} });

async function statusOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'OK',
    (err: unknown) => toCsiStatus(err).status,
  );
}

function mutatingCalls(mounter: FakeMounter): string[] {
  return mounter.calls.filter((c) => MUTATING.has(c.method)).map((c) => `${c.method}(${c.args.filter((a) => typeof a === 'string').join(', ')})`);
}

describe('the node plugin needs no cloud credentials', () => {
  it('stages, publishes, unpublishes and unstages with a NodeService built without any SDK', async () => {
    const { node, mounter } = nodeWithoutCloud();
    await node.NodeStageVolume(stage(STAGING));
    await node.NodePublishVolume(publish(STAGING, TARGET));
    expect(mounter.mountTable().map((m) => m.mountPoint)).toEqual(['/', STAGING, TARGET]);
    await node.NodeUnpublishVolume({ volume_id: VOLUME, target_path: TARGET });
    await node.NodeUnstageVolume({ volume_id: VOLUME, staging_target_path: STAGING });
    expect(mounter.mountTable().map((m) => m.mountPoint)).toEqual(['/']);
  });
});

describe('paths from requests are validated before any mount, mkdir or rm', () => {
  for (const [what, bad] of BAD_PATHS) {
    it(`refuses ${what} with INVALID_ARGUMENT on NodeStage, NodePublish, NodeUnpublish and NodeUnstage, touching nothing`, async () => {
      const { node, mounter } = nodeWithoutCloud();
      expect(await statusOf(node.NodeStageVolume(stage(bad)))).toBe('INVALID_ARGUMENT');
      expect(await statusOf(node.NodePublishVolume(publish(STAGING, bad)))).toBe('INVALID_ARGUMENT');
      expect(await statusOf(node.NodePublishVolume(publish(bad, TARGET)))).toBe('INVALID_ARGUMENT');
      expect(await statusOf(node.NodeUnpublishVolume({ volume_id: VOLUME, target_path: bad }))).toBe('INVALID_ARGUMENT');
      expect(await statusOf(node.NodeUnstageVolume({ volume_id: VOLUME, staging_target_path: bad }))).toBe('INVALID_ARGUMENT');
      expect(mutatingCalls(mounter)).toEqual([]);
    });

    it(`answers ${what} on NodeGetVolumeStats and NodeExpandVolume with an error and touches nothing`, async () => {
      const { node, mounter } = nodeWithoutCloud();
      // A relative path cannot be where the volume is mounted (NOT_FOUND, as csi-sanity expects); an unsafe absolute one is invalid.
      const expected = bad.startsWith('/') ? 'INVALID_ARGUMENT' : 'NOT_FOUND';
      expect(await statusOf(node.NodeGetVolumeStats({ volume_id: VOLUME, volume_path: bad, staging_target_path: '' }))).toBe(expected);
      const expand = { volume_id: VOLUME, volume_path: bad, capacity_range: null, staging_target_path: '', volume_capability: null, secrets: {} } as csi.NodeExpandVolumeRequest;
      expect(await statusOf(node.NodeExpandVolume(expand))).toBe(expected);
      expect(mutatingCalls(mounter)).toEqual([]);
      expect(mounter.calls.filter((c) => c.args.includes(bad))).toEqual([]);
    });
  }
});
