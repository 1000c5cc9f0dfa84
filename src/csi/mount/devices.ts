import * as nodeFs from 'node:fs/promises';
import { posix } from 'node:path';
import { backoffDelay, type BackoffOptions } from '../../shared/backoff.js';
import type { Clock } from '../../shared/clock.js';
import { isErrno, messageOf } from '../../shared/errors.js';
import { silentLogger, type Logger } from '../../shared/log.js';
import { MountError } from './mount-error.js';
import { validateDevicePath, validateHostPath } from './paths.js';

/** The shape of a QingCloud volume id. */
export const VOLUME_ID_PATTERN = /^vol-[a-z0-9]{8}$/;

/** virtio-blk truncates serials to this many bytes (VIRTIO_BLK_ID_BYTES). */
const VIRTIO_SERIAL_BYTES = 20;

/** Throws MountError(InvalidArgument) unless `volumeId` looks like "vol-xxxxxxxx". */
export function validateVolumeId(volumeId: string): void {
  if (typeof volumeId !== 'string' || !VOLUME_ID_PATTERN.test(volumeId)) {
    throw new MountError('InvalidArgument', `volume id "${String(volumeId)}" is not a QingCloud volume id; expected vol- followed by 8 lowercase letters or digits`);
  }
}

/** The filesystem reads device resolution needs (a port so waits and identities are testable). */
export interface DeviceLookupFs {
  /** The canonical path `path` resolves to; undefined when it (or its target) does not exist. */
  realpath(path: string): Promise<string | undefined>;
  /** The text of a (sysfs) file; undefined when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** True when `path` is a block device (symlinks followed); false when missing or anything else. */
  isBlockDevice(path: string): Promise<boolean>;
}

function missingToUndefined(err: unknown): undefined {
  if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
  throw err;
}

/** The real DeviceLookupFs over node:fs. */
export const nodeDeviceLookupFs: DeviceLookupFs = {
  realpath: (path) => nodeFs.realpath(path).catch(missingToUndefined),
  readText: (path) => nodeFs.readFile(path, 'utf8').catch(missingToUndefined),
  isBlockDevice: async (path) => {
    try {
      return (await nodeFs.stat(path)).isBlockDevice();
    } catch (err) {
      missingToUndefined(err);
      return false;
    }
  },
};

/** How a resolved device was shown to be the volume. */
export type DeviceIdentity = 'virtio-serial' | 'loop-backing-file' | 'unverified';

/** A volume's block device on this node. */
export interface ResolvedDevice {
  volumeId: string;
  /** The by-id link, e.g. /dev/disk/by-id/virtio-vol-abcd1234. */
  linkPath: string;
  /** The canonical device, e.g. /dev/vdc. */
  devicePath: string;
  identity: DeviceIdentity;
}

/** Construction options of DeviceResolver. */
export interface DeviceResolverOptions {
  clock: Clock;
  fs?: DeviceLookupFs;
  logger?: Logger;
  /** Where `virtio-<volume_id>` links appear. Default /dev/disk/by-id (the simulator gives each instance its own). */
  deviceDir?: string;
  /** Default /sys/class/block. */
  sysBlockDir?: string;
  /** How long to wait for the link after attach; udev usually needs well under a second. Default 10 s. */
  waitTimeoutMs?: number;
  /** First poll interval; doubles up to 1 s. Default 100 ms. */
  pollIntervalMs?: number;
  /** Accept a device whose identity cannot be checked (no serial, not a loop device). Default false. */
  allowUnverifiableDevices?: boolean;
}

/** Per-call options of DeviceResolver.resolve. */
export interface ResolveOptions {
  /** Overrides the resolver's wait; 0 = look once. */
  waitTimeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_WAIT_TIMEOUT_MS = 10_000;
const DEFAULT_POLL_INTERVAL_MS = 100;
const MAX_POLL_INTERVAL_MS = 1_000;

/** Finds an attached volume's block device and proves it is that volume before anything touches it. */
export class DeviceResolver {
  private readonly clock: Clock;
  private readonly fs: DeviceLookupFs;
  private readonly logger: Logger;
  private readonly deviceDir: string;
  private readonly sysBlockDir: string;
  private readonly waitTimeoutMs: number;
  private readonly backoff: BackoffOptions;
  private readonly allowUnverifiable: boolean;

  constructor(options: DeviceResolverOptions) {
    this.clock = options.clock;
    this.fs = options.fs ?? nodeDeviceLookupFs;
    this.logger = options.logger ?? silentLogger();
    this.deviceDir = options.deviceDir ?? '/dev/disk/by-id';
    this.sysBlockDir = options.sysBlockDir ?? '/sys/class/block';
    validateHostPath(this.deviceDir, 'device directory');
    validateHostPath(this.sysBlockDir, 'sysfs block directory');
    this.waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    const initialMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.backoff = { initialMs, maxMs: Math.max(initialMs, MAX_POLL_INTERVAL_MS), factor: 2, jitter: 0 };
    this.allowUnverifiable = options.allowUnverifiableDevices ?? false;
  }

