import { constants as fsConstants } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import path from 'node:path';
import { isErrno, messageOf } from '../../shared/errors.js';
import { runChecked, type CommandRunner } from '../../shared/exec.js';
import type { EffectsInstance, EffectsNic, EffectsVxnet, EffectsWorld, SimEffects } from './effects.js';
import {
  BY_ID_LINK_PATTERN,
  INSTANCE_DIR_PATTERN,
  SimEffectsError,
  bridgeName,
  byIdLinkName,
  gatewayAddress,
  instanceLinkName,
  instanceLinkPattern,
  validInstanceId,
  validLoopDevice,
  validNamePrefix,
  validNetnsName,
  validNicMac,
  validSnapshotId,
  validVolumeId,
  validVxnetId,
  volumeBytes,
  vpcLinkName,
  vpcNetnsName,
} from './real-effects-names.js';
import { findDeviceMounts, parseIpLinks, parseLosetupList, parseNetnsList, type IpLink } from './real-effects-parse.js';

export { SimEffectsError } from './real-effects-names.js';

/** The file-system calls RealEffects makes (node:fs/promises by default; tests may wrap it). */
export interface RealEffectsFs {
  mkdir(path: string, options: { recursive: true }): Promise<string | undefined>;
  open(path: string, flags: string | number): Promise<{ close(): Promise<void> }>;
  stat(path: string): Promise<{ size: number }>;
  lstat(path: string): Promise<{ isSymbolicLink(): boolean }>;
  truncate(path: string, length: number): Promise<void>;
  unlink(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  readlink(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  rmdir(path: string): Promise<void>;
  realpath(path: string): Promise<string>;
}

/** Construction options of RealEffects. */
export interface RealEffectsOptions {
  runner: CommandRunner;
  /** Absolute directory holding `volumes/<volume_id>.img` and `snapshots/<snapshot_id>.img`. */
  dataDir: string;
  /** Absolute by-id root: instance X's devices appear as `<deviceRoot>/X/virtio-<volume_id>`. */
  deviceRoot: string;
  /** 1–6 characters of [a-z0-9] in every namespace and link name this simulator makes. */
  namePrefix: string;
  fs?: RealEffectsFs;
}

const TEMP_SUFFIX = '.tmp';
const PROC_MOUNTINFO = '/proc/self/mountinfo';
const HINT_ROOT = 'check that the simulator runs as root with util-linux, iproute2 and procps installed';

/** Serialises operations per key (one volume, one NIC, the VPC namespace) inside this process. */
class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/**
 * The simulator's real effects (`--effects real`, root): volumes are sparse files under `dataDir` that become loop
 * devices with by-id links when attached; NICs are veth pairs whose instance end carries the NIC id as MAC and whose
 * other end is a port of the vxnet's bridge inside the `<prefix>-vpc` namespace, which routes between vxnets.
 * Every method is idempotent and safe to repeat after a crash or restart.
 */
export class RealEffects implements SimEffects {
  readonly kind = 'real' as const;
  private readonly runner: CommandRunner;
  private readonly dataDir: string;
  private readonly deviceRoot: string;
  private readonly prefix: string;
  private readonly vpc: string;
  private readonly fs: RealEffectsFs;
  private readonly locks = new KeyedLock();
  /** NICs prepareAttachNic found clear to plug in one step, as `<mac>@<netns>`. */
  private readonly clearToPlug = new Set<string>();

  constructor(options: RealEffectsOptions) {
    this.runner = options.runner;
    this.dataDir = absoluteDir('dataDir', options.dataDir);
    this.deviceRoot = absoluteDir('deviceRoot', options.deviceRoot);
    this.prefix = validNamePrefix(options.namePrefix);
    this.vpc = vpcNetnsName(this.prefix);
    this.fs = options.fs ?? nodeFs;
  }

  // ---------------------------------------------------------------- volumes

  async createVolume(volumeId: string, sizeGB: number): Promise<void> {
    const id = validVolumeId(volumeId);
    const bytes = volumeBytes(sizeGB);
    await this.locks.run(`volume:${id}`, async () => {
      const file = this.volumePath(id);
      await this.fileStep(`creating the file of volume ${id}`, async () => {
        await this.fs.mkdir(path.dirname(file), { recursive: true });
        // Idempotent: append mode creates the file or keeps an existing one (a repeated call), which is then only grown.
        const handle = await this.fs.open(file, 'a');
        await handle.close();
        await this.grow(file, bytes);
      });
    });
  }

  async deleteVolume(volumeId: string): Promise<void> {
    const id = validVolumeId(volumeId);
    await this.locks.run(`volume:${id}`, async () => {
      const file = this.volumePath(id);
      await this.removeByIdLinksOf(id);
      for (const device of await this.loopDevicesOf(file)) await this.detachLoop(device, `volume ${id}`);
      await this.fileStep(`removing the file of volume ${id}`, () => this.unlinkIfPresent(file));
    });
  }

  async resizeVolume(volumeId: string, sizeGB: number): Promise<void> {
    const id = validVolumeId(volumeId);
    const bytes = volumeBytes(sizeGB);
    await this.locks.run(`volume:${id}`, async () => {
      const file = this.volumePath(id);
      await this.requireFile(file, `volume ${id}`, 'create the volume before resizing it');
      await this.fileStep(`growing the file of volume ${id}`, () => this.grow(file, bytes));
      for (const device of await this.loopDevicesOf(file)) {
        await this.exec(`telling ${device} that volume ${id} grew`, 'losetup', ['--set-capacity', device]);
      }
    });
  }

  async attachVolume(volumeId: string, instance: EffectsInstance): Promise<{ device: string }> {
    const id = validVolumeId(volumeId);
    const instanceId = validInstanceId(instance.instanceId);
    return this.locks.run(`volume:${id}`, async () => {
      const file = this.volumePath(id);
      await this.requireFile(file, `volume ${id}`, 'create the volume before attaching it');
      // Idempotent: a loop device already backed by the file (a repeated call, a restore) is reused, never doubled.
      let device = (await this.loopDevicesOf(file))[0];
      if (device === undefined) {
        const out = await this.exec(`attaching volume ${id} to a loop device`, 'losetup', ['--find', '--show', '--', file]);
        device = validLoopDevice(out.trim());
      }
      await this.linkById(instanceId, id, device);
      return { device };
    });
  }

  async isVolumeBusy(volumeId: string): Promise<boolean> {
    const id = validVolumeId(volumeId);
    for (const device of await this.loopDevicesOf(this.volumePath(id))) {
      if (await this.isDeviceBusy(device, id)) return true;
    }
    return false;
  }

  async detachVolume(volumeId: string, instance: EffectsInstance): Promise<void> {
    const id = validVolumeId(volumeId);
    const instanceId = validInstanceId(instance.instanceId);
    await this.locks.run(`volume:${id}`, async () => {
      // Detaching what is already detached is success: the link and the loop device are each removed only if present.
      await this.removeByIdLink(path.join(this.deviceRoot, instanceId, byIdLinkName(id)), id);
      for (const device of await this.loopDevicesOf(this.volumePath(id))) await this.detachLoop(device, `volume ${id}`);
    });
  }

  async snapshotVolume(volumeId: string, snapshotId: string): Promise<void> {
    const id = validVolumeId(volumeId);
    const snapshot = validSnapshotId(snapshotId);
    await this.locks.run(`snapshot:${snapshot}`, async () => {
      const target = this.snapshotPath(snapshot);
      // Idempotent: the copy gets its final name only once complete (temp file + rename), so an existing file is done.
      if (await this.exists(target)) return;
      const source = this.volumePath(id);
      await this.requireFile(source, `volume ${id}`, 'snapshot an existing volume');
      await this.flushLoops(source, id);
      await this.sparseCopy(source, target, `volume ${id} into snapshot ${snapshot}`);
    });
  }

  async createVolumeFromSnapshot(snapshotId: string, volumeId: string, sizeGB: number): Promise<void> {
    const snapshot = validSnapshotId(snapshotId);
    const source = this.snapshotPath(snapshot);
    await this.copyIntoNewVolume(source, `snapshot ${snapshot}`, volumeId, sizeGB, async () => {
      await this.requireFile(source, `snapshot ${snapshot}`, 'create the snapshot first');
    });
  }

  async cloneVolume(sourceVolumeId: string, volumeId: string, sizeGB: number): Promise<void> {
    const sourceId = validVolumeId(sourceVolumeId);
    const source = this.volumePath(sourceId);
    await this.copyIntoNewVolume(source, `volume ${sourceId}`, volumeId, sizeGB, async () => {
      await this.requireFile(source, `volume ${sourceId}`, 'clone an existing volume');
      await this.flushLoops(source, sourceId);
    });
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    const snapshot = validSnapshotId(snapshotId);
    await this.locks.run(`snapshot:${snapshot}`, async () => {
      const file = this.snapshotPath(snapshot);
      await this.fileStep(`removing the file of snapshot ${snapshot}`, async () => {
        await this.unlinkIfPresent(file + TEMP_SUFFIX);
        await this.unlinkIfPresent(file);
      });
    });
  }

  // ---------------------------------------------------------------- NICs

  async ensureVxnet(vxnet: EffectsVxnet): Promise<void> {
    const vxnetId = validVxnetId(vxnet.vxnetId);
    const address = gatewayAddress(vxnetId, vxnet.cidr, vxnet.gateway);
    const bridge = bridgeName(vxnetId);
    await this.locks.run('vpc', () => this.ensureVpc());
    await this.locks.run(`bridge:${bridge}`, async () => {
      const what = `switch ${bridge} of ${vxnetId} in namespace ${this.vpc}`;
      if (!(await this.links(this.vpc)).some((link) => link.ifname === bridge)) {
        await this.exec(`creating the ${what}`, 'ip', ['-n', this.vpc, 'link', 'add', 'name', bridge, 'type', 'bridge']);
      }
      // `addr replace` and `link set up` are no-ops when already done.
      await this.exec(`giving the ${what} its gateway ${address}`, 'ip', ['-n', this.vpc, 'addr', 'replace', address, 'dev', bridge]);
      await this.exec(`bringing up the ${what}`, 'ip', ['-n', this.vpc, 'link', 'set', 'dev', bridge, 'up']);
    });
  }

  async prepareAttachNic(nic: EffectsNic, instance: EffectsInstance): Promise<void> {
    const mac = validNicMac(nic.nicId);
    const bridge = bridgeName(validVxnetId(nic.vxnetId));
    const netns = instance.netns === undefined ? undefined : validNetnsName(instance.netns);
    // The one-step plug creates the pair from the VPC side, which needs the instance namespace by name.
    if (netns === undefined) return;
    const [namespaces, vpcLinks, instanceLinks] = await Promise.all([this.netnsList(), this.linksIfPresent(this.vpc), this.linksIfPresent(netns)]);
    const clear =
      namespaces.includes(this.vpc) &&
      namespaces.includes(netns) &&
      vpcLinks.some((link) => link.ifname === bridge) &&
      !vpcLinks.some((link) => link.ifname === vpcLinkName(mac)) &&
      !instanceLinks.some((link) => link.address === mac);
    if (clear) this.clearToPlug.add(`${mac}@${netns}`);
  }

  async attachNic(nic: EffectsNic, instance: EffectsInstance): Promise<void> {
    const mac = validNicMac(nic.nicId);
    const vxnetId = validVxnetId(nic.vxnetId);
    const instanceId = validInstanceId(instance.instanceId);
    const netns = instance.netns === undefined ? undefined : validNetnsName(instance.netns);
    const bridge = bridgeName(vxnetId);
    const switchEnd = vpcLinkName(mac);
    const instanceEnd = instanceLinkName(this.prefix, mac);
    const where = netns === undefined ? 'the root namespace' : `namespace ${netns}`;
    await this.locks.run(`nic:${mac}`, async () => {
      if (netns !== undefined && this.clearToPlug.delete(`${mac}@${netns}`)) {
        // Checked while the job was pending: make both ends and join the switch in one command. Anything that changed
        // meanwhile makes it fail, and the step-by-step path below sorts out what is there.
        const batch = [
          `link add name ${switchEnd} type veth peer name ${instanceEnd} address ${mac} netns ${netns}`,
          `link set dev ${switchEnd} master ${bridge} up`,
        ];
        const result = await this.runner.run('ip', ['-n', this.vpc, '-batch', '-'], { input: `${batch.join('\n')}\n` });
        if (result.exitCode === 0) return;
      }
      if (!(await this.netnsList()).includes(this.vpc)) throw this.missingSwitch(vxnetId, bridge);
      const vpcLinks = await this.links(this.vpc);
      if (!vpcLinks.some((link) => link.ifname === bridge)) throw this.missingSwitch(vxnetId, bridge);
      // Idempotent: both ends of a veth pair live and die together, so a present switch end means the NIC is plugged,
      // wherever the CNI has since moved or renamed the instance end; only its bridge port may be unfinished.
      const plugged = vpcLinks.find((link) => link.ifname === switchEnd);
      if (plugged === undefined) {
        if (netns !== undefined && !(await this.netnsList()).includes(netns)) {
          throw new SimEffectsError(
            'SIM_EFFECTS_NOT_FOUND',
            `cannot plug NIC ${mac} into instance ${instanceId}: its network namespace ${netns} does not exist; create it (ip netns add ${netns}) before attaching NICs`,
          );
        }
        const foreign = (await this.links(netns)).find((link) => link.address === mac);
        if (foreign !== undefined) {
          throw new SimEffectsError(
            'SIM_EFFECTS_FAILED',
            `cannot plug NIC ${mac} into instance ${instanceId}: link ${foreign.ifname} in ${where} already has that MAC but is not plugged into this simulator's switch; remove it and retry`,
          );
        }
        // Each end is created directly in its namespace, so the names never meet in the root namespace.
        await this.exec(`plugging NIC ${mac} into instance ${instanceId} (${where})`, 'ip', [
          ...nsArgs(netns),
          'link', 'add', 'name', instanceEnd, 'address', mac,
          'type', 'veth', 'peer', 'name', switchEnd, 'netns', this.vpc,
        ]);
      }
      if (plugged?.master !== bridge || !plugged.up) {
        await this.exec(`plugging NIC ${mac} into switch ${bridge} of ${vxnetId}`, 'ip', [
          '-n', this.vpc, 'link', 'set', 'dev', switchEnd, 'master', bridge, 'up',
        ]);
      }
    });
  }

  async detachNic(nic: EffectsNic, instance: EffectsInstance): Promise<void> {
    const mac = validNicMac(nic.nicId);
    validInstanceId(instance.instanceId);
    const netns = instance.netns === undefined ? undefined : validNetnsName(instance.netns);
    const switchEnd = vpcLinkName(mac);
    await this.locks.run(`nic:${mac}`, async () => {
      const namespaces = await this.netnsList();
      if (namespaces.includes(this.vpc)) {
        if ((await this.links(this.vpc)).some((link) => link.ifname === switchEnd)) {
          // Deleting one end of a veth pair deletes the other, wherever it is now and whatever it is called.
          await this.deleteLink(this.vpc, switchEnd, `unplugging NIC ${mac}`);
          return;
        }
      }
      // No switch end: any veth still carrying the MAC is an orphaned instance end. Look in the instance's namespace
      // first, then everywhere, because the CNI moves NICs into pod namespaces and renames them.
      const searchOrder = unique([netns, undefined, ...namespaces.filter((name) => name !== this.vpc)]);
      for (const where of searchOrder) {
        for (const link of await this.linksIfPresent(where)) {
          if (link.address === mac && link.kind === 'veth') await this.deleteLink(where, link.ifname, `unplugging NIC ${mac}`);
        }
      }
    });
  }

  // ---------------------------------------------------------------- restart and teardown

  async restore(world: EffectsWorld): Promise<void> {
    const failures: unknown[] = [];
    const attempt = async (fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        failures.push(err);
      }
    };
    for (const vxnet of world.vxnets) await attempt(() => this.ensureVxnet(vxnet));
    for (const { volumeId, instance } of world.attachedVolumes) await attempt(() => this.attachVolume(volumeId, instance));
    for (const { nic, instance } of world.attachedNics) await attempt(() => this.attachNic(nic, instance));
    if (failures.length > 0) {
      throw new SimEffectsError(
        'SIM_EFFECTS_FAILED',
        `restoring the simulator's real effects (prefix ${this.prefix}) failed for ${failures.length} item(s), first: ${messageOf(failures[0])}; fix the cause and restart the simulator`,
        { cause: new AggregateError(failures) },
      );
    }
  }

  async cleanup(): Promise<void> {
    const failures: unknown[] = [];
    const attempt = async (fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        failures.push(err);
      }
    };
    let namespaces: string[] = [];
    await attempt(async () => {
      namespaces = await this.netnsList();
    });
    if (namespaces.includes(this.vpc)) {
      await attempt(async () => {
        // Switch ends are deleted one by one before the namespace: that removes their peers (moved or renamed by the
        // CNI too) at once, whereas a deleted namespace is only destroyed when the kernel gets round to it.
        for (const link of await this.links(this.vpc)) {
          if (link.kind === 'veth' || link.kind === 'bridge') await this.deleteLink(this.vpc, link.ifname, 'cleaning up');
        }
        await this.exec(`deleting namespace ${this.vpc}`, 'ip', ['netns', 'delete', this.vpc]);
      });
    }
    const ours = instanceLinkPattern(this.prefix);
    for (const where of [undefined, ...namespaces.filter((name) => name !== this.vpc)]) {
      await attempt(async () => {
        for (const link of await this.linksIfPresent(where)) {
          if (ours.test(link.ifname)) await this.deleteLink(where, link.ifname, 'cleaning up');
        }
      });
    }
    await attempt(() => this.detachAllLoops());
    await attempt(() => this.removeAllByIdLinks());
    if (failures.length > 0) {
      throw new SimEffectsError(
        'SIM_EFFECTS_FAILED',
        `cleanup of the simulator's real effects (prefix ${this.prefix}) failed for ${failures.length} step(s), first: ${messageOf(failures[0])}; fix the cause and run cleanup again`,
        { cause: new AggregateError(failures) },
      );
    }
  }

