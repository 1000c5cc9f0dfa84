import { posix } from 'node:path';
import { MountError } from '../../src/csi/mount/mount-error.js';
import { topmostMountAt, type MountPoint } from '../../src/csi/mount/mountinfo.js';
import type {
  BindMountOptions,
  FilesystemStats,
  FormatOptions,
  Mounter,
  PathKind,
  ProbeResult,
} from '../../src/csi/mount/mounter.js';
import {
  validateDevicePath,
  validateFsType,
  validateFsTypeName,
  validateHostPath,
  validateLabel,
  validateMountOptions,
  type FsType,
} from '../../src/csi/mount/paths.js';

/** A simulated block device and the filesystem on it. */
export interface FakeDevice {
  path: string;
  majorMinor: string;
  sizeBytes: number;
  content: ProbeResult;
  /** Size of the filesystem on it (grows only through resizeFilesystem). */
  fsSizeBytes: number;
  usedBytes: number;
  totalInodes: number;
  usedInodes: number;
  /** How often format() wrote a filesystem on it. */
  formatCount: number;
  /** Set by detachDevice: the device node is gone but mounts of it stay (and turn unreachable). */
  detached: boolean;
}

/** Options of FakeMounter.addDevice. */
export interface AddDeviceOptions {
  sizeBytes?: number;
  content?: ProbeResult;
  majorMinor?: string;
}

/** One recorded Mounter call. */
export interface FakeMounterCall {
  method: keyof Mounter;
  args: unknown[];
}

type FakeNode = { kind: 'dir' } | { kind: 'file'; size: number };

const GIB = 1024 ** 3;
const ROOT_MOUNT: MountPoint = {
  mountId: 1,
  parentId: 0,
  majorMinor: '254:1',
  root: '/',
  mountPoint: '/',
  mountOptions: ['rw', 'relatime'],
  readonly: false,
  optionalFields: ['shared:1'],
  fsType: 'ext4',
  source: '/dev/vda1',
  superOptions: ['rw'],
};
const DEVTMPFS = { majorMinor: '0:5', fsType: 'devtmpfs', source: 'udev' };
const BYTES_PER_INODE = 16 * 1024;

function within(path: string, dir: string): boolean {
  return dir === '/' ? path.startsWith('/') : path === dir || path.startsWith(`${dir}/`);
}

/**
 * A stateful in-memory Mounter for node-service tests: devices with contents, a mount table, directories and files.
 * It validates and fails like LinuxMounter (same MountError kinds), records calls, and takes one-shot faults.
 */
export class FakeMounter implements Mounter {
  readonly calls: FakeMounterCall[] = [];
  /** Usage reported for paths on the host's root filesystem. */
  hostStats: FilesystemStats = {
    totalBytes: 100 * GIB,
    availableBytes: 60 * GIB,
    usedBytes: 40 * GIB,
    totalInodes: 6_553_600,
    freeInodes: 6_000_000,
    usedInodes: 553_600,
  };
  private readonly devices = new Map<string, FakeDevice>();
  private readonly nodes = new Map<string, FakeNode>([['/', { kind: 'dir' }]]);
  private readonly mounts: MountPoint[] = [{ ...ROOT_MOUNT }];
  /** target → device path, for device files bind-mounted onto files. */
  private readonly blockBinds = new Map<number, string>();
  private readonly detachedDevices: FakeDevice[] = [];
  private readonly busy = new Set<string>();
  private readonly faults = new Map<keyof Mounter, Error[]>();
  private nextMountId = 100;
  private nextMinor = 0;
  private nextUuid = 1;

  // ---- test setup and inspection ----