  /** The by-id link path of a volume (not checked for existence). */
  linkPathOf(volumeId: string): string {
    validateVolumeId(volumeId);
    return posix.join(this.deviceDir, `virtio-${volumeId}`);
  }

  /**
   * Waits for the volume's link, resolves it to the block device and verifies the device's identity.
   * Throws Busy when it does not appear in time, FailedPrecondition when the device is another volume or unverifiable.
   */
  async resolve(volumeId: string, options: ResolveOptions = {}): Promise<ResolvedDevice> {
    const linkPath = this.linkPathOf(volumeId);
    const devicePath = await this.waitForLink(linkPath, volumeId, options);
    try {
      validateDevicePath(devicePath);
    } catch (err) {
      throw new MountError('FailedPrecondition', `${linkPath} resolves to ${devicePath}, which is not a device under /dev; refusing to use it`, { cause: err });
    }
    if (!(await this.lookup(() => this.fs.isBlockDevice(devicePath), devicePath))) {
      throw new MountError('FailedPrecondition', `${linkPath} resolves to ${devicePath}, which is not a block device; refusing to use it`);
    }
    const identity = await this.verifyIdentity(volumeId, linkPath, devicePath);
    return { volumeId, linkPath, devicePath, identity };
  }

  private async waitForLink(linkPath: string, volumeId: string, options: ResolveOptions): Promise<string> {
    const waitMs = options.waitTimeoutMs ?? this.waitTimeoutMs;
    const deadline = this.clock.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      const target = await this.lookup(() => this.fs.realpath(linkPath), linkPath);
      if (target !== undefined) return target;
      const left = deadline - this.clock.now();
      if (left <= 0) {
        throw new MountError(
          'Busy',
          `device link ${linkPath} for volume ${volumeId} did not appear within ${waitMs} ms; is the volume attached to this node? Retry once the attach has finished`,
        );
      }
      await this.clock.sleep(Math.min(left, backoffDelay(attempt, this.backoff)), options.signal);
    }
  }

  private async verifyIdentity(volumeId: string, linkPath: string, devicePath: string): Promise<DeviceIdentity> {
    const name = posix.basename(devicePath);
    const serialPath = posix.join(this.sysBlockDir, name, 'serial');
    const serial = await this.lookup(() => this.fs.readText(serialPath), serialPath);
    if (serial !== undefined) {
      // virtio-blk serials are cut at 20 bytes; QingCloud ids are shorter, but compare the prefix the device can hold.
      if (serial.trim() === volumeId.slice(0, VIRTIO_SERIAL_BYTES)) return 'virtio-serial';
      throw new MountError(
        'FailedPrecondition',
        `${linkPath} resolves to ${devicePath} whose serial is "${serial.trim()}", not volume ${volumeId}; refusing to touch another volume's disk, check the attachment of both`,
      );
    }
    const backingPath = posix.join(this.sysBlockDir, name, 'loop', 'backing_file');
    const backing = await this.lookup(() => this.fs.readText(backingPath), backingPath);
    if (backing !== undefined) {
      const file = posix.basename(backing.trim().replace(/ \(deleted\)$/, ''));
      // the simulator names backing files after the volume ("vol-abcd1234.img"); the id must end at a non-id character
      if (file.startsWith(volumeId) && !/^[a-z0-9]/.test(file.slice(volumeId.length))) return 'loop-backing-file';
      throw new MountError(
        'FailedPrecondition',
        `${linkPath} resolves to loop device ${devicePath} backed by "${file}", not volume ${volumeId}; refusing to touch another volume's disk`,
      );
    }
    if (this.allowUnverifiable) {
      this.logger.warn({ volumeId, devicePath }, 'using a device whose identity cannot be verified (allowed by configuration)');
      return 'unverified';
    }
    throw new MountError(
      'FailedPrecondition',
      `cannot verify that ${devicePath} (from ${linkPath}) is volume ${volumeId}: it has neither a serial nor a loop backing file; ` +
        'enable unverifiable devices only if this platform gives disks no serial',
    );
  }

  private async lookup<T>(read: () => Promise<T>, path: string): Promise<T> {
    try {
      return await read();
    } catch (err) {
      throw new MountError('Internal', `cannot read ${path} while resolving a volume device: ${messageOf(err)}`, { cause: err });
    }
  }
}
