import { messageOf } from '../shared/errors.js';
import { posix } from 'node:path';
import { InflightOperations } from '../shared/inflight.js';
import type { VolumeCatalog } from './catalog.js';
import { CONTEXT_FS_TYPE } from './controller.js';
import type * as csi from './csi-types.js';
import { CsiError } from './errors.js';
import type { DeviceResolver, ResolvedDevice } from './mount/devices.js';
import { MountError } from './mount/mount-error.js';
import type { FsType, MountPoint, Mounter } from './mount/mounter.js';
import { SUPPORTED_FS_TYPES, validateHostPath } from './mount/paths.js';
import { nodeTopology, type TopologyKeys } from './topology.js';
import { isBlock, requireField, toByteRange, validateCapability, VOLUME_ID } from './validate.js';
import type { CallContext } from './controller.js';
import type { Logger } from '../shared/log.js';

/** Who this node is, resolved once at start-up by the composition root. */
export interface NodeIdentity {
  nodeId: string;
  zone: string;
  /** instance_class of this instance; undefined when it could not be learned (the node still registers). */
  instanceClass?: number;
}

/** Settings of the node service. */
export interface NodeOptions {
  mounter: Mounter;
  devices: DeviceResolver;
  identity: NodeIdentity;
  keys: TopologyKeys;
  catalog: VolumeCatalog;
  maxVolumesPerNode: number;
  logger?: Logger;
}

/** Marks a format in progress (see NodeStageVolume); kubelet's staging directory survives plugin restarts. */
const FORMAT_MARKER = '.qingcloud-csi-formatting';

/** A file system smaller than this share of its disk is grown at stage (ext4/xfs metadata stays well below 10 %). */
const GROW_THRESHOLD = 0.9;

const NODE_CAPABILITIES: csi.NodeRpcType[] = ['STAGE_UNSTAGE_VOLUME', 'GET_VOLUME_STATS', 'EXPAND_VOLUME', 'VOLUME_CONDITION'];

/**
 * The CSI Node service: formats and mounts devices through the Mounter port. It needs no cloud credentials: the
 * device is found by its by-id link and its identity is checked before anything touches it.
 */
export class NodeService {
  private readonly mounter: Mounter;
  private readonly devices: DeviceResolver;
  private readonly ops = new InflightOperations();

  constructor(private readonly options: NodeOptions) {
    this.mounter = options.mounter;
    this.devices = options.devices;
  }

  /** Waits for running operations (graceful shutdown). */
  drain(): Promise<void> {
    return this.ops.drain();
  }

  /** Operations running now (metrics). */
  inflight(): number {
    return this.ops.runningKeys().length;
  }

  async NodeGetCapabilities(): Promise<csi.NodeGetCapabilitiesResponse> {
    return { capabilities: NODE_CAPABILITIES.map((type) => ({ rpc: { type }, type: 'rpc' })) };
  }

  async NodeGetInfo(): Promise<csi.NodeGetInfoResponse> {
    const { nodeId, zone, instanceClass } = this.options.identity;
    return {
      node_id: nodeId,
      max_volumes_per_node: String(this.options.maxVolumesPerNode),
      accessible_topology: { segments: nodeTopology(zone, instanceClass, this.options.keys, this.options.catalog) },
    };
  }

