import { statSync, truncateSync, writeFileSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { mkdir, mkdtemp, readdir, readlink, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RealEffects, SimEffectsError, type RealEffectsFs } from '../../../../src/qingcloud/sim/real-effects.js';
import { RecordingRunner } from './real-effects-fake-runner.js';

const GiB = 1024 ** 3;
const MAC = '52:54:01:02:03:04';

function loopsJson(entries: [name: string, file: string][]): string {
  return JSON.stringify({ loopdevices: entries.map(([name, file]) => ({ name, 'back-file': file })) });
}

interface LinkSpec {
  ifname: string;
  address?: string;
  kind?: string;
  master?: string;
  up?: boolean;
}

function linksJson(entries: LinkSpec[]): string {
  return JSON.stringify(
    entries.map((link) => ({
      ifname: link.ifname,
      address: link.address ?? '00:00:00:00:00:00',
      flags: link.up === true ? ['BROADCAST', 'UP'] : ['BROADCAST'],
      ...(link.master === undefined ? {} : { master: link.master }),
      ...(link.kind === undefined ? {} : { linkinfo: { info_kind: link.kind } }),
    })),
  );
}

/** Stands in for `cp --sparse=always -- <source> <target>`: a sparse file of the source's size. */
function sparseCp(argv: string[]): string {
  const [source, target] = argv.slice(-2) as [string, string];
  writeFileSync(target, '');
  truncateSync(target, statSync(source).size);
  return '';
}

function netnsJson(names: string[]): string {
  return JSON.stringify(names.map((name) => ({ name })));
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<SimEffectsError> {
  const err = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(err).toBeInstanceOf(SimEffectsError);
  expect((err as SimEffectsError).code).toBe(code);
  return err as SimEffectsError;
}

let tmp: string;
let dataDir: string;
let deviceRoot: string;
let runner: RecordingRunner;

function makeEffects(fs?: RealEffectsFs): RealEffects {
  return new RealEffects({ runner, dataDir, deviceRoot, namePrefix: 'ab', ...(fs === undefined ? {} : { fs }) });
}

const volumeFile = (id: string): string => path.join(dataDir, 'volumes', `${id}.img`);
const snapshotFile = (id: string): string => path.join(dataDir, 'snapshots', `${id}.img`);

beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'real-effects-unit-'));
  dataDir = path.join(tmp, 'data');
  deviceRoot = path.join(tmp, 'by-id');
  runner = new RecordingRunner();
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('RealEffects construction', () => {
  it('refuses a relative data directory and a prefix that would not fit in link names', () => {
    expect(() => new RealEffects({ runner, dataDir: 'data', deviceRoot: '/x', namePrefix: 'ab' })).toThrow(/invalid dataDir/);
    expect(() => new RealEffects({ runner, dataDir: '/d', deviceRoot: '/x', namePrefix: 'abcdefg' })).toThrow(/invalid name prefix/);
  });

  it('reports itself as the real effects', () => {
    expect(makeEffects().kind).toBe('real');
  });
});

