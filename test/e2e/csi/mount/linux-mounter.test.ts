import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../../src/shared/clock.js';
import { NodeCommandRunner } from '../../../../src/shared/node-exec.js';
import { DeviceResolver } from '../../../../src/csi/mount/devices.js';
import { LinuxMounter } from '../../../../src/csi/mount/linux-mounter.js';
import { isMountError } from '../../../../src/csi/mount/mount-error.js';
import type { FsType } from '../../../../src/csi/mount/paths.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) {
  console.warn('SKIPPED test/e2e/csi/mount: needs root (loop devices, mkfs, mount); run `npx vitest run --project e2e test/e2e/csi/mount` as root');
}
const hasXfs = isRoot && commandExists('mkfs.xfs') && commandExists('xfs_growfs');
if (isRoot && !hasXfs) {
  console.warn('SKIPPED xfs cases of test/e2e/csi/mount: mkfs.xfs/xfs_growfs missing; install xfsprogs (CI does)');
}

// ext4 grows online through an ioctl that needs CAP_SYS_RESOURCE; some sandboxes drop it even for root.
const CAP_SYS_RESOURCE = 24n;
const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
const canGrowExt4Online = ((BigInt(`0x${capEff}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
if (isRoot && !canGrowExt4Online) {
  console.warn('test/e2e/csi/mount: this process lacks CAP_SYS_RESOURCE, so the ext4 online grow is only checked to fail with clear advice');
}

const MIB = 1024 * 1024;
const PREFIX = 'csi-mount-e2e-';

function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function mountPointsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((mp): mp is string => mp !== undefined && (mp === dir || mp.startsWith(`${dir}/`)));
}

function loopDevicesOf(dir: string): string[] {
  return execFileSync('losetup', ['-a'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(dir))
    .map((line) => line.split(':')[0]!);
}

/** A volume id whose 8 characters are random, so parallel runs never share names. */
function volumeId(): string {
  return `vol-e2e${randomBytes(4).toString('hex').slice(0, 5)}`;
}

describe.skipIf(!isRoot)('LinuxMounter on real loop devices', () => {
  const mounter = new LinuxMounter({ runner: new NodeCommandRunner() });
  const allDirs: string[] = [];
  let dir: string;

  /** A sparse file attached to a fresh loop device of this test. */
  async function loopDevice(sizeBytes: number, name = `${volumeId()}.img`): Promise<{ image: string; device: string }> {
    const image = join(dir, name);
    await fs.writeFile(image, '');
    await fs.truncate(image, sizeBytes);
    const device = execFileSync('losetup', ['--find', '--show', '--', image], { encoding: 'utf8' }).trim();
    return { image, device };
  }

  async function dirAt(name: string): Promise<string> {
    const path = join(dir, name);
    await mounter.makeDir(path);
    return path;
  }

  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), PREFIX));
    allDirs.push(dir);
  });

  // Teardown runs even when a test failed half-way: lazy-unmount everything under the dir, detach its loops, remove it.
  afterEach(async () => {
    for (const mp of mountPointsUnder(dir).reverse()) {
      try {
        execFileSync('umount', ['--', mp], { stdio: 'ignore' });
      } catch {
        execFileSync('umount', ['-l', '--', mp], { stdio: 'ignore' });
      }
    }
    for (const loop of loopDevicesOf(dir)) execFileSync('losetup', ['-d', loop]);
    await fs.rm(dir, { recursive: true, force: true });
  });

  afterAll(() => {
    for (const d of allDirs) {
      expect(mountPointsUnder(d)).toEqual([]);
      expect(loopDevicesOf(d)).toEqual([]);
    }
  });

  async function stageFlow(fsType: FsType, sizeBytes: number, grownBytes: number): Promise<void> {
    const { image, device } = await loopDevice(sizeBytes);
    expect(await mounter.probe(device)).toEqual({ kind: 'blank' });

    await mounter.format(device, fsType, { label: 'e2e' });
    expect(await mounter.probe(device)).toMatchObject({ kind: 'filesystem', fsType, label: 'e2e' });

    const staging = await dirAt('staging');
    await mounter.mount(device, staging, fsType, ['noatime']);
    await fs.writeFile(join(staging, 'kept.txt'), 'data written on first stage');
    const mounted = await mounter.findMount(staging);
    expect(mounted).toMatchObject({ source: device, fsType, readonly: false, majorMinor: await mounter.deviceNumberOf(device) });
    expect(mounted!.mountOptions).toContain('noatime');

    const publish = await dirAt('publish');
    await mounter.bindMount(staging, publish, { readonly: true });
    expect(await mounter.findMount(publish)).toMatchObject({ readonly: true, fsType });
    expect(await fs.readFile(join(publish, 'kept.txt'), 'utf8')).toBe('data written on first stage');
    await expect(fs.writeFile(join(publish, 'nope.txt'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
    expect((await mounter.mountsOfDevice(device)).map((m) => m.mountPoint).sort()).toEqual([publish, staging].sort());

    const before = await mounter.filesystemStats(staging);
    expect(before.totalBytes).toBeGreaterThan(0);
    expect(before.totalBytes).toBeLessThanOrEqual(sizeBytes);
    expect(before.usedBytes).toBeGreaterThan(0);
    expect(before.availableBytes).toBeLessThanOrEqual(before.totalBytes - before.usedBytes);
    expect(before.totalInodes).toBeGreaterThan(0);
    expect(before.usedInodes).toBeGreaterThan(0);

    await fs.truncate(image, grownBytes);
    execFileSync('losetup', ['-c', device]);
    expect(await mounter.blockDeviceSizeBytes(device)).toBe(grownBytes);
    if (fsType !== 'xfs' && !canGrowExt4Online) {
      const err: unknown = await mounter.resizeFilesystem(device, staging, fsType).catch((e: unknown) => e);
      expect(isMountError(err, 'Internal')).toBe(true);
      expect((err as Error).message).toContain('CAP_SYS_RESOURCE');
    } else {
      await mounter.resizeFilesystem(device, staging, fsType);
      const after = await mounter.filesystemStats(staging);
      expect(after.totalBytes).toBeGreaterThan(before.totalBytes);
      expect(after.totalBytes).toBeLessThanOrEqual(grownBytes);
    }

    await mounter.unmount(publish);
    await mounter.removePath(publish);
    await mounter.unmount(staging);
    await mounter.unmount(staging); // idempotent
    expect(await mounter.findMount(staging)).toBeUndefined();
    expect(await mounter.mountsOfDevice(device)).toEqual([]);

    // A second "stage": the probe finds the filesystem, so there is no format and the data survives.
    const probe = await mounter.probe(device);
    expect(probe).toMatchObject({ kind: 'filesystem', fsType });
    await expect(mounter.format(device, fsType)).rejects.toSatisfy((err) => isMountError(err, 'FailedPrecondition'));
    await mounter.mount(device, staging, fsType, []);
    expect(await fs.readFile(join(staging, 'kept.txt'), 'utf8')).toBe('data written on first stage');
    await mounter.unmount(staging);
    await mounter.removePath(staging);
  }

  it('stages ext4: probe, format once, mount, read-only bind, stats, online grow, unmount, no re-format', async () => {
    await stageFlow('ext4', 64 * MIB, 128 * MIB);
  });

  it.skipIf(!hasXfs)('stages xfs: probe, format once, mount, read-only bind, stats, online grow, unmount, no re-format', async () => {
    await stageFlow('xfs', 320 * MIB, 512 * MIB);
  });

  it('refuses to format a device that holds another filesystem', async () => {
    const { device } = await loopDevice(64 * MIB);
    await mounter.format(device, 'ext4');
    const err: unknown = await mounter.format(device, 'ext3').catch((e: unknown) => e);
    expect(isMountError(err, 'FailedPrecondition')).toBe(true);
    expect((err as Error).message).toContain('already holds a ext4 filesystem');
  });

  it('bind-mounts a block device file onto a file target and unmounts it', async () => {
    const { device } = await loopDevice(32 * MIB);
    const target = join(dir, 'block-target');
    await mounter.makeFile(target);
    await mounter.bindMount(device, target, { readonly: false });
    expect(await mounter.pathKind(target)).toBe('block');
    expect(await mounter.deviceNumberOf(target)).toBe(await mounter.deviceNumberOf(device));
    expect(await mounter.blockDeviceSizeBytes(target)).toBe(32 * MIB);
    expect(await mounter.findMount(target)).toMatchObject({ root: `/${device.slice('/dev/'.length)}` });
    await expect(mounter.removePath(target)).rejects.toSatisfy((err) => isMountError(err, 'Busy'));
    await mounter.unmount(target);
    expect(await mounter.pathKind(target)).toBe('file');
    await mounter.removePath(target);
    expect(await mounter.pathKind(target)).toBe('missing');
  });

  it('resolves a loop device through a by-id link and checks its backing file', async () => {
    const id = volumeId();
    const { device } = await loopDevice(16 * MIB, `${id}.img`);
    const byId = await dirAt('by-id');
    await fs.symlink(device, join(byId, `virtio-${id}`));
    const other = volumeId();
    await fs.symlink(device, join(byId, `virtio-${other}`));
    const resolver = new DeviceResolver({ clock: systemClock, deviceDir: byId, waitTimeoutMs: 0 });
    await expect(resolver.resolve(id)).resolves.toEqual({ volumeId: id, linkPath: join(byId, `virtio-${id}`), devicePath: device, identity: 'loop-backing-file' });
    await expect(resolver.resolve(other)).rejects.toSatisfy((err) => isMountError(err, 'FailedPrecondition'));
    await expect(resolver.resolve(volumeId())).rejects.toSatisfy((err) => isMountError(err, 'Busy'));
  });
});