  async NodeStageVolume(req: csi.NodeStageVolumeRequest, ctx: CallContext = {}): Promise<csi.NodeStageVolumeResponse> {
    const rpc = 'NodeStageVolume';
    const volumeId = requireField(req.volume_id, 'volume_id', rpc);
    const staging = requirePath(req.staging_target_path, 'staging_target_path', rpc);
    const cap = validateCapability(req.volume_capability, 'volume_capability', rpc);
    this.requireKnownVolumeId(volumeId, rpc);
    return this.ops.run({ key: `stage:${volumeId}:${staging}`, resources: [volumeId], signal: ctx.signal }, async () => {
      const device = await this.devices.resolve(volumeId, { signal: ctx.signal });
      // Block volumes are staged by proving the device is there; the device file is bind-mounted at publish.
      if (isBlock(cap)) return {};
      const explicitFs = cap.mount?.fs_type ?? '';
      const wantedFs = pickFsType(explicitFs, req.volume_context[CONTEXT_FS_TYPE]);
      const flags = cap.mount?.mount_flags ?? [];

      // Idempotent: already staged here from this device is OK; another device or file system is a conflict.
      const existing = await this.mounter.findMount(staging);
      if (existing !== undefined) {
        await this.requireSameDevice(existing, device, staging, rpc);
        if (explicitFs !== '' && existing.fsType !== explicitFs) {
          throw new CsiError('ALREADY_EXISTS', `${rpc}: volume ${volumeId} is already staged at ${staging} as ${existing.fsType}, not ${explicitFs}`);
        }
        return {};
      }
      await this.mounter.makeDir(staging);
      // Crash safety of formatting: a marker beside the mount point says "this driver was formatting this device".
      // Found on a later stage, it means mkfs was interrupted: the half-written file system holds no user data (the
      // device was blank and never mounted), so its signatures are wiped and the format runs again.
      const marker = posix.join(staging, FORMAT_MARKER);
      let probe = await this.mounter.probe(device.devicePath);
      if ((await this.mounter.pathKind(marker)) === 'file' && probe.kind !== 'blank') {
        await this.mounter.wipeSignatures(device.devicePath);
        probe = { kind: 'blank' };
      }
      let fsType: string = wantedFs;
      switch (probe.kind) {
        case 'blank':
          await this.mounter.makeFile(marker);
          await this.mounter.format(device.devicePath, wantedFs);
          await this.mounter.removePath(marker);
          break;
        case 'filesystem':
          // Never reformat a device that carries data: use its file system, unless the request insists on another.
          if (explicitFs !== '' && probe.fsType !== explicitFs) {
            throw new CsiError(
              'FAILED_PRECONDITION',
              `${rpc}: volume ${volumeId} already holds a ${probe.fsType} file system, not the requested ${explicitFs}; it is never reformatted — request fsType ${probe.fsType} or use a new volume`,
            );
          }
          fsType = probe.fsType;
          break;
        case 'partitioned':
          throw new CsiError('FAILED_PRECONDITION', `${rpc}: volume ${volumeId} holds a ${probe.tableType} partition table; refusing to format or mount it as a file system`);
        case 'unknown-data':
          throw new CsiError('FAILED_PRECONDITION', `${rpc}: volume ${volumeId} holds data this driver does not recognise (${probe.detail}); refusing to format it`);
      }
      await this.mounter.mount(device.devicePath, staging, fsType, flags);
      // A volume restored or cloned into a larger disk carries its source's smaller file system; the spec has the
      // plugin grow it before publishing. Best effort: a failure leaves a working volume NodeExpandVolume can grow.
      if (probe.kind === 'filesystem') await this.growToDevice(volumeId, device.devicePath, staging, fsType);
      return {};
    });
  }

  /** Grows the file system mounted at `path` when the device is clearly larger (metadata takes a few percent). */
  private async growToDevice(volumeId: string, device: string, path: string, fsType: string): Promise<void> {
    if (!(SUPPORTED_FS_TYPES as readonly string[]).includes(fsType)) return;
    try {
      const [deviceBytes, stats] = await Promise.all([this.mounter.blockDeviceSizeBytes(device), this.mounter.filesystemStats(path)]);
      if (stats.totalBytes >= deviceBytes * GROW_THRESHOLD) return;
      await this.mounter.resizeFilesystem(device, path, fsType as FsType);
    } catch (err) {
      this.options.logger?.warn({ volumeId, err: (err as Error).message }, 'could not grow the file system to the disk size at stage; NodeExpandVolume can grow it later');
    }
  }

  async NodeUnstageVolume(req: csi.NodeUnstageVolumeRequest, ctx: CallContext = {}): Promise<csi.NodeUnstageVolumeResponse> {
    const rpc = 'NodeUnstageVolume';
    const volumeId = requireField(req.volume_id, 'volume_id', rpc);
    const staging = requirePath(req.staging_target_path, 'staging_target_path', rpc);
    // Not staged (or already unstaged) is success; the CO removes the staging directory itself.
    return this.ops.run({ key: `unstage:${volumeId}:${staging}`, resources: [volumeId], signal: ctx.signal }, async () => {
      await this.unmountAll(staging);
      return {};
    });
  }

