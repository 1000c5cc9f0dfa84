import { describe, expect, it } from 'vitest';
import { isMountError } from '../../../../src/csi/mount/mount-error.js';
import {
  validateDevicePath,
  validateFsType,
  validateFsTypeName,
  validateHostPath,
  validateLabel,
  validateMountOptions,
} from '../../../../src/csi/mount/paths.js';

function errorOf(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('validateHostPath', () => {
  it.each(['/var/lib/kubelet/pods/x/mount', '/a', '/tmp/with space'])('accepts %s', (path) => {
    expect(() => validateHostPath(path, 'target')).not.toThrow();
  });

  it.each([
    ['empty', '', /empty/],
    ['relative', 'var/lib', /not absolute/],
    ['NUL', '/var/\0lib', /NUL/],
    ['dot-dot', '/var/../etc', /"\.\."/],
    ['trailing slash', '/var/lib/', /not normalised/],
    ['double slash', '/var//lib', /not normalised/],
    ['dot segment', '/var/./lib', /not normalised/],
    ['root', '/', /root directory/],
  ])('rejects a %s path with InvalidArgument', (_name, path, message) => {
    const err = errorOf(() => validateHostPath(path, 'target'));
    expect(isMountError(err, 'InvalidArgument')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });
});

describe('validateDevicePath', () => {
  it.each(['/dev/vdc', '/dev/loop12', '/dev/disk/by-id/virtio-vol-abcd1234', '/dev/mapper/vg-lv_1'])('accepts %s', (path) => {
    expect(() => validateDevicePath(path)).not.toThrow();
  });

  it.each(['/tmp/vdc', '/dev', '/dev/vd c', '/dev/$(reboot)', '/dev/../etc/passwd', '/devx/vdc'])('rejects %s', (path) => {
    expect(isMountError(errorOf(() => validateDevicePath(path)), 'InvalidArgument')).toBe(true);
  });
});

describe('filesystem names and labels', () => {
  it('narrows the supported filesystems and rejects others naming the supported ones', () => {
    expect(validateFsType('xfs')).toBe('xfs');
    expect(() => validateFsType('btrfs')).toThrow(/use one of ext4, ext3, xfs/);
  });

  it('accepts kernel filesystem names for mount -t and rejects option-like ones', () => {
    expect(() => validateFsTypeName('ext4')).not.toThrow();
    expect(() => validateFsTypeName('-o')).toThrow(/not a valid filesystem name/);
    expect(() => validateFsTypeName('ext4,bind')).toThrow(/not a valid filesystem name/);
  });

  it('limits labels to what each mkfs accepts', () => {
    expect(() => validateLabel('pvc-1234567890ab', 'ext4')).not.toThrow();
    expect(() => validateLabel('pvc-1234567890ab', 'xfs')).toThrow(/1-12 characters/);
    expect(() => validateLabel('has space', 'ext4')).toThrow(/invalid for ext4/);
  });
});

describe('validateMountOptions', () => {
  it('accepts ordinary options', () => {
    expect(() => validateMountOptions(['noatime', 'discard', 'data=ordered'])).not.toThrow();
  });

  it('rejects an empty option or one with a control character without echoing its value', () => {
    const err = errorOf(() => validateMountOptions(['noatime', 'secret=hunter2\n']));
    expect(isMountError(err, 'InvalidArgument')).toBe(true);
    expect((err as Error).message).toContain('#2');
    expect((err as Error).message).not.toContain('hunter2');
    expect(() => validateMountOptions([''])).toThrow(/#1/);
  });

  it('rejects options that would turn the mount into a bind, move or remount', () => {
    expect(() => validateMountOptions(['noatime', 'remount'])).toThrow(/#2 turns the mount into a bind, move or remount/);
    expect(() => validateMountOptions(['bind'])).toThrow(/#1/);
  });

  it('rejects options longer than 4 KiB in total', () => {
    expect(() => validateMountOptions(['a'.repeat(5000)])).toThrow(/4096 bytes/);
  });
});