describe('RealEffects volumes', () => {
  it('creates a sparse file of the requested GiB and never shrinks it on a repeated call', async () => {
    const effects = makeEffects();
    await effects.createVolume('vol-abc12345', 2);
    const created = await stat(volumeFile('vol-abc12345'));
    expect(created.size).toBe(2 * GiB);
    expect(created.blocks * 512).toBeLessThan(1024 * 1024);
    await effects.createVolume('vol-abc12345', 1);
    expect((await stat(volumeFile('vol-abc12345'))).size).toBe(2 * GiB);
    expect(runner.calls).toEqual([]);
  });

  it('attaches a volume with losetup --find --show and links it under the instance by-id directory', async () => {
    const effects = makeEffects();
    await effects.createVolume('vol-abc12345', 1);
    const file = volumeFile('vol-abc12345');
    runner.answer([`losetup --find --show -- ${file}`, '/dev/loop7\n']);

    expect(await effects.attachVolume('vol-abc12345', { instanceId: 'i-inst0001' })).toEqual({ device: '/dev/loop7' });
    expect(runner.lines()).toEqual([`losetup --list --json --associated ${file}`, `losetup --find --show -- ${file}`]);
    expect(await readlink(path.join(deviceRoot, 'i-inst0001', 'virtio-vol-abc12345'))).toBe('/dev/loop7');
  });

  it('reuses the loop device already backed by the file and replaces a stale by-id link', async () => {
    const effects = makeEffects();
    await effects.createVolume('vol-abc12345', 1);
    const file = volumeFile('vol-abc12345');
    await mkdir(path.join(deviceRoot, 'i-inst0001'), { recursive: true });
    await symlink('/dev/loop1', path.join(deviceRoot, 'i-inst0001', 'virtio-vol-abc12345'));
    runner.answer([`losetup --list --json --associated ${file}`, loopsJson([['/dev/loop3', file]])]);

    expect(await effects.attachVolume('vol-abc12345', { instanceId: 'i-inst0001' })).toEqual({ device: '/dev/loop3' });
    expect(runner.changes()).toEqual([]);
    expect(await readlink(path.join(deviceRoot, 'i-inst0001', 'virtio-vol-abc12345'))).toBe('/dev/loop3');
    expect(await readdir(path.join(deviceRoot, 'i-inst0001'))).toEqual(['virtio-vol-abc12345']);
  });

  it('refuses a malformed instance id before running anything, and a volume without a file as not found', async () => {
    const effects = makeEffects();
    await expectCode(effects.attachVolume('vol-abc12345', { instanceId: '../etc' }), 'SIM_EFFECTS_INVALID_ARGUMENT');
    const missing = await expectCode(effects.attachVolume('vol-abc12345', { instanceId: 'i-inst0001' }), 'SIM_EFFECTS_NOT_FOUND');
    expect(missing.message).toMatch(/volume vol-abc12345 has no backing file .*create the volume before attaching it/);
    expect(runner.calls).toEqual([]);
  });

  it('refuses a device name losetup printed that is not a loop device', async () => {
    const effects = makeEffects();
    await effects.createVolume('vol-abc12345', 1);
    runner.answer([/^losetup --find/, '/dev/sda\n']);
    await expectCode(effects.attachVolume('vol-abc12345', { instanceId: 'i-inst0001' }), 'SIM_EFFECTS_INVALID_ARGUMENT');
  });

  it('detaches by removing the by-id link and the loop device, and succeeds again when both are gone', async () => {
    const effects = makeEffects();
    await effects.createVolume('vol-abc12345', 1);
    const file = volumeFile('vol-abc12345');
    const link = path.join(deviceRoot, 'i-inst0001', 'virtio-vol-abc12345');
    await mkdir(path.dirname(link), { recursive: true });
    await symlink('/dev/loop3', link);
    runner.answer([`losetup --list --json --associated ${file}`, loopsJson([['/dev/loop3', file]])]);

    await effects.detachVolume('vol-abc12345', { instanceId: 'i-inst0001' });
    expect(runner.changes()).toEqual(['losetup --detach /dev/loop3']);
    expect(await readdir(path.dirname(link))).toEqual([]);

    const again = new RecordingRunner();
    runner = again;
    await makeEffects().detachVolume('vol-abc12345', { instanceId: 'i-inst0001' });
    expect(again.changes()).toEqual([]);
  });

  it('treats a loop device that vanished during detach as detached', async () => {
    const effects = makeEffects();
    await effects.createVolume('vol-abc12345', 1);
    const file = volumeFile('vol-abc12345');
    runner.answer(
      [`losetup --list --json --associated ${file}`, loopsJson([['/dev/loop3', file]])],
      ['losetup --detach /dev/loop3', { exitCode: 1, stderr: 'No such device or address' }],
      ['losetup --list --json', ''],
    );
    await effects.detachVolume('vol-abc12345', { instanceId: 'i-inst0001' });
  });

  it('grows the file and tells an attached loop device the new size, but never shrinks', async () => {
    const effects = makeEffects();
    await effects.createVolume('vol-abc12345', 1);
    const file = volumeFile('vol-abc12345');
    runner.answer([`losetup --list --json --associated ${file}`, loopsJson([['/dev/loop3', file]])]);

    await effects.resizeVolume('vol-abc12345', 3);
    expect((await stat(file)).size).toBe(3 * GiB);
    expect(runner.changes()).toEqual(['losetup --set-capacity /dev/loop3']);
    await effects.resizeVolume('vol-abc12345', 2);
    expect((await stat(file)).size).toBe(3 * GiB);
  });

  it('snapshots by flushing the attached loop device and copying sparsely into place, once', async () => {
    const effects = makeEffects();
    await effects.createVolume('vol-abc12345', 1);
    const file = volumeFile('vol-abc12345');
    await writeFile(file, 'data', { flag: 'r+' });
    runner.answer(
      [`losetup --list --json --associated ${file}`, loopsJson([['/dev/loop3', file]])],
      [/^cp /, sparseCp],
    );

    await effects.snapshotVolume('vol-abc12345', 'ss-snap0001');
    const target = snapshotFile('ss-snap0001');
    expect(runner.changes()).toEqual(['blockdev --flushbufs /dev/loop3', `cp --sparse=always -- ${file} ${target}.tmp`]);
    expect((await stat(target)).size).toBe(GiB);
    expect(await readdir(path.dirname(target))).toEqual(['ss-snap0001.img']);

    runner.calls.length = 0;
    await effects.snapshotVolume('vol-abc12345', 'ss-snap0001');
    expect(runner.calls).toEqual([]);
  });

  it('creates a volume from a snapshot at the larger requested size, and refuses a missing snapshot', async () => {
    const effects = makeEffects();
    await mkdir(path.dirname(snapshotFile('ss-snap0001')), { recursive: true });
    await writeFile(snapshotFile('ss-snap0001'), '');
    await truncate(snapshotFile('ss-snap0001'), GiB);
    runner.answer([/^cp /, sparseCp]);

    await effects.createVolumeFromSnapshot('ss-snap0001', 'vol-new00001', 2);
    expect((await stat(volumeFile('vol-new00001'))).size).toBe(2 * GiB);
    expect(runner.changes()).toEqual([`cp --sparse=always -- ${snapshotFile('ss-snap0001')} ${volumeFile('vol-new00001')}.tmp`]);

    await expectCode(effects.createVolumeFromSnapshot('ss-none0001', 'vol-new00002', 1), 'SIM_EFFECTS_NOT_FOUND');
  });

  it('clones a volume, flushing its loop device first', async () => {
    const effects = makeEffects();
    await effects.createVolume('vol-src00001', 1);
    const source = volumeFile('vol-src00001');
    runner.answer(
      [`losetup --list --json --associated ${source}`, loopsJson([['/dev/loop2', source]])],
      [/^cp /, sparseCp],
    );
    await effects.cloneVolume('vol-src00001', 'vol-dst00001', 1);
    expect(runner.changes()).toEqual(['blockdev --flushbufs /dev/loop2', `cp --sparse=always -- ${source} ${volumeFile('vol-dst00001')}.tmp`]);
    expect((await stat(volumeFile('vol-dst00001'))).size).toBe(GiB);
  });

  it('deletes an attached volume by detaching it everywhere first; deleting it again is fine', async () => {
    const effects = makeEffects();
    await effects.createVolume('vol-abc12345', 1);
    const file = volumeFile('vol-abc12345');
    await mkdir(path.join(deviceRoot, 'i-inst0001'), { recursive: true });
    await symlink('/dev/loop3', path.join(deviceRoot, 'i-inst0001', 'virtio-vol-abc12345'));
    runner.answer([`losetup --list --json --associated ${file}`, loopsJson([['/dev/loop3', file]])]);

    await effects.deleteVolume('vol-abc12345');
    expect(runner.changes()).toEqual(['losetup --detach /dev/loop3']);
    expect(await readdir(path.join(deviceRoot, 'i-inst0001'))).toEqual([]);
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    await effects.deleteVolume('vol-abc12345');
    await effects.deleteSnapshot('ss-none0001');
  });

  describe('busy check', () => {
    const fakeSystem = (options: { mountinfo?: string; holders?: string[]; openError?: string }): RealEffectsFs => ({
      ...nodeFs,
      readFile: async (file: string, encoding: 'utf8') => {
        if (file === '/sys/block/loop3/dev') return '7:3\n';
        if (file === '/proc/self/mountinfo') return options.mountinfo ?? '22 1 254:1 / / rw - ext4 /dev/vda1 rw\n';
        return nodeFs.readFile(file, encoding);
      },
      readdir: async (dir: string) => (dir === '/sys/block/loop3/holders' ? (options.holders ?? []) : nodeFs.readdir(dir)),
      open: async (file: string, flags: string | number) => {
        if (file !== '/dev/loop3') return nodeFs.open(file, flags);
        if (options.openError !== undefined) throw Object.assign(new Error(options.openError), { code: options.openError });
        return { close: async () => {} };
      },
    });

    async function busy(options: Parameters<typeof fakeSystem>[0], attached = true): Promise<boolean> {
      const effects = makeEffects(fakeSystem(options));
      await effects.createVolume('vol-abc12345', 1);
      const file = volumeFile('vol-abc12345');
      runner.answer([`losetup --list --json --associated ${file}`, attached ? loopsJson([['/dev/loop3', file]]) : '']);
      return effects.isVolumeBusy('vol-abc12345');
    }

    it('is busy while the loop device is mounted', async () => {
      expect(await busy({ mountinfo: '98 22 7:3 / /mnt/x rw - ext4 /dev/loop3 rw\n' })).toBe(true);
    });

    it('is busy while another block device holds the loop device', async () => {
      expect(await busy({ holders: ['dm-0'] })).toBe(true);
    });

    it('is busy when the kernel refuses an exclusive open (a mount in another mount namespace)', async () => {
      expect(await busy({ openError: 'EBUSY' })).toBe(true);
    });

    it('is not busy when attached but unused, nor when not attached at all', async () => {
      expect(await busy({})).toBe(false);
      expect(await busy({ openError: 'EBUSY' }, false)).toBe(false);
    });
  });
});