  /** Adds a block device (blank, 10 GiB by default) and its parent directories. */
  addDevice(path: string, options: AddDeviceOptions = {}): this {
    validateDevicePath(path);
    this.addDir(posix.dirname(path));
    const sizeBytes = options.sizeBytes ?? 10 * GIB;
    const content = options.content ?? { kind: 'blank' };
    this.devices.set(path, {
      path,
      majorMinor: options.majorMinor ?? `253:${this.nextMinor++}`,
      sizeBytes,
      content,
      fsSizeBytes: content.kind === 'filesystem' ? sizeBytes : 0,
      usedBytes: content.kind === 'filesystem' ? 1024 * 1024 : 0,
      totalInodes: content.kind === 'filesystem' ? Math.floor(sizeBytes / BYTES_PER_INODE) : 0,
      usedInodes: content.kind === 'filesystem' ? 11 : 0,
      formatCount: 0,
      detached: false,
    });
    return this;
  }

  /** Creates a directory and any missing parents. */
  addDir(path: string): this {
    validateHostPath(path, 'directory path');
    for (let dir = path; dir !== '/'; dir = posix.dirname(dir)) {
      if (this.nodes.get(dir)?.kind === 'dir') break;
      this.nodes.set(dir, { kind: 'dir' });
    }
    return this;
  }

  /** Creates a regular file of `size` bytes (parents created). */
  addFile(path: string, size = 0): this {
    validateHostPath(path, 'file path');
    this.addDir(posix.dirname(path));
    this.nodes.set(path, { kind: 'file', size });
    return this;
  }

  /** The device at `path` (live object: tests may adjust usage), or undefined. */
  device(path: string): FakeDevice | undefined {
    return this.devices.get(path);
  }

  /** Grows the device (what ControllerExpand does); the filesystem keeps its size until resizeFilesystem. */
  growDevice(path: string, sizeBytes: number): this {
    this.requireFakeDevice(path).sizeBytes = sizeBytes;
    return this;
  }

  /** Simulates a detach under the node's feet: the device node disappears, its mounts stay but become unreachable. */
  detachDevice(path: string): this {
    const device = this.requireFakeDevice(path);
    device.detached = true;
    this.devices.delete(path);
    this.detachedDevices.push(device);
    return this;
  }

  /** Makes unmount(target) fail with Busy until cleared. */
  setBusy(target: string, busy = true): this {
    if (busy) this.busy.add(target);
    else this.busy.delete(target);
    return this;
  }

  /** Makes the next call of `method` reject with `error`. */
  failNext(method: keyof Mounter, error: Error): this {
    this.faults.set(method, [...(this.faults.get(method) ?? []), error]);
    return this;
  }

  /** A copy of the mount table, in mount order (the root filesystem first). */
  mountTable(): MountPoint[] {
    return this.mounts.map((m) => ({ ...m, mountOptions: [...m.mountOptions] }));
  }

  /** Names of the methods called so far, in order. */
  methodsCalled(): (keyof Mounter)[] {
    return this.calls.map((call) => call.method);
  }

  // ---- Mounter ----

  async findMount(path: string): Promise<MountPoint | undefined> {
    this.enter('findMount', path);
    validateHostPath(path, 'mount path');
    const found = topmostMountAt(this.mounts, path);
    return found === undefined ? undefined : { ...found };
  }

  async mountsOfDevice(device: string): Promise<MountPoint[]> {
    this.enter('mountsOfDevice', device);
    validateDevicePath(device);
    const number = this.devices.get(device)?.majorMinor;
    return this.mounts.filter((m) => m.source === device || (number !== undefined && m.majorMinor === number)).map((m) => ({ ...m }));
  }

  async deviceNumberOf(path: string): Promise<string | undefined> {
    this.enter('deviceNumberOf', path);
    validateHostPath(path, 'device path');
    return this.blockDeviceAt(path)?.majorMinor;
  }

  async probe(device: string): Promise<ProbeResult> {
    this.enter('probe', device);
    return { ...this.requireDevice(device).content };
  }

  async wipeSignatures(device: string): Promise<void> {
    this.enter('wipeSignatures', device);
    const dev = this.requireDevice(device);
    dev.content = { kind: 'blank' };
    dev.fsSizeBytes = 0;
  }