  // ---------------------------------------------------------------- volume helpers

  private volumePath(volumeId: string): string {
    return path.join(this.dataDir, 'volumes', `${volumeId}.img`);
  }

  private snapshotPath(snapshotId: string): string {
    return path.join(this.dataDir, 'snapshots', `${snapshotId}.img`);
  }

  private async copyIntoNewVolume(
    source: string,
    sourceName: string,
    volumeId: string,
    sizeGB: number,
    prepare: () => Promise<void>,
  ): Promise<void> {
    const id = validVolumeId(volumeId);
    const bytes = volumeBytes(sizeGB);
    await this.locks.run(`volume:${id}`, async () => {
      const target = this.volumePath(id);
      // Idempotent: the copy gets its final name only once complete, so an existing volume file is only grown.
      if (await this.exists(target)) {
        await this.fileStep(`growing the file of volume ${id}`, () => this.grow(target, bytes));
        return;
      }
      await prepare();
      await this.sparseCopy(source, target, `${sourceName} into volume ${id}`, bytes);
    });
  }

  /** Copies sparsely to a temp file, grows it if asked, and renames it into place (a crash never leaves half a copy). */
  private async sparseCopy(source: string, target: string, what: string, growTo?: number): Promise<void> {
    const temp = target + TEMP_SUFFIX;
    await this.fileStep(`preparing to copy ${what}`, () => this.fs.mkdir(path.dirname(target), { recursive: true }));
    await this.exec(`copying ${what}`, 'cp', ['--sparse=always', '--', source, temp]);
    await this.fileStep(`finishing the copy of ${what}`, async () => {
      if (growTo !== undefined) await this.grow(temp, growTo);
      await this.fs.rename(temp, target);
    });
  }

