import { posix } from 'node:path';
import { MountError } from './mount-error.js';

/** Filesystems the node formats and grows. */
export const SUPPORTED_FS_TYPES = ['ext4', 'ext3', 'xfs'] as const;

/** A filesystem type the node formats and grows. */
export type FsType = (typeof SUPPORTED_FS_TYPES)[number];

const MAX_PATH_BYTES = 4096;
const MAX_MOUNT_OPTIONS_BYTES = 4096;
const DEVICE_PATH = /^\/dev\/[A-Za-z0-9_.:+-]+(\/[A-Za-z0-9_.:+-]+)*$/;
const FS_TYPE_NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/;
const LABEL = /^[A-Za-z0-9_.-]+$/;
/** Options that change what `mount` does rather than how the filesystem behaves. */
const OPERATION_OPTIONS = new Set(['bind', 'rbind', 'move', 'remount']);
// Bytes each tool accepts in a label: e2fsprogs truncates at 16, mkfs.xfs refuses more than 12.
const MAX_LABEL_BYTES: Readonly<Record<FsType, number>> = { ext4: 16, ext3: 16, xfs: 12 };

function invalid(message: string): MountError {
  return new MountError('InvalidArgument', message);
}

/** Throws InvalidArgument unless `path` is an absolute, normalised host path other than "/" without NUL or "..". */
export function validateHostPath(path: string, what: string): void {
  if (typeof path !== 'string' || path === '') throw invalid(`${what} is empty; pass an absolute path`);
  if (path.includes('\0')) throw invalid(`${what} contains a NUL byte; pass a plain absolute path`);
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw invalid(`${what} is longer than ${MAX_PATH_BYTES} bytes`);
  if (!path.startsWith('/')) throw invalid(`${what} "${path}" is not absolute; pass an absolute path`);
  if (path.split('/').includes('..')) throw invalid(`${what} "${path}" contains a ".." segment; pass a resolved path`);
  if (posix.normalize(path) !== path || (path.length > 1 && path.endsWith('/'))) {
    throw invalid(`${what} "${path}" is not normalised (repeated "/", "." segment or trailing "/"); pass ${posix.normalize(path).replace(/(.)\/$/, '$1')}`);
  }
  if (path === '/') throw invalid(`${what} is "/"; refusing to operate on the root directory`);
}

/** Throws InvalidArgument unless `path` is a plain device path under /dev (validated before any tool sees it). */
export function validateDevicePath(path: string): void {
  validateHostPath(path, 'device path');
  if (!DEVICE_PATH.test(path)) {
    throw invalid(`device path "${path}" is not a device under /dev made of letters, digits and "_.:+-"; resolve the volume's device first`);
  }
}

/** Narrows `fsType` to a supported filesystem, else throws InvalidArgument naming the supported ones. */
export function validateFsType(fsType: string): FsType {
  if ((SUPPORTED_FS_TYPES as readonly string[]).includes(fsType)) return fsType as FsType;
  throw invalid(`filesystem type "${String(fsType)}" is not supported; use one of ${SUPPORTED_FS_TYPES.join(', ')}`);
}

/** Throws InvalidArgument unless `fsType` looks like a kernel filesystem name (used for `mount -t`). */
export function validateFsTypeName(fsType: string): void {
  if (typeof fsType !== 'string' || !FS_TYPE_NAME.test(fsType)) {
    throw invalid(`filesystem type "${String(fsType)}" is not a valid filesystem name; use e.g. ext4 or xfs`);
  }
}

/** Throws InvalidArgument unless `label` fits the filesystem's label rules. */
export function validateLabel(label: string, fsType: FsType): void {
  const max = MAX_LABEL_BYTES[fsType];
  if (!LABEL.test(label) || Buffer.byteLength(label) > max) {
    throw invalid(`filesystem label "${label}" is invalid for ${fsType}; use 1-${max} characters of letters, digits and "_.-"`);
  }
}

/**
 * Throws InvalidArgument unless every mount option is non-empty and free of control characters.
 * Mount flags are sensitive (CSI), so the message names the option's position, never its value.
 */
export function validateMountOptions(options: readonly string[]): void {
  let total = 0;
  options.forEach((option, index) => {
    // eslint-disable-next-line no-control-regex
    if (typeof option !== 'string' || option === '' || /[\x00-\x1f\x7f]/.test(option)) {
      throw invalid(`mount option #${index + 1} is empty or contains a control character; fix the volume's mount options`);
    }
    if (OPERATION_OPTIONS.has(option)) {
      throw invalid(`mount option #${index + 1} turns the mount into a bind, move or remount; remove it from the volume's mount options`);
    }
    total += Buffer.byteLength(option) + 1;
  });
  if (total > MAX_MOUNT_OPTIONS_BYTES) {
    throw invalid(`mount options are longer than ${MAX_MOUNT_OPTIONS_BYTES} bytes; shorten the volume's mount options`);
  }
}