  async format(device: string, fsType: FsType, options: FormatOptions = {}): Promise<void> {
    this.enter('format', device, fsType, options);
    const fs = validateFsType(fsType);
    if (options.label !== undefined) validateLabel(options.label, fs);
    const dev = this.requireDevice(device);
    if (dev.content.kind !== 'blank') {
      throw new MountError('FailedPrecondition', `refusing to format ${device} as ${fs}: it already holds ${dev.content.kind} data (fake)`);
    }
    const content: ProbeResult = { kind: 'filesystem', fsType: fs, uuid: `00000000-0000-4000-8000-${String(this.nextUuid++).padStart(12, '0')}` };
    if (options.label !== undefined) content.label = options.label;
    dev.content = content;
    dev.fsSizeBytes = dev.sizeBytes;
    dev.usedBytes = 1024 * 1024;
    dev.totalInodes = Math.floor(dev.sizeBytes / BYTES_PER_INODE);
    dev.usedInodes = 11;
    dev.formatCount += 1;
  }

  async mount(source: string, target: string, fsType: string, options: readonly string[]): Promise<void> {
    this.enter('mount', source, target, fsType, [...options]);
    validateDevicePath(source);
    validateHostPath(target, 'mount target');
    validateFsTypeName(fsType);
    validateMountOptions(options);
    this.requireNotMountPoint(target);
    const dev = this.devices.get(source);
    if (dev === undefined) throw new MountError('Internal', `mounting ${source} on ${target} as ${fsType} failed: no such device (fake)`);
    if (dev.content.kind !== 'filesystem' || dev.content.fsType !== fsType) {
      throw new MountError('Internal', `mounting ${source} on ${target} as ${fsType} failed: wrong fs type (fake; device holds ${dev.content.kind === 'filesystem' ? dev.content.fsType : dev.content.kind})`);
    }
    if (this.kindOf(target) !== 'dir') throw new MountError('Internal', `mounting ${source} on ${target} failed: target is not a directory (fake)`);
    const readonly = options.includes('ro');
    this.pushMount(target, {
      majorMinor: dev.majorMinor,
      root: '/',
      mountOptions: [readonly ? 'ro' : 'rw', ...options.filter((o) => o !== 'ro' && o !== 'rw')],
      readonly,
      fsType,
      source,
      superOptions: [readonly ? 'ro' : 'rw'],
    });
  }

  async bindMount(source: string, target: string, options: BindMountOptions): Promise<void> {
    this.enter('bindMount', source, target, options);
    validateHostPath(source, 'bind source');
    validateHostPath(target, 'bind target');
    this.requireNotMountPoint(target);
    const mode = options.readonly ? 'ro' : 'rw';
    const device = this.blockDeviceAt(source);
    if (device !== undefined) {
      if (this.kindOf(target) !== 'file') throw new MountError('Internal', `bind-mounting ${source} on ${target} failed: a device binds onto a file (fake)`);
      const id = this.pushMount(target, { ...DEVTMPFS, root: `/${posix.basename(device.path)}`, mountOptions: [mode], readonly: options.readonly, superOptions: ['rw'] });
      this.blockBinds.set(id, device.path);
      return;
    }
    const kind = this.kindOf(source);
    if (kind !== 'dir' || this.kindOf(target) !== 'dir') {
      throw new MountError('Internal', `bind-mounting ${source} on ${target} failed: source is ${kind}, target is ${this.kindOf(target)} (fake)`);
    }
    const holder = this.containingMount(source);
    const relative = holder.mountPoint === '/' ? source : source.slice(holder.mountPoint.length);
    this.pushMount(target, {
      majorMinor: holder.majorMinor,
      root: posix.join(holder.root, relative || '/'),
      mountOptions: [mode],
      readonly: options.readonly,
      fsType: holder.fsType,
      source: holder.source,
      superOptions: [...holder.superOptions],
    });
  }

  async unmount(target: string): Promise<void> {
    this.enter('unmount', target);
    validateHostPath(target, 'unmount target');
    const top = topmostMountAt(this.mounts, target);
    if (top === undefined) return;
    if (this.busy.has(target)) throw new MountError('Busy', `unmounting ${target} failed: target is busy (fake)`);
    this.mounts.splice(this.mounts.indexOf(top), 1);
    this.blockBinds.delete(top.mountId);
  }