describe('RealEffects NICs', () => {
  const vxnet = { vxnetId: 'vxnet-a', cidr: '192.168.10.0/24', gateway: '192.168.10.1' };
  const nic = { nicId: MAC, vxnetId: 'vxnet-a', privateIp: '192.168.10.5' };

  it('creates the VPC namespace with routing on, and a bridge holding the gateway for the vxnet', async () => {
    await makeEffects().ensureVxnet(vxnet);
    expect(runner.changes()).toEqual([
      'ip netns add ab-vpc',
      'ip -n ab-vpc link set dev lo up',
      'ip netns exec ab-vpc sysctl -q -w net.ipv4.ip_forward=1',
      'ip -n ab-vpc link add name br-a type bridge',
      'ip -n ab-vpc addr replace 192.168.10.1/24 dev br-a',
      'ip -n ab-vpc link set dev br-a up',
    ]);
  });

  it('ensures an existing vxnet without creating anything twice', async () => {
    runner.answer(
      ['ip -json netns list', netnsJson(['ab-vpc'])],
      ['ip -n ab-vpc -json -details link show', linksJson([{ ifname: 'lo' }, { ifname: 'br-a', kind: 'bridge', up: true }])],
    );
    await makeEffects().ensureVxnet(vxnet);
    expect(runner.changes().filter((line) => line.includes(' add '))).toEqual([]);
  });

  it('refuses a gateway outside the vxnet before running anything', async () => {
    await expectCode(makeEffects().ensureVxnet({ ...vxnet, gateway: '10.0.0.1' }), 'SIM_EFFECTS_INVALID_ARGUMENT');
    expect(runner.calls).toEqual([]);
  });

  const vpcWithBridge = (extra: LinkSpec[] = []): RecordingRunner =>
    runner.answer(
      ['ip -json netns list', netnsJson(['ab-vpc', 'inst1', 'pod1'])],
      ['ip -n ab-vpc -json -details link show', linksJson([{ ifname: 'lo' }, { ifname: 'br-a', kind: 'bridge', up: true }, ...extra])],
    );

  it('plugs a NIC as a veth pair created straight into the instance and VPC namespaces, the switch end on the bridge', async () => {
    vpcWithBridge();
    await makeEffects().attachNic(nic, { instanceId: 'i-inst0001', netns: 'inst1' });
    expect(runner.changes()).toEqual([
      'ip -n inst1 link add name abn01020304 address 52:54:01:02:03:04 type veth peer name v01020304 netns ab-vpc',
      'ip -n ab-vpc link set dev v01020304 master br-a up',
    ]);
  });

  it('plugs a NIC of an instance without namespace into the root namespace', async () => {
    vpcWithBridge();
    await makeEffects().attachNic(nic, { instanceId: 'i-inst0001' });
    expect(runner.changes()[0]).toBe('ip link add name abn01020304 address 52:54:01:02:03:04 type veth peer name v01020304 netns ab-vpc');
  });

  it('treats a NIC whose switch end is on the bridge as attached, and only finishes a half-plugged one', async () => {
    vpcWithBridge([{ ifname: 'v01020304', kind: 'veth', master: 'br-a', up: true }]);
    await makeEffects().attachNic(nic, { instanceId: 'i-inst0001', netns: 'inst1' });
    expect(runner.changes()).toEqual([]);

    runner = new RecordingRunner();
    vpcWithBridge([{ ifname: 'v01020304', kind: 'veth' }]);
    await makeEffects().attachNic(nic, { instanceId: 'i-inst0001', netns: 'inst1' });
    expect(runner.changes()).toEqual(['ip -n ab-vpc link set dev v01020304 master br-a up']);
  });

  it('refuses to plug a NIC before its vxnet switch or its instance namespace exists', async () => {
    const noVpc = await expectCode(makeEffects().attachNic(nic, { instanceId: 'i-inst0001', netns: 'inst1' }), 'SIM_EFFECTS_NOT_FOUND');
    expect(noVpc.message).toMatch(/call ensureVxnet/);

    runner = new RecordingRunner();
    vpcWithBridge();
    const noNetns = await expectCode(makeEffects().attachNic(nic, { instanceId: 'i-inst0001', netns: 'gone' }), 'SIM_EFFECTS_NOT_FOUND');
    expect(noNetns.message).toMatch(/ip netns add gone/);
    expect(runner.changes()).toEqual([]);
  });

  it('refuses to plug a NIC whose MAC a foreign link already carries in the instance namespace', async () => {
    vpcWithBridge();
    runner.answer(['ip -n inst1 -json -details link show', linksJson([{ ifname: 'eth9', address: MAC }])]);
    await expectCode(makeEffects().attachNic(nic, { instanceId: 'i-inst0001', netns: 'inst1' }), 'SIM_EFFECTS_FAILED');
    expect(runner.changes()).toEqual([]);
  });

  it('unplugs a NIC by deleting its switch end (which removes the instance end wherever it moved)', async () => {
    vpcWithBridge([{ ifname: 'v01020304', kind: 'veth', master: 'br-a', up: true }]);
    await makeEffects().detachNic(nic, { instanceId: 'i-inst0001', netns: 'inst1' });
    expect(runner.changes()).toEqual(['ip -n ab-vpc link delete dev v01020304']);
  });

  it('without a switch end, finds an orphaned veth with the MAC in any namespace and deletes only that', async () => {
    vpcWithBridge();
    runner.answer([
      'ip -n pod1 -json -details link show',
      linksJson([
        { ifname: 'lo' },
        { ifname: 'eth1', address: MAC, kind: 'veth' },
        { ifname: 'eth2', address: '52:54:09:09:09:09', kind: 'veth' },
      ]),
    ]);
    await makeEffects().detachNic(nic, { instanceId: 'i-inst0001', netns: 'inst1' });
    expect(runner.changes()).toEqual(['ip -n pod1 link delete dev eth1']);
    expect(runner.lines()).toContain('ip -n inst1 -json -details link show');
  });

  it('unplugs a NIC that is gone everywhere without error', async () => {
    vpcWithBridge();
    await makeEffects().detachNic(nic, { instanceId: 'i-inst0001', netns: 'inst1' });
    expect(runner.changes()).toEqual([]);
  });
});