  /** Writes the loop device's buffers to the backing file so a copy of the file sees the latest writes. */
  private async flushLoops(file: string, volumeId: string): Promise<void> {
    for (const device of await this.loopDevicesOf(file)) {
      await this.exec(`flushing ${device} of volume ${volumeId}`, 'blockdev', ['--flushbufs', device]);
    }
  }

  private async grow(file: string, bytes: number): Promise<void> {
    const { size } = await this.fs.stat(file);
    // Never shrink: a smaller size would cut off data; truncate() only extends sparsely here.
    if (size < bytes) await this.fs.truncate(file, bytes);
  }

  /** Loop devices backed by the file (by inode while it exists, by path once it is gone). */
  private async loopDevicesOf(file: string): Promise<string[]> {
    if (await this.exists(file)) {
      const out = await this.exec(`listing the loop devices of ${file}`, 'losetup', ['--list', '--json', '--associated', file]);
      return parseLosetupList(out).map((device) => validLoopDevice(device.name));
    }
    const names = new Set([file, path.join(await this.realDir(path.dirname(file)), path.basename(file))]);
    return (await this.listLoops()).filter((device) => names.has(device.backFile)).map((device) => validLoopDevice(device.name));
  }

  private async listLoops(): Promise<{ name: string; backFile: string }[]> {
    return parseLosetupList(await this.exec('listing loop devices', 'losetup', ['--list', '--json']));
  }

