import type { StatsFs } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { CommandFailedError, type CommandResult, type CommandRunner } from '../../shared/exec.js';
import { isErrno, messageOf } from '../../shared/errors.js';
import { silentLogger, type Logger } from '../../shared/log.js';
import { MountError, type MountErrorKind } from './mount-error.js';
import { parseMountInfo, topmostMountAt, type MountPoint } from './mountinfo.js';
import type { BindMountOptions, FilesystemStats, FormatOptions, Mounter, PathKind, ProbeResult } from './mounter.js';
import {
  validateDevicePath,
  validateFsType,
  validateFsTypeName,
  validateHostPath,
  validateLabel,
  validateMountOptions,
  type FsType,
} from './paths.js';

/** The node:fs/promises functions the adapter uses (tests swap single functions, e.g. `stat`). */
export type HostFs = Pick<typeof nodeFs, 'readFile' | 'stat' | 'lstat' | 'statfs' | 'mkdir' | 'writeFile' | 'rmdir' | 'unlink'>;

/** Construction options of LinuxMounter. */
export interface LinuxMounterOptions {
  runner: CommandRunner;
  fs?: HostFs;
  logger?: Logger;
  /** Defaults to /proc/self/mountinfo. */
  mountInfoPath?: string;
  /** mkfs can take minutes on large devices even with lazy init. Default 10 min. */
  formatTimeoutMs?: number;
  /** resize2fs / xfs_growfs on a large grow. Default 10 min. */
  resizeTimeoutMs?: number;
  /** blkid, mount, umount, blockdev. Default 60 s (a hung NFS-like mount must not hang the RPC forever). */
  commandTimeoutMs?: number;
}

const DEFAULT_FORMAT_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_RESIZE_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;
/** blkid's exit code when it found no signature at all (blkid(8)). */
const BLKID_NOTHING_FOUND = 2;
/** blkid's exit code for an ambivalent low-level probe (several signatures). */
const BLKID_AMBIVALENT = 8;
const UNREACHABLE_ERRNOS = ['EIO', 'ENOTCONN', 'ESTALE', 'EHOSTDOWN'];

/** Decodes a Linux dev_t (glibc's gnu_dev_major/minor layout) into "major:minor". */
export function formatDeviceNumber(rdev: bigint): string {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & 0xfffff000n);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & 0xffffff00n);
  return `${major}:${minor}`;
}

/** Parses `blkid -p -o export` output (exit 0) into a ProbeResult. */
export function parseBlkidExport(stdout: string): ProbeResult {
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    // export format escapes shell-special characters with a backslash
    values.set(line.slice(0, eq).trim(), line.slice(eq + 1).replace(/\\(.)/g, '$1'));
  }
  const type = values.get('TYPE');
  const usage = values.get('USAGE');
  if (type !== undefined && usage === 'filesystem') {
    const result: ProbeResult = { kind: 'filesystem', fsType: type };
    const uuid = values.get('UUID');
    const label = values.get('LABEL');
    if (uuid !== undefined) result.uuid = uuid;
    if (label !== undefined) result.label = label;
    return result;
  }
  const table = values.get('PTTYPE');
  if (table !== undefined) return { kind: 'partitioned', tableType: table };
  if (type !== undefined) return { kind: 'unknown-data', detail: `${type}${usage === undefined ? '' : ` (${usage})`}` };
  return { kind: 'unknown-data', detail: 'a signature blkid reports without a type' };
}

/** A human description of a probe result, for messages. */
export function describeProbe(probe: ProbeResult): string {
  switch (probe.kind) {
    case 'blank':
      return 'no filesystem';
    case 'filesystem':
      return `a ${probe.fsType} filesystem${probe.uuid === undefined ? '' : ` (UUID ${probe.uuid})`}`;
    case 'partitioned':
      return `a ${probe.tableType} partition table`;
    case 'unknown-data':
      return `data that is not a mountable filesystem: ${probe.detail}`;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Replaces every occurrence of a secret (a mount option) in `text`, longest first. Options shorter than 4
 * characters ("ro", "rw") only count as whole alphanumeric tokens, so "error" does not become "er[redacted]r".
 */
function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret === '') continue;
    const pattern = secret.length >= 4 ? escapeRegExp(secret) : `(?<![A-Za-z0-9])${escapeRegExp(secret)}(?![A-Za-z0-9])`;
    out = out.replace(new RegExp(pattern, 'g'), '[redacted]');
  }
  return out;
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}