  async resizeFilesystem(device: string, mountPath: string, fsType: FsType): Promise<void> {
    this.enter('resizeFilesystem', device, mountPath, fsType);
    validateDevicePath(device);
    validateHostPath(mountPath, 'mount path');
    const fs = validateFsType(fsType);
    const mounted = topmostMountAt(this.mounts, mountPath);
    if (mounted === undefined) throw new MountError('FailedPrecondition', `cannot grow the filesystem of ${device}: ${mountPath} is not mounted (fake)`);
    const dev = this.devices.get(device);
    if (dev === undefined) throw new MountError('NotFound', `cannot grow the filesystem of ${device}: no such device (fake)`);
    if (mounted.majorMinor !== dev.majorMinor || mounted.fsType !== fs) {
      throw new MountError('FailedPrecondition', `cannot grow ${fs} on ${device} at ${mountPath}: it holds ${mounted.fsType} from ${mounted.source} (fake)`);
    }
    dev.fsSizeBytes = dev.sizeBytes;
    dev.totalInodes = Math.floor(dev.sizeBytes / BYTES_PER_INODE);
  }

  async filesystemStats(path: string): Promise<FilesystemStats> {
    this.enter('filesystemStats', path);
    validateHostPath(path, 'volume path');
    const kind = this.kindOf(path);
    if (kind === 'missing') throw new MountError('NotFound', `cannot read usage of ${path}: it does not exist (fake)`);
    if (kind === 'unreachable') throw new MountError('Internal', `cannot read usage of ${path}: input/output error (fake)`);
    const holder = this.containingMount(path);
    const dev = this.deviceOfMount(holder);
    if (dev === undefined) return { ...this.hostStats };
    return {
      totalBytes: dev.fsSizeBytes,
      availableBytes: Math.max(0, dev.fsSizeBytes - dev.usedBytes),
      usedBytes: dev.usedBytes,
      totalInodes: dev.totalInodes,
      freeInodes: dev.totalInodes - dev.usedInodes,
      usedInodes: dev.usedInodes,
    };
  }

  async blockDeviceSizeBytes(path: string): Promise<number> {
    this.enter('blockDeviceSizeBytes', path);
    validateHostPath(path, 'block device path');
    const dev = this.blockDeviceAt(path);
    if (dev !== undefined) return dev.sizeBytes;
    const kind = this.kindOf(path);
    if (kind === 'missing') throw new MountError('NotFound', `block device ${path} does not exist (fake)`);
    throw new MountError('FailedPrecondition', `${path} is not a block device (fake: ${kind})`);
  }

  async makeDir(path: string): Promise<void> {
    this.enter('makeDir', path);
    validateHostPath(path, 'directory path');
    const kind = this.kindOf(path);
    if (kind === 'dir') return;
    if (kind !== 'missing') throw new MountError('FailedPrecondition', `cannot create directory ${path}: a ${kind} is already there (fake)`);
    this.requireParent(path, 'create directory');
    this.nodes.set(path, { kind: 'dir' });
  }

  async makeFile(path: string): Promise<void> {
    this.enter('makeFile', path);
    validateHostPath(path, 'file path');
    const kind = this.kindOf(path);
    if (kind === 'file') return;
    if (kind !== 'missing') throw new MountError('FailedPrecondition', `cannot create file ${path}: a ${kind} is already there (fake)`);
    this.requireParent(path, 'create file');
    this.nodes.set(path, { kind: 'file', size: 0 });
  }

  async removePath(path: string): Promise<void> {
    this.enter('removePath', path);
    validateHostPath(path, 'path to remove');
    const kind = this.kindOf(path);
    if (kind === 'missing') return;
    if (topmostMountAt(this.mounts, path) !== undefined) throw new MountError('Busy', `refusing to remove ${path}: it is still a mount point (fake)`);
    const node = this.nodes.get(path);
    if (node?.kind === 'dir') {
      const child = [...this.nodes.keys(), ...this.devices.keys()].some((p) => p !== path && within(p, path));
      if (child) throw new MountError('FailedPrecondition', `refusing to remove directory ${path}: it is not empty (fake)`);
      this.nodes.delete(path);
      return;
    }
    if (node?.kind === 'file') {
      if (node.size > 0) throw new MountError('FailedPrecondition', `refusing to remove ${path}: it is a non-empty regular file (fake)`);
      this.nodes.delete(path);
      return;
    }
    throw new MountError('FailedPrecondition', `refusing to remove ${path}: it is a ${kind} (fake)`);
  }