  private async detachLoop(device: string, owner: string): Promise<void> {
    const result = await this.runner.run('losetup', ['--detach', device]);
    if (result.exitCode === 0) return;
    // Gone already is fine (a concurrent detach, a restart between the steps).
    if (!(await this.listLoops()).some((loop) => loop.name === device)) return;
    await this.exec(`detaching ${device} of ${owner}`, 'losetup', ['--detach', device]);
  }

  private async isDeviceBusy(device: string, volumeId: string): Promise<boolean> {
    const name = path.basename(device);
    return this.fileStep(`checking whether ${device} of volume ${volumeId} is in use`, async () => {
      const majorMinor = (await this.fs.readFile(`/sys/block/${name}/dev`, 'utf8')).trim();
      const mountinfo = await this.fs.readFile(PROC_MOUNTINFO, 'utf8');
      if (findDeviceMounts(mountinfo, { majorMinor, path: device }).length > 0) return true;
      const holders = await this.fs.readdir(`/sys/block/${name}/holders`).catch((err: unknown) => {
        if (isErrno(err, 'ENOENT')) return [];
        throw err;
      });
      if (holders.length > 0) return true;
      // Mounts made in other mount namespaces (containers) are not in our mountinfo; the kernel refuses an exclusive
      // open of a block device that is mounted or claimed anywhere.
      try {
        const handle = await this.fs.open(device, fsConstants.O_RDONLY | fsConstants.O_EXCL);
        await handle.close();
      } catch (err) {
        if (isErrno(err, 'EBUSY')) return true;
        throw err;
      }
      return false;
    });
  }