/** The real Mounter: util-linux, e2fsprogs and xfsprogs through the CommandRunner, node:fs for the rest. */
export class LinuxMounter implements Mounter {
  private readonly runner: CommandRunner;
  private readonly fs: HostFs;
  private readonly logger: Logger;
  private readonly mountInfoPath: string;
  private readonly formatTimeoutMs: number;
  private readonly resizeTimeoutMs: number;
  private readonly commandTimeoutMs: number;

  constructor(options: LinuxMounterOptions) {
    this.runner = options.runner;
    this.fs = options.fs ?? nodeFs;
    this.logger = options.logger ?? silentLogger();
    this.mountInfoPath = options.mountInfoPath ?? '/proc/self/mountinfo';
    this.formatTimeoutMs = options.formatTimeoutMs ?? DEFAULT_FORMAT_TIMEOUT_MS;
    this.resizeTimeoutMs = options.resizeTimeoutMs ?? DEFAULT_RESIZE_TIMEOUT_MS;
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  }

  async findMount(path: string): Promise<MountPoint | undefined> {
    validateHostPath(path, 'mount path');
    return topmostMountAt(await this.mountTable(), path);
  }

  async mountsOfDevice(device: string): Promise<MountPoint[]> {
    validateDevicePath(device);
    const number = await this.deviceNumberOf(device);
    return (await this.mountTable()).filter((m) => m.source === device || (number !== undefined && m.majorMinor === number));
  }

  async deviceNumberOf(path: string): Promise<string | undefined> {
    validateHostPath(path, 'device path');
    try {
      const stats = await this.fs.stat(path, { bigint: true });
      return stats.isBlockDevice() ? formatDeviceNumber(stats.rdev) : undefined;
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      throw new MountError('Internal', `cannot stat ${path} to read its device number: ${messageOf(err)}`, { cause: err });
    }
  }

  async probe(device: string): Promise<ProbeResult> {
    validateDevicePath(device);
    // blkid also exits 2 when it cannot open the device, so make sure it exists before "2" may mean blank.
    await this.requireBlockDevice(device);
    const args = ['-p', '-o', 'export', '--', device];
    const result = await this.exec('blkid', args, this.commandTimeoutMs, `probe ${device}`);
    if (result.exitCode === BLKID_NOTHING_FOUND) return { kind: 'blank' };
    if (result.exitCode === BLKID_AMBIVALENT) return { kind: 'unknown-data', detail: 'several conflicting signatures' };
    if (result.exitCode !== 0) {
      throw this.failure('Internal', 'blkid', args, result, `cannot probe ${device}`, 'check that the device is readable (dmesg may show I/O errors)');
    }
    return parseBlkidExport(result.stdout);
  }

  async wipeSignatures(device: string): Promise<void> {
    validateDevicePath(device);
    const args = ['--all', '--', device];
    this.logger.warn({ device }, 'wiping the signatures of a device whose format was interrupted');
    const result = await this.exec('wipefs', args, this.formatTimeoutMs, `wipe ${device}`);
    if (result.exitCode !== 0) {
      throw this.failure('Internal', 'wipefs', args, result, `wiping the interrupted format on ${device} failed`, 'check the device is not in use');
    }
  }

  async format(device: string, fsType: FsType, options: FormatOptions = {}): Promise<void> {
    validateDevicePath(device);
    const fs = validateFsType(fsType);
    if (options.label !== undefined) validateLabel(options.label, fs);
    // Never format over data: only a device blkid finds nothing on is formatted (the "safe format" rule).
    const probe = await this.probe(device);
    if (probe.kind !== 'blank') {
      throw new MountError(
        'FailedPrecondition',
        `refusing to format ${device} as ${fs}: it already holds ${describeProbe(probe)}; ` +
          'only blank devices are formatted, so use the existing filesystem type or wipe the device yourself if its data is disposable',
      );
    }
    const label = options.label === undefined ? [] : ['-L', options.label];
    const [command, args] =
      fs === 'xfs'
        ? // no -f: mkfs.xfs then refuses existing signatures itself, a second guard against a racing writer
          ['mkfs.xfs', [...label, '--', device]]
        : // -F: mke2fs may otherwise stop to ask on a whole-disk device; our own blank probe already ran.
          // lazy init: write inode tables and the journal in the background instead of during mkfs.
          [`mkfs.${fs}`, ['-F', '-E', 'lazy_itable_init=1,lazy_journal_init=1', ...label, '--', device]];
    this.logger.info({ device, fsType: fs }, 'formatting blank device');
    const result = await this.exec(command, args, this.formatTimeoutMs, `format ${device} as ${fs}`);
    if (result.exitCode !== 0) {
      throw this.failure('Internal', command, args, result, `formatting ${device} as ${fs} failed`, 'check the device is not in use and is writable');
    }
  }

