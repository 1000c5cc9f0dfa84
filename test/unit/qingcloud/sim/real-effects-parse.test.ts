import { describe, expect, it } from 'vitest';
import { findDeviceMounts, parseIpLinks, parseLosetupList, parseMountinfo, parseNetnsList } from '../../../../src/qingcloud/sim/real-effects-parse.js';

const MOUNTINFO = [
  '22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
  '98 22 7:3 / /mnt/staging rw,relatime shared:50 - ext4 /dev/loop3 rw',
  '99 22 7:3 / /var/lib/kubelet/pods/a\\040b/volumes rw,relatime shared:50 - ext4 /dev/loop3 rw',
  '100 22 0:55 / /mnt/btrfs rw,relatime shared:51 - btrfs /dev/loop4 rw,space_cache',
  '101 22 7:30 / /mnt/other rw,relatime shared:52 - ext4 /dev/loop30 rw',
  'garbage line without separator',
].join('\n');

describe('mountinfo matching', () => {
  it('parses device numbers, mount points (unescaped) and sources', () => {
    const entries = parseMountinfo(MOUNTINFO);
    expect(entries).toHaveLength(5);
    expect(entries[2]).toEqual({ majorMinor: '7:3', mountPoint: '/var/lib/kubelet/pods/a b/volumes', source: '/dev/loop3' });
  });

  it('finds every mount of a device by major:minor', () => {
    expect(findDeviceMounts(MOUNTINFO, { majorMinor: '7:3', path: '/dev/loop3' })).toEqual([
      '/mnt/staging',
      '/var/lib/kubelet/pods/a b/volumes',
    ]);
  });

  it('does not confuse loop3 with loop30', () => {
    expect(findDeviceMounts(MOUNTINFO, { majorMinor: '7:30', path: '/dev/loop30' })).toEqual(['/mnt/other']);
  });

  it('finds a mount whose file system reports an anonymous device number by its source', () => {
    expect(findDeviceMounts(MOUNTINFO, { majorMinor: '7:4', path: '/dev/loop4' })).toEqual(['/mnt/btrfs']);
  });

  it('finds nothing for a device that is not mounted', () => {
    expect(findDeviceMounts(MOUNTINFO, { majorMinor: '7:5', path: '/dev/loop5' })).toEqual([]);
  });
});

describe('command output parsing', () => {
  it('reads loop devices and strips the "(deleted)" marker of unlinked backing files', () => {
    const json = JSON.stringify({
      loopdevices: [
        { name: '/dev/loop0', 'back-file': '/data/volumes/vol-abc12345.img' },
        { name: '/dev/loop1', 'back-file': '/data/volumes/vol-def12345.img (deleted)' },
      ],
    });
    expect(parseLosetupList(json)).toEqual([
      { name: '/dev/loop0', backFile: '/data/volumes/vol-abc12345.img' },
      { name: '/dev/loop1', backFile: '/data/volumes/vol-def12345.img' },
    ]);
  });

  it('treats empty output as nothing listed (losetup and ip print nothing rather than [])', () => {
    expect(parseLosetupList('')).toEqual([]);
    expect(parseNetnsList('\n')).toEqual([]);
    expect(parseIpLinks('')).toEqual([]);
  });

  it('reads links with MAC, kind, bridge master and up flag', () => {
    const json = JSON.stringify([
      { ifname: 'lo', address: '00:00:00:00:00:00', flags: ['LOOPBACK', 'UP'] },
      { ifname: 'v01020304', address: '52:54:01:02:03:04', flags: ['BROADCAST', 'UP'], master: 'br-a', linkinfo: { info_kind: 'veth' } },
      { ifname: 'br-a', address: 'AA:BB:CC:DD:EE:FF', flags: ['BROADCAST'], linkinfo: { info_kind: 'bridge' } },
    ]);
    expect(parseIpLinks(json)).toEqual([
      { ifname: 'lo', address: '00:00:00:00:00:00', kind: undefined, master: undefined, up: true },
      { ifname: 'v01020304', address: '52:54:01:02:03:04', kind: 'veth', master: 'br-a', up: true },
      { ifname: 'br-a', address: 'aa:bb:cc:dd:ee:ff', kind: 'bridge', master: undefined, up: false },
    ]);
  });

  it('reads namespace names with or without ids', () => {
    expect(parseNetnsList('[{"name":"a","id":0},{"name":"b"}]')).toEqual(['a', 'b']);
  });

  it('fails with a clear error on output that is not JSON', () => {
    expect(() => parseNetnsList('a (id: 0)')).toThrow(/could not parse the JSON output of ip -json netns list/);
  });
});