  /** Points `<deviceRoot>/<instance>/virtio-<volume>` at the device, replacing a stale link atomically. */
  private async linkById(instanceId: string, volumeId: string, device: string): Promise<void> {
    const dir = path.join(this.deviceRoot, instanceId);
    const link = path.join(dir, byIdLinkName(volumeId));
    await this.fileStep(`linking ${link} to ${device}`, async () => {
      await this.fs.mkdir(dir, { recursive: true });
      const current = await this.fs.readlink(link).catch((err: unknown) => {
        if (isErrno(err, 'ENOENT') || isErrno(err, 'EINVAL')) return undefined;
        throw err;
      });
      if (current === device) return;
      const temp = link + TEMP_SUFFIX;
      await this.unlinkIfPresent(temp);
      await this.fs.symlink(device, temp);
      await this.fs.rename(temp, link);
    });
  }

  private async removeByIdLink(link: string, volumeId: string): Promise<void> {
    await this.fileStep(`removing the by-id link ${link} of volume ${volumeId}`, async () => {
      try {
        // Only a symlink is ours to remove; anything else at that path was made by someone else.
        if ((await this.fs.lstat(link)).isSymbolicLink()) await this.fs.unlink(link);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
      }
    });
  }

  private async removeByIdLinksOf(volumeId: string): Promise<void> {
    for (const instanceDir of await this.instanceDirs()) {
      await this.removeByIdLink(path.join(this.deviceRoot, instanceDir, byIdLinkName(volumeId)), volumeId);
    }
  }