  async pathKind(path: string): Promise<PathKind> {
    this.enter('pathKind', path);
    validateHostPath(path, 'path');
    return this.kindOf(path);
  }

  // ---- internals ----

  private enter(method: keyof Mounter, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const queued = this.faults.get(method);
    const fault = queued?.shift();
    if (fault !== undefined) throw fault;
  }

  private kindOf(path: string): PathKind {
    const holder = this.containingMount(path);
    if (this.deviceOfMount(holder)?.detached === true || this.blockBindDevice(holder)?.detached === true) return 'unreachable';
    if (this.blockDeviceAt(path) !== undefined) return 'block';
    return this.nodes.get(path)?.kind ?? 'missing';
  }

  /** The device node at `path`, or the device bind-mounted on the file at `path`. */
  private blockDeviceAt(path: string): FakeDevice | undefined {
    const direct = this.devices.get(path);
    if (direct !== undefined) return direct;
    const top = topmostMountAt(this.mounts, path);
    const bound = top === undefined ? undefined : this.blockBindDevice(top);
    return bound?.detached === false ? bound : undefined;
  }

  private blockBindDevice(mount: MountPoint): FakeDevice | undefined {
    const devicePath = this.blockBinds.get(mount.mountId);
    if (devicePath === undefined) return undefined;
    return this.devices.get(devicePath) ?? this.detachedDevices.find((d) => d.path === devicePath);
  }

  private deviceOfMount(mount: MountPoint): FakeDevice | undefined {
    if (mount.mountId === ROOT_MOUNT.mountId || this.blockBinds.has(mount.mountId)) return undefined;
    return (
      [...this.devices.values()].find((d) => d.majorMinor === mount.majorMinor) ??
      this.detachedDevices.find((d) => d.majorMinor === mount.majorMinor)
    );
  }

  /** The topmost mount whose mount point is the longest prefix of `path`. */
  private containingMount(path: string): MountPoint {
    let best: MountPoint = this.mounts[0]!;
    for (const m of this.mounts) {
      if (within(path, m.mountPoint) && m.mountPoint.length >= best.mountPoint.length) best = m;
    }
    return topmostMountAt(this.mounts, best.mountPoint) ?? best;
  }

  private pushMount(target: string, entry: Omit<MountPoint, 'mountId' | 'parentId' | 'mountPoint' | 'optionalFields'>): number {
    const mountId = this.nextMountId++;
    this.mounts.push({ ...entry, mountId, parentId: this.containingMount(target).mountId, mountPoint: target, optionalFields: [] });
    return mountId;
  }

  private requireNotMountPoint(target: string): void {
    const existing = topmostMountAt(this.mounts, target);
    if (existing !== undefined) {
      throw new MountError('FailedPrecondition', `${target} is already a mount point (${existing.fsType} from ${existing.source}) (fake)`);
    }
  }

  private requireParent(path: string, what: string): void {
    if (this.kindOf(posix.dirname(path)) !== 'dir') {
      throw new MountError('NotFound', `cannot ${what} ${path}: its parent directory does not exist (fake)`);
    }
  }

  private requireDevice(device: string): FakeDevice {
    validateDevicePath(device);
    const dev = this.devices.get(device);
    if (dev === undefined) throw new MountError('NotFound', `block device ${device} does not exist; is the volume attached to this node? (fake)`);
    return dev;
  }

  private requireFakeDevice(path: string): FakeDevice {
    const dev = this.devices.get(path);
    if (dev === undefined) throw new Error(`FakeMounter: no device ${path}; add it with addDevice first`);
    return dev;
  }
}
