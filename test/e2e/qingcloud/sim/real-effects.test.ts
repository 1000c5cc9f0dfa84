import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runChecked } from '../../../../src/shared/exec.js';
import { NodeCommandRunner } from '../../../../src/shared/node-exec.js';
import { RealEffects } from '../../../../src/qingcloud/sim/real-effects.js';
import type { EffectsVxnet } from '../../../../src/qingcloud/sim/effects.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) {
  console.warn('!!! SKIPPING test/e2e/qingcloud/sim/real-effects.test.ts: it needs root (loop devices, mount, network namespaces) !!!');
}

/** Tools these tests exec, with the Debian package that provides each (CI installs them, see .ci/run). */
const TOOLS: [string, string[], string][] = [
  ['losetup', ['--version'], 'mount'],
  ['ip', ['-V'], 'iproute2'],
  ['mkfs.ext4', ['-V'], 'e2fsprogs'],
  ['blockdev', ['--version'], 'util-linux'],
  ['mount', ['--version'], 'mount'],
  ['umount', ['--version'], 'mount'],
  ['sysctl', ['--version'], 'procps'],
  ['cp', ['--version'], 'coreutils'],
  ['unshare', ['--version'], 'util-linux'],
];

const GiB = 1024 ** 3;
const runner = new NodeCommandRunner();
const run = (command: string, args: string[]): Promise<string> => runChecked(runner, command, args);

function randomId(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

function randomMac(): string {
  return `52:54:${[...randomBytes(4)].map((byte) => byte.toString(16).padStart(2, '0')).join(':')}`;
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

async function loopsBackedBy(file: string): Promise<string[]> {
  const out = await run('losetup', ['--list', '--json']);
  if (out.trim() === '') return [];
  const parsed = JSON.parse(out) as { loopdevices: { name: string; 'back-file': string }[] };
  return parsed.loopdevices.filter((loop) => loop['back-file'].replace(/ \(deleted\)$/, '').startsWith(file)).map((loop) => loop.name);
}

async function netnsNames(): Promise<string[]> {
  const out = await run('ip', ['-json', 'netns', 'list']);
  return out.trim() === '' ? [] : (JSON.parse(out) as { name: string }[]).map((entry) => entry.name);
}

async function linksIn(netns: string | undefined): Promise<{ ifname: string; address: string; operstate: string; addr_info?: unknown[] }[]> {
  const args = netns === undefined ? ['-json', 'addr', 'show'] : ['-n', netns, '-json', 'addr', 'show'];
  return JSON.parse(await run('ip', args)) as { ifname: string; address: string; operstate: string; addr_info?: unknown[] }[];
}

/**
 * Reachability without ping (iputils-ping is not always installed): a TCP connect from inside the namespace with
 * node. "refused" proves a round trip (the peer's kernel answered with a RST); "timeout" or "EHOSTUNREACH" means no path.
 */
async function tcpProbe(netns: string, host: string, port: number): Promise<string> {
  const script = `
    const socket = require('node:net').connect({ host: process.argv[1], port: Number(process.argv[2]) });
    const done = (text) => { console.log(text); socket.destroy(); process.exit(0); };
    socket.setTimeout(3000, () => done('timeout'));
    socket.on('data', (data) => done('data:' + data.toString()));
    socket.on('error', (err) => done(err.code === 'ECONNREFUSED' ? 'refused' : 'error:' + err.code));`;
  const out = await run('ip', ['netns', 'exec', netns, process.execPath, '-e', script, host, String(port)]);
  return out.trim();
}

/** Starts a TCP server in the namespace that greets every client; resolves once it listens. */
async function startGreeter(netns: string, host: string, port: number, greeting: string): Promise<ChildProcess> {
  const script = `
    require('node:net').createServer((socket) => socket.end(process.argv[3]))
      .listen(Number(process.argv[2]), process.argv[1], () => console.log('listening'));`;
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script, host, String(port), greeting], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (data: Buffer) => {
      if (data.toString().includes('listening')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`greeter in ${netns} exited with ${code}`)));
  });
  return child;
}