  private async instanceDirs(): Promise<string[]> {
    return this.fileStep(`listing ${this.deviceRoot}`, async () => {
      const entries = await this.fs.readdir(this.deviceRoot).catch((err: unknown) => {
        if (isErrno(err, 'ENOENT')) return [];
        throw err;
      });
      return entries.filter((entry) => INSTANCE_DIR_PATTERN.test(entry));
    });
  }

  private async detachAllLoops(): Promise<void> {
    const roots = unique([this.dataDir, await this.realDir(this.dataDir)]).map((dir) => dir + path.sep);
    for (const loop of await this.listLoops()) {
      if (roots.some((root) => loop.backFile.startsWith(root))) await this.detachLoop(validLoopDevice(loop.name), loop.backFile);
    }
  }

  private async removeAllByIdLinks(): Promise<void> {
    for (const instanceDir of await this.instanceDirs()) {
      const dir = path.join(this.deviceRoot, instanceDir);
      await this.fileStep(`removing by-id links under ${dir}`, async () => {
        for (const entry of await this.fs.readdir(dir)) {
          const name = entry.endsWith(TEMP_SUFFIX) ? entry.slice(0, -TEMP_SUFFIX.length) : entry;
          if (!BY_ID_LINK_PATTERN.test(name)) continue;
          const link = path.join(dir, entry);
          if ((await this.fs.lstat(link)).isSymbolicLink()) await this.fs.unlink(link);
        }
        await this.fs.rmdir(dir).catch((err: unknown) => {
          // Something else lives there: not ours to remove.
          if (!isErrno(err, 'ENOTEMPTY') && !isErrno(err, 'EEXIST') && !isErrno(err, 'ENOENT')) throw err;
        });
      });
    }
  }