  async NodePublishVolume(req: csi.NodePublishVolumeRequest, ctx: CallContext = {}): Promise<csi.NodePublishVolumeResponse> {
    const rpc = 'NodePublishVolume';
    const volumeId = requireField(req.volume_id, 'volume_id', rpc);
    const target = requirePath(req.target_path, 'target_path', rpc);
    const cap = validateCapability(req.volume_capability, 'volume_capability', rpc);
    if (req.staging_target_path === '') {
      throw new CsiError('FAILED_PRECONDITION', `${rpc}: staging_target_path is required because this driver stages volumes (STAGE_UNSTAGE_VOLUME)`);
    }
    const staging = requirePath(req.staging_target_path, 'staging_target_path', rpc);
    this.requireKnownVolumeId(volumeId, rpc);
    return this.ops.run({ key: `publish:${volumeId}:${target}`, resources: [`${volumeId}:${target}`], signal: ctx.signal }, async () => {
      let source: string;
      let sourceDevice: string | undefined;
      if (isBlock(cap)) {
        const device = await this.devices.resolve(volumeId, { signal: ctx.signal });
        source = device.devicePath;
        sourceDevice = await this.mounter.deviceNumberOf(device.devicePath);
      } else {
        const staged = await this.mounter.findMount(staging);
        if (staged === undefined) {
          throw new CsiError('FAILED_PRECONDITION', `${rpc}: volume ${volumeId} is not staged at ${staging}; NodeStageVolume must succeed first`);
        }
        source = staging;
        sourceDevice = staged.majorMinor;
      }
      // Idempotent: the same volume already published here with the same read-only flag is OK.
      const existing = await this.mounter.findMount(target);
      if (existing !== undefined) {
        const same = isBlock(cap) ? (await this.mounter.deviceNumberOf(target)) === sourceDevice : existing.majorMinor === sourceDevice;
        if (!same || existing.readonly !== req.readonly) {
          throw new CsiError('ALREADY_EXISTS', `${rpc}: ${target} is already published with different ${same ? 'read-only setting' : 'volume'}; unpublish it first`);
        }
        return {};
      }
      if (isBlock(cap)) await this.mounter.makeFile(target);
      else await this.mounter.makeDir(target);
      await this.mounter.bindMount(source, target, { readonly: req.readonly });
      return {};
    });
  }

  async NodeUnpublishVolume(req: csi.NodeUnpublishVolumeRequest, ctx: CallContext = {}): Promise<csi.NodeUnpublishVolumeResponse> {
    const rpc = 'NodeUnpublishVolume';
    const volumeId = requireField(req.volume_id, 'volume_id', rpc);
    const target = requirePath(req.target_path, 'target_path', rpc);
    // Unpublishing what is not published is success; the target we created is removed (spec).
    return this.ops.run({ key: `unpublish:${volumeId}:${target}`, resources: [`${volumeId}:${target}`], signal: ctx.signal }, async () => {
      await this.unmountAll(target);
      await this.mounter.removePath(target);
      return {};
    });
  }

  async NodeGetVolumeStats(req: csi.NodeGetVolumeStatsRequest): Promise<csi.NodeGetVolumeStatsResponse> {
    const rpc = 'NodeGetVolumeStats';
    const volumeId = requireField(req.volume_id, 'volume_id', rpc);
    const path = requireField(req.volume_path, 'volume_path', rpc);
    if (!VOLUME_ID.test(volumeId) || !path.startsWith('/')) throw new CsiError('NOT_FOUND', `${rpc}: volume ${volumeId} is not mounted at ${path}`);
    requirePath(path, 'volume_path', rpc);
    const kind = await this.mounter.pathKind(path);
    if (kind === 'missing') throw new CsiError('NOT_FOUND', `${rpc}: volume ${volumeId} is not mounted at ${path} (the path does not exist)`);
    if (kind === 'unreachable') {
      return { usage: [], volume_condition: { abnormal: true, message: `the mount of volume ${volumeId} at ${path} is unreachable (I/O error); the device may be gone` } };
    }
    const mount = await this.mounter.findMount(path);
    if (mount === undefined) throw new CsiError('NOT_FOUND', `${rpc}: volume ${volumeId} is not mounted at ${path}`);
    const condition = await this.condition(volumeId, path, kind === 'file' || kind === 'block' ? await this.mounter.deviceNumberOf(path) : mount.majorMinor);
    if (kind === 'file' || kind === 'block') {
      const total = await this.mounter.blockDeviceSizeBytes(path);
      return { usage: [{ total: String(total), available: '0', used: '0', unit: 'BYTES' }], volume_condition: condition };
    }
    const stats = await this.mounter.filesystemStats(path);
    return {
      usage: [
        { total: String(stats.totalBytes), available: String(stats.availableBytes), used: String(stats.usedBytes), unit: 'BYTES' },
        { total: String(stats.totalInodes), available: String(stats.freeInodes), used: String(stats.usedInodes), unit: 'INODES' },
      ],
      volume_condition: condition,
    };
  }

