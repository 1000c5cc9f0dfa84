import type { FsType } from './paths.js';
import type { MountPoint } from './mountinfo.js';

export type { MountPoint } from './mountinfo.js';
export type { FsType } from './paths.js';

/** What a block device holds, as far as signature probing can tell. */
export type ProbeResult =
  /** No filesystem, partition table or other signature was found: safe to format. */
  | { kind: 'blank' }
  | { kind: 'filesystem'; fsType: string; uuid?: string; label?: string }
  | { kind: 'partitioned'; tableType: string }
  /** A signature that is not a mountable filesystem (LUKS, LVM, RAID member, swap, ambiguous probe). */
  | { kind: 'unknown-data'; detail: string };

/** Options of Mounter.format. */
export interface FormatOptions {
  label?: string;
}

/** Options of Mounter.bindMount. */
export interface BindMountOptions {
  readonly: boolean;
}

/** Usage of the filesystem that holds a path (statfs). */
export interface FilesystemStats {
  totalBytes: number;
  availableBytes: number;
  usedBytes: number;
  totalInodes: number;
  freeInodes: number;
  usedInodes: number;
}

/** What lives at a path (symlinks not followed). "unreachable" = stat failed with EIO/ENOTCONN/ESTALE (a dead mount). */
export type PathKind = 'dir' | 'file' | 'block' | 'symlink' | 'other' | 'missing' | 'unreachable';

/**
 * The node's view of devices, mounts and paths: everything the CSI node service needs, nothing more.
 * Every method validates its paths (absolute, normalised, no ".."; devices under /dev) and throws MountError.
 * Mount options are sensitive: implementations never put them in errors or logs.
 */
export interface Mounter {
  /** The topmost mount whose mount point is exactly `path`, or undefined when `path` is not a mount point. */
  findMount(path: string): Promise<MountPoint | undefined>;
  /** Every mount of the filesystem on `device` (matched by major:minor, so bind mounts of it count too). */
  mountsOfDevice(device: string): Promise<MountPoint[]>;
  /** major:minor of the block device at `path` (symlinks and bind mounts followed); undefined when missing or not a block device. */
  deviceNumberOf(path: string): Promise<string | undefined>;
  /** What `device` holds. Throws NotFound when it does not exist, FailedPrecondition when it is not a block device. */
  probe(device: string): Promise<ProbeResult>;
  /** Creates a filesystem on `device`; refuses (FailedPrecondition) unless probe says blank, so data is never overwritten. */
  format(device: string, fsType: FsType, options?: FormatOptions): Promise<void>;
  /**
   * Erases every file system and partition signature on `device` (wipefs). Only for a device this driver was
   * formatting when it crashed: a half-written file system would otherwise make it look like foreign data forever.
   */
  wipeSignatures(device: string): Promise<void>;
  /** Mounts the filesystem on `source` at the existing directory `target`; FailedPrecondition when `target` is already a mount point. */
  mount(source: string, target: string, fsType: string, options: readonly string[]): Promise<void>;
  /** Bind-mounts `source` (a directory, or a device file onto a file) at `target`, read-only when asked; FailedPrecondition when `target` is already a mount point. */
  bindMount(source: string, target: string, options: BindMountOptions): Promise<void>;
  /** Removes the topmost mount at `target`; OK when nothing is mounted there or `target` is missing; Busy when it is in use. */
  unmount(target: string): Promise<void>;
  /** Grows the filesystem on `device`, mounted at `mountPath`, to fill the device (online). */
  resizeFilesystem(device: string, mountPath: string, fsType: FsType): Promise<void>;
  /** Byte and inode usage of the filesystem holding `path`; NotFound when `path` is missing. */
  filesystemStats(path: string): Promise<FilesystemStats>;
  /** Size in bytes of the block device at `path` (a device node or a file it is bind-mounted on). */
  blockDeviceSizeBytes(path: string): Promise<number>;
  /** Creates directory `path` (its parent must exist); OK when it already is a directory. */
  makeDir(path: string): Promise<void>;
  /** Creates an empty regular file at `path` (its parent must exist); OK when it already is a regular file. */
  makeFile(path: string): Promise<void>;
  /** Removes an empty directory or an empty regular file; OK when missing; never recursive; Busy when `path` is a mount point. */
  removePath(path: string): Promise<void>;
  /** What is at `path`, without following symlinks. */
  pathKind(path: string): Promise<PathKind>;
}