  async mount(source: string, target: string, fsType: string, options: readonly string[]): Promise<void> {
    validateDevicePath(source);
    validateHostPath(target, 'mount target');
    validateFsTypeName(fsType);
    validateMountOptions(options);
    await this.requireNotMountPoint(target);
    const args = ['-t', fsType, ...(options.length > 0 ? ['-o', options.join(',')] : []), '--', source, target];
    this.logger.info({ source, target, fsType }, 'mounting');
    const result = await this.exec('mount', args, this.commandTimeoutMs, `mount ${source} on ${target}`);
    if (result.exitCode !== 0) {
      throw this.failure(
        'Internal',
        'mount',
        args,
        result,
        `mounting ${source} on ${target} as ${fsType} failed`,
        `check that ${source} holds a ${fsType} filesystem, ${target} is a directory and the mount options are valid`,
        options,
      );
    }
  }

  async bindMount(source: string, target: string, options: BindMountOptions): Promise<void> {
    validateHostPath(source, 'bind source');
    validateHostPath(target, 'bind target');
    await this.requireNotMountPoint(target);
    const args = ['--bind', '--', source, target];
    this.logger.info({ source, target, readonly: options.readonly }, 'bind-mounting');
    const result = await this.exec('mount', args, this.commandTimeoutMs, `bind-mount ${source} on ${target}`);
    if (result.exitCode !== 0) {
      throw this.failure('Internal', 'mount', args, result, `bind-mounting ${source} on ${target} failed`, 'check both paths exist and are of the same kind (directory or file)');
    }
    if (!options.readonly) return;
    // The kernel ignores "ro" on the initial bind: read-only takes a second, remount step.
    const remount = ['-o', 'remount,bind,ro', '--', target];
    const ro = await this.exec('mount', remount, this.commandTimeoutMs, `remount ${target} read-only`);
    if (ro.exitCode !== 0) {
      // Never leave a writable bind behind where a read-only one was asked for.
      await this.exec('umount', ['--', target], this.commandTimeoutMs, `undo bind-mount on ${target}`).catch(() => undefined);
      throw this.failure('Internal', 'mount', remount, ro, `making the bind mount on ${target} read-only failed`, 'the bind mount was removed again; retry');
    }
  }

  async unmount(target: string): Promise<void> {
    validateHostPath(target, 'unmount target');
    // Idempotent: nothing mounted there (or no such path) is success.
    const mounted = await this.findMount(target);
    if (mounted === undefined) return;
    const args = ['--', target];
    this.logger.info({ target }, 'unmounting');
    const result = await this.exec('umount', args, this.commandTimeoutMs, `unmount ${target}`);
    if (result.exitCode === 0) return;
    const still = await this.findMount(target);
    if (still?.mountId !== mounted.mountId) return; // someone else unmounted it meanwhile
    throw this.failure('Busy', 'umount', args, result, `unmounting ${target} failed`, 'something still uses it (open files, a process cwd, a nested mount); retry when it is released');
  }

