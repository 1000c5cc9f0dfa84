import * as nodeFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandFailedError } from '../../../../src/shared/exec.js';
import {
  LinuxMounter,
  formatDeviceNumber,
  parseBlkidExport,
  type HostFs,
} from '../../../../src/csi/mount/linux-mounter.js';
import { MountError, isMountError } from '../../../../src/csi/mount/mount-error.js';
import { FakeCommandRunner } from '../../../fakes/fake-command-runner.js';

const MOUNTINFO = [
  '22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
  '100 22 253:16 / /staging/vol rw,noatime shared:60 - ext4 /dev/vdb rw',
  '101 22 253:16 / /pods/p1/mount ro,noatime shared:60 - ext4 /dev/vdb rw',
  '102 22 253:32 / /staging/xfsvol rw - xfs /dev/vdc rw',
  '',
].join('\n');

/** Device numbers (dev_t) of the fake block devices, keyed by path. */
const BLOCK_DEVICES: Record<string, bigint> = { '/dev/vdb': (253n << 8n) | 16n, '/dev/vdc': (253n << 8n) | 32n, '/dev/vdd': (253n << 8n) | 48n };

function enoent(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: no such file or directory, stat '${path}'`), { code: 'ENOENT' });
}

/** Real node:fs for temp paths, with the mount table and /dev devices simulated. */
function hostFs(mountInfo = MOUNTINFO): HostFs {
  const statDevice = async (path: string): Promise<unknown> => {
    if (!path.startsWith('/dev/')) return nodeFs.stat(path, { bigint: true });
    const rdev = BLOCK_DEVICES[path];
    if (rdev === undefined) throw enoent(path);
    return { isBlockDevice: () => true, rdev };
  };
  return {
    ...nodeFs,
    readFile: (async (path: unknown, options: unknown) =>
      path === '/proc/self/mountinfo' ? mountInfo : nodeFs.readFile(path as string, options as 'utf8')) as HostFs['readFile'],
    stat: statDevice as HostFs['stat'],
  };
}

function mounter(runner: FakeCommandRunner, fs: HostFs = hostFs()): LinuxMounter {
  return new LinuxMounter({ runner, fs });
}

async function rejection(promise: Promise<unknown>): Promise<MountError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof MountError) return err;
    throw err;
  }
  throw new Error('expected a MountError, but the call succeeded');
}

describe('LinuxMounter.probe', () => {
  it('runs blkid -p -o export with -- before the device and reads exit 2 as blank', async () => {
    const runner = new FakeCommandRunner().on('blkid', undefined, { exitCode: 2 });
    await expect(mounter(runner).probe('/dev/vdb')).resolves.toEqual({ kind: 'blank' });
    expect(runner.argvs()).toEqual([['blkid', '-p', '-o', 'export', '--', '/dev/vdb']]);
  });

  it('reports the filesystem type, uuid and label blkid finds', async () => {
    const stdout = 'DEVNAME=/dev/vdb\nLABEL=data\\ disk\nUUID=8f6e6a01-cf4a\nBLOCK_SIZE=4096\nTYPE=ext4\nUSAGE=filesystem\n';
    const runner = new FakeCommandRunner().on('blkid', undefined, { stdout });
    await expect(mounter(runner).probe('/dev/vdb')).resolves.toEqual({ kind: 'filesystem', fsType: 'ext4', uuid: '8f6e6a01-cf4a', label: 'data disk' });
  });

  it('does not run blkid on a missing device (exit 2 would look blank) and says NotFound', async () => {
    const runner = new FakeCommandRunner();
    const err = await rejection(mounter(runner).probe('/dev/vdz'));
    expect(err.kind).toBe('NotFound');
    expect(err.message).toMatch(/\/dev\/vdz does not exist; is the volume attached/);
    expect(runner.calls).toEqual([]);
  });

  it('refuses a path that is not a block device', async () => {
    const fs = { ...hostFs(), stat: (async () => ({ isBlockDevice: () => false, rdev: 0n })) as unknown as HostFs['stat'] };
    const err = await rejection(mounter(new FakeCommandRunner(), fs).probe('/dev/vdb'));
    expect(err.kind).toBe('FailedPrecondition');
  });

  it('treats an ambivalent probe (exit 8) as unknown data and other failures as Internal', async () => {
    const runner = new FakeCommandRunner().once('blkid', undefined, { exitCode: 8 }).once('blkid', undefined, { exitCode: 4, stderr: 'blkid: I/O error' });
    await expect(mounter(runner).probe('/dev/vdb')).resolves.toMatchObject({ kind: 'unknown-data' });
    const err = await rejection(mounter(runner).probe('/dev/vdb'));
    expect(err.kind).toBe('Internal');
    expect(err.message).toMatch(/cannot probe \/dev\/vdb: blkid exited with 4: blkid: I\/O error/);
  });

  it('rejects a device path outside /dev before running anything', async () => {
    const runner = new FakeCommandRunner();
    expect((await rejection(mounter(runner).probe('/tmp/../dev/vdb'))).kind).toBe('InvalidArgument');
    expect((await rejection(mounter(runner).probe('-rf'))).kind).toBe('InvalidArgument');
    expect(runner.calls).toEqual([]);
  });
});

describe('parseBlkidExport', () => {
  it.each([
    ['a partition table', 'PTUUID=1234\nPTTYPE=gpt\n', { kind: 'partitioned', tableType: 'gpt' }],
    ['LUKS', 'UUID=x\nTYPE=crypto_LUKS\nUSAGE=crypto\n', { kind: 'unknown-data', detail: 'crypto_LUKS (crypto)' }],
    ['swap', 'TYPE=swap\nUSAGE=other\n', { kind: 'unknown-data', detail: 'swap (other)' }],
    ['an xfs filesystem', 'UUID=u\nTYPE=xfs\nUSAGE=filesystem\n', { kind: 'filesystem', fsType: 'xfs', uuid: 'u' }],
  ])('classifies %s', (_name, stdout, expected) => {
    expect(parseBlkidExport(stdout)).toEqual(expected);
  });
});

describe('formatDeviceNumber', () => {
  it.each([
    [0x700n, '7:0'],
    [0x10301n, '259:1'],
    [(8n << 8n) | 44n | (256n << 12n), '8:300'],
  ])('decodes dev_t %s as %s', (rdev, expected) => {
    expect(formatDeviceNumber(rdev)).toBe(expected);
  });
});

describe('LinuxMounter.wipeSignatures', () => {
  it('runs wipefs --all with -- before the device, and refuses a path outside /dev', async () => {
    const runner = new FakeCommandRunner().on('wipefs', undefined, {});
    await mounter(runner).wipeSignatures('/dev/vdb');
    expect(runner.argvs()).toEqual([['wipefs', '--all', '--', '/dev/vdb']]);
    await expect(mounter(new FakeCommandRunner()).wipeSignatures('/tmp/x')).rejects.toMatchObject({ kind: 'InvalidArgument' });
  });
});

describe('LinuxMounter.format', () => {
  it('formats a blank device as ext4 with -F and lazy init, after its own blank probe', async () => {
    const runner = new FakeCommandRunner().on('blkid', undefined, { exitCode: 2 }).on('mkfs.ext4', undefined, {});
    await mounter(runner).format('/dev/vdb', 'ext4', { label: 'pvc-1' });
    expect(runner.argvs()).toEqual([
      ['blkid', '-p', '-o', 'export', '--', '/dev/vdb'],
      ['mkfs.ext4', '-F', '-E', 'lazy_itable_init=1,lazy_journal_init=1', '-L', 'pvc-1', '--', '/dev/vdb'],
    ]);
  });

  it('formats xfs without -f so mkfs.xfs itself also refuses existing signatures', async () => {
    const runner = new FakeCommandRunner().on('blkid', undefined, { exitCode: 2 }).on('mkfs.xfs', undefined, {});
    await mounter(runner).format('/dev/vdb', 'xfs');
    expect(runner.callsOf('mkfs.xfs')[0]!.args).toEqual(['--', '/dev/vdb']);
  });

  it('never formats a device that already holds a filesystem', async () => {
    const runner = new FakeCommandRunner().on('blkid', undefined, { stdout: 'UUID=abc\nTYPE=xfs\nUSAGE=filesystem\n' });
    const err = await rejection(mounter(runner).format('/dev/vdb', 'ext4'));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toMatch(/refusing to format \/dev\/vdb as ext4: it already holds a xfs filesystem \(UUID abc\)/);
    expect(runner.callsOf('mkfs.ext4')).toEqual([]);
  });

  it('never formats a partitioned device', async () => {
    const runner = new FakeCommandRunner().on('blkid', undefined, { stdout: 'PTTYPE=dos\n' });
    expect((await rejection(mounter(runner).format('/dev/vdb', 'ext4'))).message).toMatch(/dos partition table/);
  });

  it('rejects an unsupported filesystem or label before touching the device', async () => {
    const runner = new FakeCommandRunner();
    expect((await rejection(mounter(runner).format('/dev/vdb', 'btrfs' as 'ext4'))).kind).toBe('InvalidArgument');
    expect((await rejection(mounter(runner).format('/dev/vdb', 'xfs', { label: 'much-too-long-label' }))).kind).toBe('InvalidArgument');
    expect(runner.calls).toEqual([]);
  });

  it('reports a failed mkfs as Internal with its stderr', async () => {
    const runner = new FakeCommandRunner().on('blkid', undefined, { exitCode: 2 }).on('mkfs.ext4', undefined, { exitCode: 1, stderr: 'mkfs.ext4: Device or resource busy' });
    const err = await rejection(mounter(runner).format('/dev/vdb', 'ext4'));
    expect(err.kind).toBe('Internal');
    expect(err.message).toMatch(/formatting \/dev\/vdb as ext4 failed: mkfs.ext4 exited with 1: mkfs.ext4: Device or resource busy/);
  });

  it('turns a tool that cannot be started into an Internal error keeping the cause', async () => {
    const spawnError = new Error('could not run mkfs.xfs: ENOENT; is it installed and on PATH?');
    const runner = new FakeCommandRunner().on('blkid', undefined, { exitCode: 2 }).on('mkfs.xfs', undefined, { reject: spawnError });
    const err = await rejection(mounter(runner).format('/dev/vdb', 'xfs'));
    expect(err.kind).toBe('Internal');
    expect(err.cause).toBe(spawnError);
  });
});

describe('LinuxMounter.mount', () => {
  it('runs mount -t <fs> -o <options> -- <source> <target>', async () => {
    const runner = new FakeCommandRunner().on('mount', undefined, {});
    await mounter(runner).mount('/dev/vdd', '/staging/new', 'ext4', ['noatime', 'discard']);
    expect(runner.argvs()).toEqual([['mount', '-t', 'ext4', '-o', 'noatime,discard', '--', '/dev/vdd', '/staging/new']]);
  });

  it('passes no -o without options', async () => {
    const runner = new FakeCommandRunner().on('mount', undefined, {});
    await mounter(runner).mount('/dev/vdd', '/staging/new', 'xfs', []);
    expect(runner.argvs()).toEqual([['mount', '-t', 'xfs', '--', '/dev/vdd', '/staging/new']]);
  });

  it('keeps mount flags out of the error message and its cause, even when mount echoes them', async () => {
    const runner = new FakeCommandRunner().on('mount', undefined, {
      exitCode: 32,
      stderr: "mount: /staging/new: unknown option 'password=s3cr3t-value'; options were noatime,password=s3cr3t-value.",
    });
    const err = await rejection(mounter(runner).mount('/dev/vdd', '/staging/new', 'ext4', ['noatime', 'password=s3cr3t-value']));
    expect(err.kind).toBe('Internal');
    expect(err.message).toMatch(/mounting \/dev\/vdd on \/staging\/new as ext4 failed: mount exited with 32/);
    const everything = `${err.message} ${JSON.stringify(err.cause, Object.getOwnPropertyNames(err.cause))} ${(err.cause as Error).message}`;
    expect(everything).not.toContain('s3cr3t');
    expect(everything).not.toMatch(/noatime/);
    expect(err.cause).toBeInstanceOf(CommandFailedError);
    expect((err.cause as CommandFailedError).args).toContain('[redacted],[redacted]');
  });

  it('refuses to stack a mount on a target that is already a mount point', async () => {
    const runner = new FakeCommandRunner();
    const err = await rejection(mounter(runner).mount('/dev/vdd', '/staging/vol', 'ext4', []));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toMatch(/\/staging\/vol is already a mount point \(ext4 from \/dev\/vdb\)/);
    expect(runner.calls).toEqual([]);
  });

  it('validates paths and the fs type before running mount', async () => {
    const runner = new FakeCommandRunner();
    const m = mounter(runner);
    expect((await rejection(m.mount('/dev/vdd', 'relative/target', 'ext4', []))).kind).toBe('InvalidArgument');
    expect((await rejection(m.mount('/dev/vdd', '/a/../b', 'ext4', []))).kind).toBe('InvalidArgument');
    expect((await rejection(m.mount('/home/x', '/t', 'ext4', []))).kind).toBe('InvalidArgument');
    expect((await rejection(m.mount('/dev/vdd', '/t', '--bind', []))).kind).toBe('InvalidArgument');
    expect(runner.calls).toEqual([]);
  });
});

describe('LinuxMounter.bindMount', () => {
  it('binds read-write with one mount --bind', async () => {
    const runner = new FakeCommandRunner().on('mount', undefined, {});
    await mounter(runner).bindMount('/staging/vol', '/pods/p2/mount', { readonly: false });
    expect(runner.argvs()).toEqual([['mount', '--bind', '--', '/staging/vol', '/pods/p2/mount']]);
  });

  it('makes a read-only bind with a second remount,bind,ro step', async () => {
    const runner = new FakeCommandRunner().on('mount', undefined, {});
    await mounter(runner).bindMount('/dev/vdb', '/pods/p2/dev', { readonly: true });
    expect(runner.argvs()).toEqual([
      ['mount', '--bind', '--', '/dev/vdb', '/pods/p2/dev'],
      ['mount', '-o', 'remount,bind,ro', '--', '/pods/p2/dev'],
    ]);
  });

  it('removes the bind again when it cannot be made read-only', async () => {
    const runner = new FakeCommandRunner()
      .once('mount', ['--bind', '--', '/staging/vol', '/pods/p2/mount'], {})
      .once('mount', undefined, { exitCode: 32, stderr: 'mount: permission denied' })
      .on('umount', ['--', '/pods/p2/mount'], {});
    const err = await rejection(mounter(runner).bindMount('/staging/vol', '/pods/p2/mount', { readonly: true }));
    expect(err.kind).toBe('Internal');
    expect(err.message).toMatch(/read-only failed.*the bind mount was removed again/);
    expect(runner.argvs().at(-1)).toEqual(['umount', '--', '/pods/p2/mount']);
  });

  it('refuses a target that is already mounted', async () => {
    const err = await rejection(mounter(new FakeCommandRunner()).bindMount('/staging/vol', '/pods/p1/mount', { readonly: true }));
    expect(err.kind).toBe('FailedPrecondition');
  });
});

describe('LinuxMounter.unmount', () => {
  it('does nothing when the target is not a mount point', async () => {
    const runner = new FakeCommandRunner();
    await mounter(runner).unmount('/pods/gone/mount');
    expect(runner.calls).toEqual([]);
  });

  it('runs umount -- <target> for a mount point', async () => {
    const runner = new FakeCommandRunner().on('umount', undefined, {});
    await mounter(runner).unmount('/pods/p1/mount');
    expect(runner.argvs()).toEqual([['umount', '--', '/pods/p1/mount']]);
  });

  it('reports Busy when umount fails and the target stays mounted', async () => {
    const runner = new FakeCommandRunner().on('umount', undefined, { exitCode: 32, stderr: 'umount: /pods/p1/mount: target is busy.' });
    const err = await rejection(mounter(runner).unmount('/pods/p1/mount'));
    expect(err.kind).toBe('Busy');
    expect(err.code).toBe('MOUNT_BUSY');
    expect(err.message).toMatch(/unmounting \/pods\/p1\/mount failed.*retry when it is released/);
  });

  it('succeeds when umount fails because someone else unmounted it meanwhile', async () => {
    let table = MOUNTINFO;
    const fs = { ...hostFs(), readFile: (async () => table) as unknown as HostFs['readFile'] };
    const runner = new FakeCommandRunner().on('umount', undefined, () => {
      table = MOUNTINFO.split('\n').filter((l) => !l.includes('/pods/p1/mount')).join('\n');
      return { exitCode: 32, stderr: 'umount: /pods/p1/mount: not mounted.' };
    });
    await expect(mounter(runner, fs).unmount('/pods/p1/mount')).resolves.toBeUndefined();
  });
});

describe('LinuxMounter.resizeFilesystem', () => {
  it('grows ext4 with resize2fs -- <device>', async () => {
    const runner = new FakeCommandRunner().on('resize2fs', undefined, {});
    await mounter(runner).resizeFilesystem('/dev/vdb', '/staging/vol', 'ext4');
    expect(runner.argvs()).toEqual([['resize2fs', '--', '/dev/vdb']]);
  });

  it('grows xfs with xfs_growfs -- <mount point>', async () => {
    const runner = new FakeCommandRunner().on('xfs_growfs', undefined, {});
    await mounter(runner).resizeFilesystem('/dev/vdc', '/staging/xfsvol', 'xfs');
    expect(runner.argvs()).toEqual([['xfs_growfs', '--', '/staging/xfsvol']]);
  });

  it('refuses when the mount path holds another device or fs type', async () => {
    const runner = new FakeCommandRunner();
    expect((await rejection(mounter(runner).resizeFilesystem('/dev/vdc', '/staging/vol', 'xfs'))).message).toMatch(/that path holds ext4 from \/dev\/vdb/);
    expect((await rejection(mounter(runner).resizeFilesystem('/dev/vdb', '/staging/vol', 'xfs'))).kind).toBe('FailedPrecondition');
    expect(runner.calls).toEqual([]);
  });

  it('refuses when nothing is mounted at the path', async () => {
    const err = await rejection(mounter(new FakeCommandRunner()).resizeFilesystem('/dev/vdb', '/staging/other', 'ext4'));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toMatch(/stage the volume before expanding/);
  });

  it('reports a failed resize as Internal', async () => {
    const runner = new FakeCommandRunner().on('resize2fs', undefined, { exitCode: 1, stderr: 'resize2fs: Permission denied' });
    expect((await rejection(mounter(runner).resizeFilesystem('/dev/vdb', '/staging/vol', 'ext4'))).kind).toBe('Internal');
  });
});

describe('LinuxMounter.blockDeviceSizeBytes', () => {
  it('runs blockdev --getsize64 <path> (blockdev takes no "--") and parses the bytes', async () => {
    const runner = new FakeCommandRunner().on('blockdev', undefined, { stdout: '10737418240\n' });
    await expect(mounter(runner).blockDeviceSizeBytes('/dev/vdb')).resolves.toBe(10737418240);
    expect(runner.argvs()).toEqual([['blockdev', '--getsize64', '/dev/vdb']]);
  });

  it('treats unparsable output as Internal and a missing device as NotFound', async () => {
    const runner = new FakeCommandRunner().on('blockdev', undefined, { stdout: 'garbage' });
    expect((await rejection(mounter(runner).blockDeviceSizeBytes('/dev/vdb'))).kind).toBe('Internal');
    expect((await rejection(mounter(runner).blockDeviceSizeBytes('/dev/vdz'))).kind).toBe('NotFound');
  });
});

describe('LinuxMounter mount table queries', () => {
  it('finds the mount at a path and nothing at a plain directory', async () => {
    const m = mounter(new FakeCommandRunner());
    await expect(m.findMount('/pods/p1/mount')).resolves.toMatchObject({ source: '/dev/vdb', readonly: true, majorMinor: '253:16' });
    await expect(m.findMount('/pods')).resolves.toBeUndefined();
  });

  it('lists every mount of a device, bind mounts included', async () => {
    const mounts = await mounter(new FakeCommandRunner()).mountsOfDevice('/dev/vdb');
    expect(mounts.map((x) => x.mountPoint)).toEqual(['/staging/vol', '/pods/p1/mount']);
  });

  it('reads the device number of a block device and nothing for a missing path', async () => {
    const m = mounter(new FakeCommandRunner());
    await expect(m.deviceNumberOf('/dev/vdc')).resolves.toBe('253:32');
    await expect(m.deviceNumberOf('/dev/vdz')).resolves.toBeUndefined();
  });

  it('reports an unreadable mount table as Internal', async () => {
    const fs = { ...hostFs(), readFile: (async () => Promise.reject(enoent('/proc/self/mountinfo'))) as unknown as HostFs['readFile'] };
    expect((await rejection(mounter(new FakeCommandRunner(), fs).findMount('/x'))).message).toMatch(/is \/proc mounted\?/);
  });
});

describe('LinuxMounter path helpers (on a temp dir)', () => {
  let dir: string;
  let m: LinuxMounter;

  beforeEach(async () => {
    dir = await nodeFs.mkdtemp(join(tmpdir(), 'linux-mounter-unit-'));
    m = mounter(new FakeCommandRunner());
  });

  afterEach(async () => {
    await nodeFs.rm(dir, { recursive: true, force: true });
  });

  it('creates a directory idempotently and refuses a file in the way', async () => {
    await m.makeDir(join(dir, 'target'));
    await m.makeDir(join(dir, 'target'));
    expect(await m.pathKind(join(dir, 'target'))).toBe('dir');
    await nodeFs.writeFile(join(dir, 'file'), 'x');
    expect((await rejection(m.makeDir(join(dir, 'file')))).kind).toBe('FailedPrecondition');
  });

  it('needs the parent directory to exist', async () => {
    const err = await rejection(m.makeDir(join(dir, 'missing', 'target')));
    expect(err.kind).toBe('NotFound');
    expect(err.message).toMatch(/parent directory does not exist/);
  });

  it('creates an empty file idempotently and refuses a directory in the way', async () => {
    await m.makeFile(join(dir, 'dev'));
    await m.makeFile(join(dir, 'dev'));
    expect((await nodeFs.stat(join(dir, 'dev'))).size).toBe(0);
    await nodeFs.mkdir(join(dir, 'd'));
    expect((await rejection(m.makeFile(join(dir, 'd')))).kind).toBe('FailedPrecondition');
  });

  it('removes empty directories and empty files, and missing paths are fine', async () => {
    await nodeFs.mkdir(join(dir, 'd'));
    await nodeFs.writeFile(join(dir, 'f'), '');
    await m.removePath(join(dir, 'd'));
    await m.removePath(join(dir, 'f'));
    await m.removePath(join(dir, 'never-existed'));
    expect(await m.pathKind(join(dir, 'd'))).toBe('missing');
    expect(await m.pathKind(join(dir, 'f'))).toBe('missing');
  });

  it('never removes recursively or deletes a file with data', async () => {
    await nodeFs.mkdir(join(dir, 'd'));
    await nodeFs.writeFile(join(dir, 'd', 'keep'), 'data');
    expect((await rejection(m.removePath(join(dir, 'd')))).message).toMatch(/not empty; removal is never recursive/);
    expect((await rejection(m.removePath(join(dir, 'd', 'keep')))).kind).toBe('FailedPrecondition');
    expect(await nodeFs.readFile(join(dir, 'd', 'keep'), 'utf8')).toBe('data');
  });

  it('refuses to remove a symlink or a mount point', async () => {
    await nodeFs.symlink('/etc', join(dir, 'link'));
    expect(await m.pathKind(join(dir, 'link'))).toBe('symlink');
    expect((await rejection(m.removePath(join(dir, 'link')))).kind).toBe('FailedPrecondition');
    const mountedAtDir = `22 1 254:1 / / rw - ext4 /dev/vda1 rw\n100 22 253:16 / ${dir} rw - ext4 /dev/vdb rw\n`;
    const busy = mounter(new FakeCommandRunner(), hostFs(mountedAtDir));
    expect((await rejection(busy.removePath(dir))).kind).toBe('Busy');
  });

  it('reads byte and inode usage with statfs and says NotFound for a missing path', async () => {
    const stats = await m.filesystemStats(dir);
    expect(stats.totalBytes).toBeGreaterThan(0);
    expect(stats.usedBytes + stats.availableBytes).toBeLessThanOrEqual(stats.totalBytes);
    expect(stats.usedInodes).toBe(stats.totalInodes - stats.freeInodes);
    expect((await rejection(m.filesystemStats(join(dir, 'nope')))).kind).toBe('NotFound');
  });

  it('reports an I/O error from stat as an unreachable path', async () => {
    const fs = { ...hostFs(), lstat: (async () => Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' }))) as unknown as HostFs['lstat'] };
    expect(await mounter(new FakeCommandRunner(), fs).pathKind('/pods/p1/mount')).toBe('unreachable');
  });
});

describe('MountError', () => {
  it('has a stable code per kind', () => {
    expect(new MountError('NotFound', 'x').code).toBe('MOUNT_NOT_FOUND');
    expect(isMountError(new MountError('Internal', 'x'), 'Internal')).toBe(true);
    expect(isMountError(new Error('x'))).toBe(false);
  });
});

describe('LinuxMounter redaction of short mount options', () => {
  it('redacts a short option only as a whole token, so surrounding words stay readable', async () => {
    const runner = new FakeCommandRunner().on('mount', undefined, { exitCode: 32, stderr: 'mount: error: option ro rejected' });
    const err = await rejection(mounter(runner).mount('/dev/vdd', '/staging/new', 'ext4', ['ro']));
    expect(err.message).toContain('mount: error: option [redacted] rejected');
  });
});

describe('FakeCommandRunner (the double these tests rely on)', () => {
  it('rejects an unscripted command loudly, showing its argv and what was scripted', async () => {
    const runner = new FakeCommandRunner().on('blkid', ['-p'], {});
    await expect(runner.run('mkfs.ext4', ['--', '/dev/vdb'])).rejects.toThrow(
      'unscripted command ["mkfs.ext4","--","/dev/vdb"]; scripted: blkid ["-p"]',
    );
    expect(runner.argvs()).toEqual([['mkfs.ext4', '--', '/dev/vdb']]);
  });

  it('uses a once-script a single time, then falls through to the next match', async () => {
    const runner = new FakeCommandRunner().once('umount', undefined, { exitCode: 32 }).on('umount', undefined, {});
    expect((await runner.run('umount', ['--', '/t'])).exitCode).toBe(32);
    expect((await runner.run('umount', ['--', '/t'])).exitCode).toBe(0);
  });
});