  async NodeExpandVolume(req: csi.NodeExpandVolumeRequest, ctx: CallContext = {}): Promise<csi.NodeExpandVolumeResponse> {
    const rpc = 'NodeExpandVolume';
    const volumeId = requireField(req.volume_id, 'volume_id', rpc);
    const path = requireField(req.volume_path, 'volume_path', rpc);
    if (req.volume_capability !== null) validateCapability(req.volume_capability, 'volume_capability', rpc);
    const range = toByteRange(req.capacity_range);
    if (!VOLUME_ID.test(volumeId) || !path.startsWith('/')) throw new CsiError('NOT_FOUND', `${rpc}: volume ${volumeId} is not mounted at ${path}`);
    requirePath(path, 'volume_path', rpc);
    const kind = await this.mounter.pathKind(path);
    if (kind === 'missing') throw new CsiError('NOT_FOUND', `${rpc}: volume ${volumeId} is not mounted at ${path}`);
    return this.ops.run({ key: `node-expand:${volumeId}`, resources: [`expand:${volumeId}`], signal: ctx.signal }, async () => {
      const device = await this.devices.resolve(volumeId, { signal: ctx.signal, waitTimeoutMs: 0 });
      const deviceBytes = await this.mounter.blockDeviceSizeBytes(device.devicePath);
      if (range !== undefined && range.requiredBytes > 0 && deviceBytes < range.requiredBytes) {
        throw new CsiError('UNAVAILABLE', `${rpc}: the device of volume ${volumeId} is ${deviceBytes} bytes, not yet the requested ${range.requiredBytes}; retry once the cloud resize reaches the node`);
      }
      // A raw block volume has no file system to grow.
      if (kind === 'file' || kind === 'block' || isBlock(req.volume_capability)) return { capacity_bytes: String(deviceBytes) };
      const mount = await this.mounter.findMount(path);
      if (mount === undefined) throw new CsiError('NOT_FOUND', `${rpc}: volume ${volumeId} is not mounted at ${path}`);
      await this.requireSameDevice(mount, device, path, rpc);
      if (!(SUPPORTED_FS_TYPES as readonly string[]).includes(mount.fsType)) {
        throw new CsiError('FAILED_PRECONDITION', `${rpc}: volume ${volumeId} holds ${mount.fsType}, which this driver cannot grow`);
      }
      await this.mounter.resizeFilesystem(device.devicePath, path, mount.fsType as FsType);
      // Verify: the file system must now span (nearly) the whole device; metadata takes the rest.
      const stats = await this.mounter.filesystemStats(path);
      if (range !== undefined && range.requiredBytes > 0 && stats.totalBytes < range.requiredBytes * 0.9) {
        throw new CsiError('INTERNAL', `${rpc}: after growing, the file system of volume ${volumeId} is ${stats.totalBytes} bytes, short of the requested ${range.requiredBytes}`);
      }
      return { capacity_bytes: String(deviceBytes) };
    });
  }

  private requireKnownVolumeId(volumeId: string, rpc: string): void {
    if (!VOLUME_ID.test(volumeId)) throw new CsiError('NOT_FOUND', `${rpc}: volume ${volumeId} is not a QingCloud volume id`);
  }

  private async requireSameDevice(mount: MountPoint, device: ResolvedDevice, path: string, rpc: string): Promise<void> {
    const number = await this.mounter.deviceNumberOf(device.devicePath);
    if (number !== undefined && mount.majorMinor !== number) {
      throw new CsiError('ALREADY_EXISTS', `${rpc}: ${path} already has another device mounted (${mount.source}), not volume ${device.volumeId}`);
    }
  }

  private async unmountAll(path: string): Promise<void> {
    // Stacked mounts (a retry after a partial failure) are all removed; bounded so a bad state cannot loop forever.
    for (let i = 0; i < 8; i++) {
      if ((await this.mounter.findMount(path)) === undefined) return;
      await this.mounter.unmount(path);
    }
    throw new MountError('Busy', `${path} still has mounts after 8 unmounts; check what keeps mounting it`);
  }

  private async condition(volumeId: string, path: string, mountedDevice: string | undefined): Promise<csi.VolumeCondition> {
    try {
      const device = await this.devices.resolve(volumeId, { waitTimeoutMs: 0 });
      const number = await this.mounter.deviceNumberOf(device.devicePath);
      if (number !== undefined && mountedDevice !== undefined && number !== mountedDevice) {
        return { abnormal: true, message: `${path} is not backed by the device of volume ${volumeId}` };
      }
      return { abnormal: false, message: `volume ${volumeId} is healthy` };
    } catch (err) {
      return { abnormal: true, message: `the device of volume ${volumeId} is gone or unusable: ${(err as Error).message}` };
    }
  }
}

function pickFsType(explicit: string, fromContext: string | undefined): FsType {
  for (const candidate of [explicit, fromContext ?? '']) {
    if ((SUPPORTED_FS_TYPES as readonly string[]).includes(candidate)) return candidate as FsType;
  }
  return 'ext4';
}

/**
 * A host path from the request, checked before anything (device lookup, mount, mkdir, rm) runs: absolute, normalised,
 * without ".." or NUL. The Mounter checks again; checking here makes a bad path INVALID_ARGUMENT whatever the volume.
 */
function requirePath(value: string, field: string, rpc: string): string {
  const path = requireField(value, field, rpc);
  try {
    validateHostPath(path, field);
  } catch (err) {
    throw new CsiError('INVALID_ARGUMENT', `${rpc}: ${messageOf(err)}`, { cause: err });
  }
  return path;
}
