import { describe, expect, it } from 'vitest';
import { decodeMountInfoField, parseMountInfo, topmostMountAt } from '../../../../src/csi/mount/mountinfo.js';
import { MountError } from '../../../../src/csi/mount/mount-error.js';

const FIXTURE = [
  '22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro',
  '23 22 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,size=4000k,nr_inodes=1000,mode=755',
  '120 22 253:16 / /var/lib/kubelet/plugins/kubernetes.io/csi/disk.csi.qingcloud.com/abc/globalmount rw,noatime shared:60 master:3 - ext4 /dev/vdb rw,discard',
  '121 22 253:16 / /var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/pvc-1/mount ro,noatime shared:60 - ext4 /dev/vdb rw,discard',
  '130 22 7:3 /data\\040dir /mnt/with\\040space\\011tab ro - xfs /dev/loop3 rw,attr2,inode64',
  '131 22 0:5 /loop3 /var/lib/kubelet/plugins/kubernetes.io/csi/volumeDevices/publish/pvc-2/dev rw,relatime - devtmpfs udev rw,size=4000k',
  '140 22 0:48 / /mnt/back\\134slash rw - tmpfs none rw',
  '',
].join('\n');

describe('parseMountInfo', () => {
  it('parses every field of a line with one optional field', () => {
    const [root] = parseMountInfo(FIXTURE);
    expect(root).toEqual({
      mountId: 22,
      parentId: 1,
      majorMinor: '254:1',
      root: '/',
      mountPoint: '/',
      mountOptions: ['rw', 'relatime'],
      readonly: false,
      optionalFields: ['shared:1'],
      fsType: 'ext4',
      source: '/dev/vda1',
      superOptions: ['rw', 'errors=remount-ro'],
    });
  });

  it('keeps several optional fields and tells ro from rw by the per-mount options', () => {
    const entries = parseMountInfo(FIXTURE);
    expect(entries[2]!.optionalFields).toEqual(['shared:60', 'master:3']);
    expect(entries[2]!.readonly).toBe(false);
    expect(entries[3]!.readonly).toBe(true);
    expect(entries[3]!.superOptions).toEqual(['rw', 'discard']);
  });

  it('parses a line without optional fields', () => {
    const entry = parseMountInfo(FIXTURE)[4]!;
    expect(entry.optionalFields).toEqual([]);
    expect(entry.fsType).toBe('xfs');
    expect(entry.source).toBe('/dev/loop3');
  });

  it('decodes octal escapes in root and mount point', () => {
    const entries = parseMountInfo(FIXTURE);
    expect(entries[4]!.root).toBe('/data dir');
    expect(entries[4]!.mountPoint).toBe('/mnt/with space\ttab');
    expect(entries[6]!.mountPoint).toBe('/mnt/back\\slash');
  });

  it('shows a device file bind-mounted onto a file as devtmpfs with the device name as root', () => {
    const entry = parseMountInfo(FIXTURE)[5]!;
    expect(entry).toMatchObject({ majorMinor: '0:5', root: '/loop3', fsType: 'devtmpfs' });
  });

  it('ignores blank lines and returns nothing for empty text', () => {
    expect(parseMountInfo('\n\n')).toEqual([]);
    expect(parseMountInfo(FIXTURE)).toHaveLength(7);
  });

  it.each([
    ['no separator', '22 1 254:1 / / rw shared:1 ext4 /dev/vda1 rw'],
    ['too few fields', '22 1 254:1 / /'],
    ['a non-numeric id', 'x 1 254:1 / / rw - ext4 /dev/vda1 rw'],
    ['a bad major:minor', '22 1 254 / / rw - ext4 /dev/vda1 rw'],
  ])('throws an Internal MountError naming the line on %s', (_name, line) => {
    const text = `${FIXTURE}${line}\n`;
    expect(() => parseMountInfo(text)).toThrow(MountError);
    expect(() => parseMountInfo(text)).toThrow(/mountinfo line 8/);
  });
});

describe('decodeMountInfoField', () => {
  it('decodes space, tab, newline and backslash escapes and leaves other text alone', () => {
    expect(decodeMountInfoField('a\\040b\\011c\\012d\\134e')).toBe('a b\tc\nd\\e');
    expect(decodeMountInfoField('/plain/path')).toBe('/plain/path');
  });
});

describe('topmostMountAt', () => {
  it('returns the mount stacked on top, whatever the line order', () => {
    const text = [
      '22 1 254:1 / / rw - ext4 /dev/vda1 rw',
      '51 50 7:1 / /mnt/x rw - ext4 /dev/loop1 rw',
      '50 22 7:0 / /mnt/x rw - ext4 /dev/loop0 rw',
    ].join('\n');
    expect(topmostMountAt(parseMountInfo(text), '/mnt/x')?.source).toBe('/dev/loop1');
  });

  it('returns undefined for a path that is not a mount point', () => {
    expect(topmostMountAt(parseMountInfo(FIXTURE), '/var/lib')).toBeUndefined();
  });
});