  // ---------------------------------------------------------------- network helpers

  private async ensureVpc(): Promise<void> {
    if (!(await this.netnsList()).includes(this.vpc)) {
      const result = await this.runner.run('ip', ['netns', 'add', this.vpc]);
      // Losing a race against another caller is fine: the namespace exists either way.
      if (result.exitCode !== 0 && !(await this.netnsList()).includes(this.vpc)) {
        await this.exec(`creating the VPC namespace ${this.vpc}`, 'ip', ['netns', 'add', this.vpc]);
      }
    }
    await this.exec(`bringing up lo in ${this.vpc}`, 'ip', ['-n', this.vpc, 'link', 'set', 'dev', 'lo', 'up']);
    await this.exec(`turning on routing between vxnets in ${this.vpc}`, 'ip', [
      'netns', 'exec', this.vpc, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1',
    ]);
  }

  private async netnsList(): Promise<string[]> {
    return parseNetnsList(await this.exec('listing network namespaces', 'ip', ['-json', 'netns', 'list']));
  }

  private async links(netns: string | undefined): Promise<IpLink[]> {
    const where = netns === undefined ? 'the root namespace' : `namespace ${netns}`;
    return parseIpLinks(await this.exec(`listing links in ${where}`, 'ip', [...nsArgs(netns), '-json', '-details', 'link', 'show']));
  }