  async resizeFilesystem(device: string, mountPath: string, fsType: FsType): Promise<void> {
    validateDevicePath(device);
    validateHostPath(mountPath, 'mount path');
    const fs = validateFsType(fsType);
    const mounted = await this.findMount(mountPath);
    if (mounted === undefined) {
      throw new MountError('FailedPrecondition', `cannot grow the filesystem of ${device}: ${mountPath} is not mounted; stage the volume before expanding it`);
    }
    const number = await this.deviceNumberOf(device);
    if (number === undefined) throw new MountError('NotFound', `cannot grow the filesystem of ${device}: it is not a block device on this node; is the volume attached?`);
    if (mounted.majorMinor !== number || mounted.fsType !== fs) {
      throw new MountError(
        'FailedPrecondition',
        `cannot grow ${fs} on ${device} (${number}) at ${mountPath}: that path holds ${mounted.fsType} from ${mounted.source} (${mounted.majorMinor}); pass the device and fs type of the staged volume`,
      );
    }
    // resize2fs takes the device (and grows online when mounted); xfs_growfs only takes the mount point.
    const [command, args] = fs === 'xfs' ? ['xfs_growfs', ['--', mountPath]] : ['resize2fs', ['--', device]];
    this.logger.info({ device, mountPath, fsType: fs }, 'growing filesystem');
    const result = await this.exec(command, args, this.resizeTimeoutMs, `grow ${fs} on ${device}`);
    if (result.exitCode !== 0) {
      throw this.failure(
        'Internal',
        command,
        args,
        result,
        `growing the ${fs} filesystem on ${device} (mounted at ${mountPath}) failed`,
        // ext4's online-resize ioctl answers EPERM without CAP_SYS_RESOURCE, which unprivileged containers lack
        fs === 'xfs' ? 'check dmesg; the filesystem may need a repair' : 'online growing needs CAP_SYS_RESOURCE (run the node plugin privileged); else check dmesg',
      );
    }
  }

  async filesystemStats(path: string): Promise<FilesystemStats> {
    validateHostPath(path, 'volume path');
    let s: StatsFs;
    try {
      s = await this.fs.statfs(path);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new MountError('NotFound', `cannot read usage of ${path}: it does not exist; is the volume staged/published there?`, { cause: err });
      throw new MountError('Internal', `cannot read usage of ${path}: ${messageOf(err)}; the mount may be broken`, { cause: err });
    }
    return {
      totalBytes: s.blocks * s.bsize,
      availableBytes: s.bavail * s.bsize,
      usedBytes: (s.blocks - s.bfree) * s.bsize,
      totalInodes: s.files,
      freeInodes: s.ffree,
      usedInodes: s.files - s.ffree,
    };
  }

  async blockDeviceSizeBytes(path: string): Promise<number> {
    validateHostPath(path, 'block device path');
    await this.requireBlockDevice(path);
    // blockdev parses its arguments itself and has no "--"; the validated path starts with "/", so it is never an option.
    const args = ['--getsize64', path];
    const result = await this.exec('blockdev', args, this.commandTimeoutMs, `read the size of ${path}`);
    const text = result.stdout.trim();
    if (result.exitCode !== 0 || !/^\d+$/.test(text)) {
      throw this.failure('Internal', 'blockdev', args, result, `reading the size of block device ${path} failed`, 'check the device is still attached');
    }
    return Number(text);
  }

  async makeDir(path: string): Promise<void> {
    validateHostPath(path, 'directory path');
    try {
      await this.fs.mkdir(path, { mode: 0o750 });
    } catch (err) {
      if (isErrno(err, 'EEXIST')) {
        const kind = await this.pathKind(path);
        if (kind === 'dir') return; // idempotent: already a directory
        throw new MountError('FailedPrecondition', `cannot create directory ${path}: a ${kind} is already there; remove it or use another path`, { cause: err });
      }
      throw this.pathError(err, `create directory ${path}`);
    }
  }

  async makeFile(path: string): Promise<void> {
    validateHostPath(path, 'file path');
    try {
      await this.fs.writeFile(path, '', { flag: 'wx', mode: 0o640 });
    } catch (err) {
      if (isErrno(err, 'EEXIST')) {
        const kind = await this.pathKind(path);
        if (kind === 'file') return; // idempotent: already a regular file
        throw new MountError('FailedPrecondition', `cannot create file ${path}: a ${kind} is already there; remove it or use another path`, { cause: err });
      }
      throw this.pathError(err, `create file ${path}`);
    }
  }