describe.skipIf(!isRoot)('RealEffects on a real kernel (root)', () => {
  let tmp: string;
  let prefix: string;
  let effects: RealEffects;
  let mounts: string[] = [];
  let testNamespaces: string[] = [];
  let children: ChildProcess[] = [];
  const usedPrefixes: string[] = [];

  beforeAll(async () => {
    for (const [tool, args, pkg] of TOOLS) {
      const result = await runner.run(tool, args).catch((err: unknown) => {
        throw new Error(`e2e needs ${tool} (Debian package ${pkg}); it could not run: ${(err as Error).message}`);
      });
      expect(result.exitCode, `${tool} ${args.join(' ')} should run (Debian package ${pkg})`).toBe(0);
    }
  });

  async function newEffects(): Promise<RealEffects> {
    return new RealEffects({ runner, dataDir: path.join(tmp, 'data'), deviceRoot: path.join(tmp, 'by-id'), namePrefix: prefix });
  }

  async function addNamespace(suffix: string): Promise<string> {
    const name = `${prefix}-t${suffix}`;
    await run('ip', ['netns', 'add', name]);
    testNamespaces.push(name);
    await run('ip', ['-n', name, 'link', 'set', 'dev', 'lo', 'up']);
    return name;
  }

  async function mountDevice(device: string, name: string): Promise<string> {
    const mountPoint = path.join(tmp, name);
    await mkdir(mountPoint, { recursive: true });
    await run('mount', [device, mountPoint]);
    mounts.push(mountPoint);
    return mountPoint;
  }

  async function unmount(mountPoint: string): Promise<void> {
    await run('umount', [mountPoint]);
    mounts = mounts.filter((entry) => entry !== mountPoint);
  }

  beforeEach(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'real-effects-e2e-'));
    prefix = `e${randomId(5)}`;
    usedPrefixes.push(prefix);
    effects = await newEffects();
  });

  afterEach(async () => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    children = [];
    for (const mountPoint of mounts.reverse()) await runner.run('umount', ['-l', mountPoint]);
    mounts = [];
    await effects.cleanup().catch((err: unknown) => console.error('cleanup failed:', err));
    for (const name of testNamespaces) await runner.run('ip', ['netns', 'delete', name]);
    testNamespaces = [];
    await rm(tmp, { recursive: true, force: true });
  });

  afterAll(async () => {
    // Belt and braces: nothing with this run's prefixes may survive a failed test.
    for (const name of await netnsNames()) {
      if (usedPrefixes.some((used) => name.startsWith(`${used}-`))) await runner.run('ip', ['netns', 'delete', name]);
    }
  });

  it('attaches a volume as a loop device behind its by-id link, reports it busy while mounted, and keeps data through snapshot and restore', async () => {
    const instance = { instanceId: 'i-e2einst1' };
    await effects.createVolume('vol-e2evol01', 1);
    const volumeFile = path.join(tmp, 'data', 'volumes', 'vol-e2evol01.img');

    const { device } = await effects.attachVolume('vol-e2evol01', instance);
    expect(device).toMatch(/^\/dev\/loop[0-9]+$/);
    const link = path.join(tmp, 'by-id', 'i-e2einst1', 'virtio-vol-e2evol01');
    expect(await readlink(link)).toBe(device);
    expect(await effects.attachVolume('vol-e2evol01', instance)).toEqual({ device });
    expect(await loopsBackedBy(volumeFile)).toEqual([device]);

    await run('mkfs.ext4', ['-q', '-F', device]);
    const mountPoint = await mountDevice(link, 'mnt1');
    await writeFile(path.join(mountPoint, 'hello.txt'), 'kept through the snapshot');
    expect(await effects.isVolumeBusy('vol-e2evol01')).toBe(true);
    await unmount(mountPoint);
    expect(await effects.isVolumeBusy('vol-e2evol01')).toBe(false);

    await effects.detachVolume('vol-e2evol01', instance);
    expect(await exists(link)).toBe(false);
    expect(await loopsBackedBy(volumeFile)).toEqual([]);
    await effects.detachVolume('vol-e2evol01', instance);

    await effects.snapshotVolume('vol-e2evol01', 'ss-e2esnap1');
    await effects.createVolumeFromSnapshot('ss-e2esnap1', 'vol-e2evol02', 2);
    const copy = await effects.attachVolume('vol-e2evol02', { instanceId: 'i-e2einst2' });
    expect(await run('blockdev', ['--getsize64', copy.device])).toBe(`${2 * GiB}\n`);
    const copyMount = await mountDevice(copy.device, 'mnt2');
    expect(await readFile(path.join(copyMount, 'hello.txt'), 'utf8')).toBe('kept through the snapshot');
    await unmount(copyMount);

    await effects.resizeVolume('vol-e2evol02', 3);
    expect(await run('blockdev', ['--getsize64', copy.device])).toBe(`${3 * GiB}\n`);

    await effects.deleteVolume('vol-e2evol02');
    expect(await exists(path.join(tmp, 'by-id', 'i-e2einst2', 'virtio-vol-e2evol02'))).toBe(false);
    expect(await loopsBackedBy(path.join(tmp, 'data'))).toEqual([]);
    await effects.deleteSnapshot('ss-e2esnap1');
    await effects.deleteSnapshot('ss-e2esnap1');
  });

  it('reports a volume busy while it is mounted only in another mount namespace (as in a container)', async () => {
    await effects.createVolume('vol-e2evol05', 1);
    const { device } = await effects.attachVolume('vol-e2evol05', { instanceId: 'i-e2einst5' });
    await run('mkfs.ext4', ['-q', '-F', device]);
    const mountPoint = path.join(tmp, 'private-mnt');
    await mkdir(mountPoint);
    const script = `require('node:child_process').execFileSync('mount', process.argv.slice(1)); console.log('mounted'); setInterval(() => {}, 60000);`;
    const holder = spawn('unshare', ['--mount', '--propagation', 'private', process.execPath, '-e', script, device, mountPoint], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(holder);
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (data: Buffer) => {
        if (data.toString().includes('mounted')) resolve();
      });
      holder.on('exit', (code) => reject(new Error(`mount in a private namespace exited with ${code}`)));
    });
    expect((await readFile('/proc/self/mountinfo', 'utf8')).includes(mountPoint)).toBe(false);
    expect(await effects.isVolumeBusy('vol-e2evol05')).toBe(true);
  });

  it('clones an attached volume and restores lost loop devices after a restart without doubling them', async () => {
    await effects.createVolume('vol-e2evol03', 1);
    const instance = { instanceId: 'i-e2einst3' };
    const { device } = await effects.attachVolume('vol-e2evol03', instance);
    await effects.cloneVolume('vol-e2evol03', 'vol-e2evol04', 1);

    const restarted = await newEffects();
    const world = { vxnets: [], attachedNics: [], attachedVolumes: [{ volumeId: 'vol-e2evol03', instance }] };
    await restarted.restore(world);
    expect(await loopsBackedBy(path.join(tmp, 'data', 'volumes', 'vol-e2evol03.img'))).toEqual([device]);

    await run('losetup', ['--detach', device]);
    await rm(path.join(tmp, 'by-id', 'i-e2einst3', 'virtio-vol-e2evol03'));
    await restarted.restore(world);
    const [again] = await loopsBackedBy(path.join(tmp, 'data', 'volumes', 'vol-e2evol03.img'));
    expect(again).toMatch(/^\/dev\/loop[0-9]+$/);
    expect(await readlink(path.join(tmp, 'by-id', 'i-e2einst3', 'virtio-vol-e2evol03'))).toBe(again);

    await restarted.cleanup();
    expect(await loopsBackedBy(path.join(tmp, 'data'))).toEqual([]);
    expect(await exists(path.join(tmp, 'by-id', 'i-e2einst3'))).toBe(false);
  });

  it('plugs a NIC it prepared for while the job was pending with one ip command, and step by step when things changed since', async () => {
    const vxnet: EffectsVxnet = { vxnetId: 'vxnet-e2ep', cidr: '10.91.4.0/24', gateway: '10.91.4.1' };
    const ipCalls: string[][] = [];
    const counting = { run: (command: string, args: readonly string[], options?: Parameters<typeof runner.run>[2]) => (ipCalls.push([command, ...args]), runner.run(command, args, options)) };
    effects = new RealEffects({ runner: counting, dataDir: path.join(tmp, 'data'), deviceRoot: path.join(tmp, 'by-id'), namePrefix: prefix });
    await effects.ensureVxnet(vxnet);
    const ns = await addNamespace('p');
    const nic = { nicId: randomMac(), vxnetId: vxnet.vxnetId, privateIp: '10.91.4.10' };
    await effects.prepareAttachNic(nic, { instanceId: 'i-e2eprep1', netns: ns });
    ipCalls.length = 0;
    await effects.attachNic(nic, { instanceId: 'i-e2eprep1', netns: ns });
    expect(ipCalls).toHaveLength(1);
    expect((await linksIn(ns)).filter((link) => link.address === nic.nicId)).toHaveLength(1);
    expect((await linksIn(`${prefix}-vpc`)).find((link) => link.ifname === `v${nic.nicId.slice(6).replaceAll(':', '')}`)).toBeDefined();

    // Prepared, then plugged by someone else (a restart finishing the job): the one command fails and the careful path
    // finds the NIC already plugged, leaving one link.
    await effects.detachNic(nic, { instanceId: 'i-e2eprep1', netns: ns });
    await effects.prepareAttachNic(nic, { instanceId: 'i-e2eprep1', netns: ns });
    await new RealEffects({ runner, dataDir: path.join(tmp, 'data'), deviceRoot: path.join(tmp, 'by-id'), namePrefix: prefix }).attachNic(nic, { instanceId: 'i-e2eprep1', netns: ns });
    await effects.attachNic(nic, { instanceId: 'i-e2eprep1', netns: ns });
    expect((await linksIn(ns)).filter((link) => link.address === nic.nicId)).toHaveLength(1);
  });

  it('plugs NICs into vxnet switches: instances reach their gateway and each other across vxnets, detach and cleanup leave nothing', async () => {
    const vxnetA: EffectsVxnet = { vxnetId: 'vxnet-e2ea', cidr: '10.91.1.0/24', gateway: '10.91.1.1' };
    const vxnetB: EffectsVxnet = { vxnetId: 'vxnet-e2eb', cidr: '10.91.2.0/24', gateway: '10.91.2.1' };
    await effects.ensureVxnet(vxnetA);
    await effects.ensureVxnet(vxnetB);
    await effects.ensureVxnet(vxnetA);
    const ns1 = await addNamespace('1');
    const ns2 = await addNamespace('2');
    const nicA = { nicId: randomMac(), vxnetId: vxnetA.vxnetId, privateIp: '10.91.1.10' };
    const nicB = { nicId: randomMac(), vxnetId: vxnetB.vxnetId, privateIp: '10.91.2.10' };
    const inst1 = { instanceId: 'i-e2enic01', netns: ns1 };
    const inst2 = { instanceId: 'i-e2enic02', netns: ns2 };

    await effects.attachNic(nicA, inst1);
    await effects.attachNic(nicA, inst1);
    await effects.attachNic(nicB, inst2);
    const plugged = (await linksIn(ns1)).filter((link) => link.address === nicA.nicId);
    expect(plugged).toHaveLength(1);
    expect(plugged[0]!.operstate).toBe('DOWN');
    expect(plugged[0]!.addr_info ?? []).toEqual([]);

    // Configure the NICs the way the CNI would: address in the vxnet, default route via the gateway.
    for (const [ns, nic, vxnet] of [
      [ns1, nicA, vxnetA],
      [ns2, nicB, vxnetB],
    ] as const) {
      const link = (await linksIn(ns)).find((entry) => entry.address === nic.nicId)!.ifname;
      await run('ip', ['-n', ns, 'addr', 'add', `${nic.privateIp}/24`, 'dev', link]);
      await run('ip', ['-n', ns, 'link', 'set', 'dev', link, 'up']);
      await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', vxnet.gateway]);
    }
    expect(await tcpProbe(ns1, vxnetA.gateway, 9)).toBe('refused');
    expect(await tcpProbe(ns2, vxnetB.gateway, 9)).toBe('refused');
    // The probe tells a path from none: the VPC has no route to a third network and answers "unreachable".
    expect(await tcpProbe(ns1, '10.91.3.5', 9)).toMatch(/^error:E(HOST|NET)UNREACH$/);
    children.push(await startGreeter(ns2, nicB.privateIp, 8080, 'hello from vxnet B'));
    expect(await tcpProbe(ns1, nicB.privateIp, 8080)).toBe('data:hello from vxnet B');

    await effects.detachNic(nicA, inst1);
    expect((await linksIn(ns1)).some((link) => link.address === nicA.nicId)).toBe(false);
    expect((await linksIn(`${prefix}-vpc`)).map((link) => link.ifname)).not.toContain(`v${nicA.nicId.slice(6).replaceAll(':', '')}`);
    await effects.detachNic(nicA, inst1);

    // The CNI moves a NIC into a pod namespace and renames it; detach still unplugs it.
    const pod = await addNamespace('3');
    const nicBLink = (await linksIn(ns2)).find((entry) => entry.address === nicB.nicId)!.ifname;
    await run('ip', ['-n', ns2, 'link', 'set', 'dev', nicBLink, 'netns', pod, 'name', 'eth1']);
    await effects.detachNic(nicB, inst2);
    expect((await linksIn(pod)).map((link) => link.ifname)).toEqual(['lo']);

    // A NIC of the root namespace (instance without netns) and one left plugged are both removed by cleanup.
    const nicRoot = { nicId: randomMac(), vxnetId: vxnetA.vxnetId, privateIp: '10.91.1.11' };
    await effects.attachNic(nicRoot, { instanceId: 'i-e2enic03' });
    expect((await linksIn(undefined)).some((link) => link.address === nicRoot.nicId)).toBe(true);
    await effects.attachNic(nicA, inst1);

    await effects.cleanup();
    expect(await netnsNames()).not.toContain(`${prefix}-vpc`);
    for (const ns of [undefined, ns1, ns2, pod]) {
      const names = (await linksIn(ns)).map((link) => link.ifname);
      expect(names.filter((name) => name.startsWith(prefix))).toEqual([]);
      expect((await linksIn(ns)).filter((link) => [nicA.nicId, nicB.nicId, nicRoot.nicId].includes(link.address))).toEqual([]);
    }
    await effects.cleanup();
  });
});