describe('RealEffects restore and cleanup', () => {
  it('re-creates switches, loop devices and NICs from the world, and reports what failed after trying all', async () => {
    const effects = makeEffects();
    await effects.createVolume('vol-abc12345', 1);
    runner.answer([/^losetup --find --show/, '/dev/loop4\n']);
    const err = await expectCode(
      effects.restore({
        vxnets: [{ vxnetId: 'vxnet-a', cidr: '192.168.10.0/24', gateway: '192.168.10.1' }],
        attachedVolumes: [
          { volumeId: 'vol-missing1', instance: { instanceId: 'i-inst0001' } },
          { volumeId: 'vol-abc12345', instance: { instanceId: 'i-inst0001' } },
        ],
        attachedNics: [],
      }),
      'SIM_EFFECTS_FAILED',
    );
    expect(err.message).toMatch(/failed for 1 item\(s\), first: volume vol-missing1 has no backing file/);
    expect(runner.changes()).toContain('ip -n ab-vpc link add name br-a type bridge');
    expect(await readlink(path.join(deviceRoot, 'i-inst0001', 'virtio-vol-abc12345'))).toBe('/dev/loop4');
  });

  it('removes exactly what this prefix made: VPC links and namespace, its instance links, its loop devices and by-id links', async () => {
    await mkdir(path.join(deviceRoot, 'i-inst0001'), { recursive: true });
    await symlink('/dev/loop3', path.join(deviceRoot, 'i-inst0001', 'virtio-vol-abc12345'));
    await writeFile(path.join(deviceRoot, 'i-inst0001', 'notes.txt'), 'not ours');
    await mkdir(path.join(deviceRoot, 'i-inst0002'), { recursive: true });
    await symlink('/dev/loop5', path.join(deviceRoot, 'i-inst0002', 'virtio-vol-def12345'));
    runner.answer(
      ['ip -json netns list', netnsJson(['ab-vpc', 'pod1', 'abn123-vpc'])],
      [
        'ip -n ab-vpc -json -details link show',
        linksJson([{ ifname: 'lo' }, { ifname: 'br-a', kind: 'bridge' }, { ifname: 'v01020304', kind: 'veth' }]),
      ],
      ['ip -json -details link show', linksJson([{ ifname: 'eth0' }, { ifname: 'abn0a0b0c0d', kind: 'veth' }])],
      ['ip -n pod1 -json -details link show', linksJson([{ ifname: 'abn123n01020304', kind: 'veth' }, { ifname: 'abn01010101', kind: 'veth' }])],
      [
        'losetup --list --json',
        loopsJson([
          ['/dev/loop3', path.join(dataDir, 'volumes', 'vol-abc12345.img')],
          ['/dev/loop4', `${dataDir}-other/volumes/vol-abc12345.img`],
          ['/dev/loop5', `${path.join(dataDir, 'volumes', 'vol-def12345.img')} (deleted)`],
        ]),
      ],
    );

    await makeEffects().cleanup();
    expect(runner.changes()).toEqual([
      'ip -n ab-vpc link delete dev br-a',
      'ip -n ab-vpc link delete dev v01020304',
      'ip netns delete ab-vpc',
      'ip link delete dev abn0a0b0c0d',
      'ip -n pod1 link delete dev abn01010101',
      'losetup --detach /dev/loop3',
      'losetup --detach /dev/loop5',
    ]);
    expect(runner.lines()).not.toContain('ip -n abn123-vpc link delete dev abn123n01020304');
    expect(await readdir(deviceRoot)).toEqual(['i-inst0001']);
    expect(await readdir(path.join(deviceRoot, 'i-inst0001'))).toEqual(['notes.txt']);
  });

  it('reports a cleanup step that failed after trying the others', async () => {
    runner.answer(['losetup --list --json', { exitCode: 1, stderr: 'losetup: cannot open /dev/loop-control' }]);
    const err = await expectCode(makeEffects().cleanup(), 'SIM_EFFECTS_FAILED');
    expect(err.message).toMatch(/cleanup .*\(prefix ab\) failed for 1 step\(s\).*listing loop devices failed.*run cleanup again/);
  });
});