  async removePath(path: string): Promise<void> {
    validateHostPath(path, 'path to remove');
    const kind = await this.pathKind(path);
    if (kind === 'missing') return; // idempotent
    if ((await this.findMount(path)) !== undefined) {
      throw new MountError('Busy', `refusing to remove ${path}: it is still a mount point; unmount it first`);
    }
    try {
      if (kind === 'dir') {
        await this.fs.rmdir(path);
        return;
      }
      if (kind === 'file') {
        // Only empty files are ours to delete (the block-publish target); anything else is someone's data.
        const stats = await this.fs.lstat(path);
        if (stats.size > 0) {
          throw new MountError('FailedPrecondition', `refusing to remove ${path}: it is a non-empty regular file, not a target this driver created; remove it by hand if it is disposable`);
        }
        await this.fs.unlink(path);
        return;
      }
    } catch (err) {
      if (err instanceof MountError) throw err;
      if (isErrno(err, 'ENOENT')) return;
      if (isErrno(err, 'ENOTEMPTY') || isErrno(err, 'EEXIST')) {
        throw new MountError('FailedPrecondition', `refusing to remove directory ${path}: it is not empty; removal is never recursive, check what was written there`, { cause: err });
      }
      throw this.pathError(err, `remove ${path}`);
    }
    throw new MountError('FailedPrecondition', `refusing to remove ${path}: it is a ${kind}, and only empty directories and empty files are removed`);
  }

  async pathKind(path: string): Promise<PathKind> {
    validateHostPath(path, 'path');
    try {
      const s = await this.fs.lstat(path);
      if (s.isDirectory()) return 'dir';
      if (s.isFile()) return 'file';
      if (s.isBlockDevice()) return 'block';
      if (s.isSymbolicLink()) return 'symlink';
      return 'other';
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return 'missing';
      if (UNREACHABLE_ERRNOS.some((code) => isErrno(err, code))) return 'unreachable';
      throw new MountError('Internal', `cannot stat ${path}: ${messageOf(err)}`, { cause: err });
    }
  }

  private async mountTable(): Promise<MountPoint[]> {
    let text: string;
    try {
      text = await this.fs.readFile(this.mountInfoPath, 'utf8');
    } catch (err) {
      throw new MountError('Internal', `cannot read the mount table ${this.mountInfoPath}: ${messageOf(err)}; is /proc mounted?`, { cause: err });
    }
    return parseMountInfo(text);
  }

  private async requireBlockDevice(path: string): Promise<void> {
    let isBlock: boolean;
    try {
      isBlock = (await this.fs.stat(path)).isBlockDevice();
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) {
        throw new MountError('NotFound', `block device ${path} does not exist; is the volume attached to this node?`, { cause: err });
      }
      throw new MountError('Internal', `cannot stat block device ${path}: ${messageOf(err)}`, { cause: err });
    }
    if (!isBlock) throw new MountError('FailedPrecondition', `${path} is not a block device; pass the volume's device`);
  }

  private async requireNotMountPoint(target: string): Promise<void> {
    const existing = await this.findMount(target);
    if (existing !== undefined) {
      throw new MountError(
        'FailedPrecondition',
        `${target} is already a mount point (${existing.fsType} from ${existing.source}); unmount it first or treat the existing mount as the result`,
      );
    }
  }

  private pathError(err: unknown, what: string): MountError {
    if (isErrno(err, 'ENOENT')) return new MountError('NotFound', `cannot ${what}: its parent directory does not exist; create the parent first`, { cause: err });
    if (isErrno(err, 'EBUSY')) return new MountError('Busy', `cannot ${what}: it is busy (a mount point?); unmount it first`, { cause: err });
    return new MountError('Internal', `cannot ${what}: ${messageOf(err)}`, { cause: err });
  }

  private async exec(command: string, args: readonly string[], timeoutMs: number, what: string): Promise<CommandResult> {
    try {
      return await this.runner.run(command, args, { timeoutMs });
    } catch (err) {
      // the runner's spawn error names the command only, never the arguments (which may hold mount flags)
      throw new MountError('Internal', `cannot ${what}: ${messageOf(err)}`, { cause: err });
    }
  }

  /** A MountError for a failed tool run; `secrets` (mount options) are redacted from message and cause. */
  private failure(
    kind: MountErrorKind,
    command: string,
    args: readonly string[],
    result: CommandResult,
    what: string,
    advice: string,
    secrets: readonly string[] = [],
  ): MountError {
    const safe: CommandResult = { exitCode: result.exitCode, stdout: redact(result.stdout, secrets), stderr: redact(result.stderr, secrets) };
    const safeArgs = args.map((arg) => redact(arg, secrets));
    const detail = lastLines(safe.stderr || safe.stdout) || 'no output';
    return new MountError(kind, `${what}: ${command} exited with ${result.exitCode}: ${detail}; ${advice}`, {
      cause: new CommandFailedError(command, safeArgs, safe),
    });
  }
}
