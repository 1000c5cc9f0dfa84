import { describe, expect, it } from 'vitest';
import { MountError } from '../../../../src/csi/mount/mount-error.js';
import { FakeMounter } from '../../../fakes/fake-mounter.js';

const GIB = 1024 ** 3;
const STAGING = '/var/lib/kubelet/plugins/csi/pv/globalmount';
const TARGET = '/var/lib/kubelet/pods/p1/volumes/pvc/mount';

async function rejection(promise: Promise<unknown>): Promise<MountError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof MountError) return err;
    throw err;
  }
  throw new Error('expected a MountError, but the call succeeded');
}

function staged(): FakeMounter {
  return new FakeMounter().addDevice('/dev/vdc', { sizeBytes: 10 * GIB }).addDir(STAGING).addDir('/var/lib/kubelet/pods/p1/volumes/pvc');
}

// The fake must behave like LinuxMounter where node-service tests rely on it.
describe('FakeMounter', () => {
  it('formats only a blank device and mounts the filesystem it wrote', async () => {
    const m = staged();
    await m.format('/dev/vdc', 'ext4');
    expect(await m.probe('/dev/vdc')).toMatchObject({ kind: 'filesystem', fsType: 'ext4' });
    expect((await rejection(m.format('/dev/vdc', 'xfs'))).kind).toBe('FailedPrecondition');
    await m.mount('/dev/vdc', STAGING, 'ext4', ['noatime']);
    expect(await m.findMount(STAGING)).toMatchObject({ source: '/dev/vdc', fsType: 'ext4', readonly: false, mountOptions: ['rw', 'noatime'] });
    expect(m.device('/dev/vdc')!.formatCount).toBe(1);
  });

  it('fails a mount with the wrong fs type and refuses to stack mounts', async () => {
    const m = staged();
    await m.format('/dev/vdc', 'xfs');
    expect((await rejection(m.mount('/dev/vdc', STAGING, 'ext4', []))).kind).toBe('Internal');
    await m.mount('/dev/vdc', STAGING, 'xfs', []);
    expect((await rejection(m.mount('/dev/vdc', STAGING, 'xfs', []))).kind).toBe('FailedPrecondition');
  });

  it('bind-mounts the staged filesystem read-only and lists both mounts of the device', async () => {
    const m = staged();
    await m.format('/dev/vdc', 'ext4');
    await m.mount('/dev/vdc', STAGING, 'ext4', []);
    await m.makeDir(TARGET);
    await m.bindMount(STAGING, TARGET, { readonly: true });
    expect(await m.findMount(TARGET)).toMatchObject({ readonly: true, source: '/dev/vdc', majorMinor: m.device('/dev/vdc')!.majorMinor });
    expect((await m.mountsOfDevice('/dev/vdc')).map((x) => x.mountPoint)).toEqual([STAGING, TARGET]);
  });

  it('bind-mounts a device file onto a file target, which then reads as that block device', async () => {
    const m = staged();
    const target = '/var/lib/kubelet/pods/p1/volumes/pvc/dev';
    await m.makeFile(target);
    await m.bindMount('/dev/vdc', target, { readonly: false });
    expect(await m.pathKind(target)).toBe('block');
    expect(await m.deviceNumberOf(target)).toBe(await m.deviceNumberOf('/dev/vdc'));
    expect(await m.blockDeviceSizeBytes(target)).toBe(10 * GIB);
    await m.unmount(target);
    await m.removePath(target);
    expect(await m.pathKind(target)).toBe('missing');
  });

  it('unmounts idempotently, reports Busy when told to, and will not remove a mount point', async () => {
    const m = staged();
    await m.format('/dev/vdc', 'ext4');
    await m.mount('/dev/vdc', STAGING, 'ext4', []);
    m.setBusy(STAGING);
    expect((await rejection(m.unmount(STAGING))).kind).toBe('Busy');
    expect((await rejection(m.removePath(STAGING))).kind).toBe('Busy');
    m.setBusy(STAGING, false);
    await m.unmount(STAGING);
    await m.unmount(STAGING);
    expect(await m.findMount(STAGING)).toBeUndefined();
  });

  it('grows the filesystem to the device size on resize and reports it in stats', async () => {
    const m = staged();
    await m.format('/dev/vdc', 'ext4');
    await m.mount('/dev/vdc', STAGING, 'ext4', []);
    m.growDevice('/dev/vdc', 20 * GIB);
    expect((await m.filesystemStats(STAGING)).totalBytes).toBe(10 * GIB);
    await m.resizeFilesystem('/dev/vdc', STAGING, 'ext4');
    expect((await m.filesystemStats(STAGING)).totalBytes).toBe(20 * GIB);
  });

  it('turns the mounts of a detached device unreachable', async () => {
    const m = staged();
    await m.format('/dev/vdc', 'ext4');
    await m.mount('/dev/vdc', STAGING, 'ext4', []);
    m.detachDevice('/dev/vdc');
    expect(await m.pathKind(STAGING)).toBe('unreachable');
    expect((await rejection(m.filesystemStats(STAGING))).kind).toBe('Internal');
    expect((await rejection(m.probe('/dev/vdc'))).kind).toBe('NotFound');
    expect(await m.findMount(STAGING)).toBeDefined();
  });

  it('needs parents for new paths, never removes non-empty directories, and injects one-shot faults', async () => {
    const m = new FakeMounter();
    expect((await rejection(m.makeDir('/a/b'))).kind).toBe('NotFound');
    m.addFile('/a/b/c');
    expect((await rejection(m.removePath('/a/b'))).kind).toBe('FailedPrecondition');
    m.failNext('pathKind', new MountError('Internal', 'boom'));
    await expect(m.pathKind('/a')).rejects.toThrow('boom');
    expect(await m.pathKind('/a')).toBe('dir');
    expect(m.methodsCalled()).toEqual(['makeDir', 'removePath', 'pathKind', 'pathKind']);
  });

  it('validates paths like the real adapter', async () => {
    expect((await rejection(new FakeMounter().makeDir('/a/../b'))).kind).toBe('InvalidArgument');
  });
});