  /** Links of a namespace, or none when the namespace vanished meanwhile (e.g. a pod's, deleted concurrently). */
  private async linksIfPresent(netns: string | undefined): Promise<IpLink[]> {
    try {
      return await this.links(netns);
    } catch (err) {
      if (netns !== undefined && !(await this.netnsList()).includes(netns)) return [];
      throw err;
    }
  }

  private async deleteLink(netns: string | undefined, name: string, why: string): Promise<void> {
    const result = await this.runner.run('ip', [...nsArgs(netns), 'link', 'delete', 'dev', name]);
    if (result.exitCode === 0) return;
    // Gone already is fine: deleting one veth end removes its peer, which may be next in our list.
    if (!(await this.linksIfPresent(netns)).some((link) => link.ifname === name)) return;
    const where = netns === undefined ? 'the root namespace' : `namespace ${netns}`;
    await this.exec(`${why}: deleting link ${name} in ${where}`, 'ip', [...nsArgs(netns), 'link', 'delete', 'dev', name]);
  }

  private missingSwitch(vxnetId: string, bridge: string): SimEffectsError {
    return new SimEffectsError(
      'SIM_EFFECTS_NOT_FOUND',
      `switch of ${vxnetId} (bridge ${bridge} in namespace ${this.vpc}) does not exist; call ensureVxnet for the vxnet before attaching NICs to it`,
    );
  }

  // ---------------------------------------------------------------- generic helpers

  private async exec(what: string, command: string, args: readonly string[]): Promise<string> {
    try {
      return await runChecked(this.runner, command, args);
    } catch (err) {
      throw new SimEffectsError('SIM_EFFECTS_FAILED', `${what} failed: ${messageOf(err)}; ${HINT_ROOT}`, { cause: err });
    }
  }

  private async fileStep<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SimEffectsError) throw err;
      throw new SimEffectsError(
        'SIM_EFFECTS_FAILED',
        `${what} failed: ${messageOf(err)}; check permissions and free space under ${this.dataDir} and ${this.deviceRoot}`,
        { cause: err },
      );
    }
  }

  private async exists(file: string): Promise<boolean> {
    try {
      await this.fs.stat(file);
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw new SimEffectsError('SIM_EFFECTS_FAILED', `checking ${file} failed: ${messageOf(err)}; check permissions under ${this.dataDir}`, {
        cause: err,
      });
    }
  }

  private async requireFile(file: string, what: string, advice: string): Promise<void> {
    if (!(await this.exists(file))) {
      throw new SimEffectsError('SIM_EFFECTS_NOT_FOUND', `${what} has no backing file ${file}; ${advice}`);
    }
  }

  private async unlinkIfPresent(file: string): Promise<void> {
    try {
      await this.fs.unlink(file);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }

  private async realDir(dir: string): Promise<string> {
    return this.fs.realpath(dir).catch(() => dir);
  }
}

function nsArgs(netns: string | undefined): string[] {
  return netns === undefined ? [] : ['-n', netns];
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function absoluteDir(what: string, dir: string): string {
  if (typeof dir !== 'string' || !path.isAbsolute(dir) || /[\0\n]/.test(dir)) {
    throw new SimEffectsError(
      'SIM_EFFECTS_INVALID_ARGUMENT',
      `invalid ${what} ${JSON.stringify(dir)}: expected an absolute path without NUL or newline; pass an absolute directory`,
    );
  }
  return path.resolve(dir);
}
