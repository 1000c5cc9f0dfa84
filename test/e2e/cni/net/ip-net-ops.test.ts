import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeCommandRunner } from '../../../../src/shared/node-exec.js';
import { IpNetOps } from '../../../../src/cni/net/ip-net-ops.js';
import { isNetOpsError } from '../../../../src/cni/net/net-error.js';
import { HOST_VETH_ADDRESS, POD_VETH_NAME, type PodNetSpec } from '../../../../src/cni/net/net-ops.js';
import { hostVethName, stableNicName } from '../../../../src/cni/net/validate.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) {
  console.warn('SKIPPED test/e2e/cni/net: needs root (network namespaces, veth, bridges); run `npx vitest run --project e2e test/e2e/cni/net` as root');
}

const SERVICE_CIDR = '10.96.0.0/12';
const SERVICE_IP = '10.96.0.10';
/** A port nothing listens on: a TCP RST ("connection refused") proves the packet got there and the answer came back. */
const CLOSED_PORT = '9';
const PROBE_TIMEOUT_MS = 3000;

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryIp(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // cleanup of something already gone
  }
}

/** Opens a TCP connection from inside `netns`; returns "refused", "connected", "timeout" or the error code. */
function tcpProbe(netns: string, address: string, port = CLOSED_PORT): string {
  const script = `
    const [address, port, timeoutMs] = process.argv.slice(1);
    const socket = require('node:net').connect({ host: address, port: Number(port) });
    const done = (what) => { process.stdout.write(what); process.exit(0); };
    socket.on('connect', () => done('connected'));
    socket.on('error', (err) => done(err.code === 'ECONNREFUSED' ? 'refused' : String(err.code)));
    setTimeout(() => done('timeout'), Number(timeoutMs));`;
  return execFileSync('ip', ['netns', 'exec', netns, process.execPath, '-e', script, address, port, String(PROBE_TIMEOUT_MS)], { encoding: 'utf8' });
}

/** A simulated node: a "node" netns with a primary NIC and a hot-plugged NIC (veth, MAC 52:54:…), a "vpc" with the vxnet bridge, and a "pod". */
interface World {
  node: string;
  vpc: string;
  pod: string;
  podPath: string;
  subnet: string;
  gateway: string;
  nodeIp: string;
  podIp: string;
  mac: string;
}

function buildWorld(): World {
  const tag = randomBytes(3).toString('hex');
  const x = randomInt(100, 200);
  const world: World = {
    node: `hne2e-${tag}-node`,
    vpc: `hne2e-${tag}-vpc`,
    pod: `hne2e-${tag}-pod`,
    podPath: `/var/run/netns/hne2e-${tag}-pod`,
    subnet: `192.168.${x}.0/24`,
    gateway: `192.168.${x}.1`,
    nodeIp: `192.168.${x}.2`,
    podIp: `192.168.${x}.10`,
    mac: `52:54:${randomBytes(4).toString('hex').match(/../g)!.join(':')}`,
  };
  const { node, vpc, pod } = world;
  for (const ns of [node, vpc, pod]) {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'dev', 'lo', 'up');
  }
  ip('-n', vpc, 'link', 'add', 'name', 'br0', 'type', 'bridge');
  ip('-n', vpc, 'addr', 'add', `${world.gateway}/24`, 'dev', 'br0');
  ip('-n', vpc, 'link', 'set', 'dev', 'br0', 'up');
  // the node's primary NIC
  ip('-n', node, 'link', 'add', 'name', 'eth0', 'type', 'veth', 'peer', 'name', 'node0', 'netns', vpc);
  ip('-n', node, 'addr', 'add', `${world.nodeIp}/24`, 'dev', 'eth0');
  ip('-n', node, 'link', 'set', 'dev', 'eth0', 'up');
  ip('-n', vpc, 'link', 'set', 'dev', 'node0', 'master', 'br0', 'up');
  // the hot-plugged QingCloud NIC: name unknown to the daemon, DOWN, no address
  ip('-n', node, 'link', 'add', 'name', 'eth7', 'address', world.mac, 'type', 'veth', 'peer', 'name', 'nic0', 'netns', vpc);
  ip('-n', vpc, 'link', 'set', 'dev', 'nic0', 'master', 'br0', 'up');
  // a "service" address that lives on the host (kube-proxy's side)
  ip('-n', node, 'addr', 'add', `${SERVICE_IP}/32`, 'dev', 'lo');
  // strict reverse-path filtering on the node: a reply that came back over the vxnet instead of the veth would be dropped
  execFileSync('ip', ['netns', 'exec', node, 'sysctl', '-q', '-w', 'net.ipv4.conf.all.rp_filter=1', 'net.ipv4.conf.eth0.rp_filter=1']);
  return world;
}

function destroyWorld(world: World): void {
  for (const ns of [world.pod, world.node, world.vpc]) tryIp('netns', 'delete', ns);
}

function addressesOf(netns: string, dev: string): string[] {
  const links = JSON.parse(ip('-n', netns, '-json', 'addr', 'show', 'dev', dev)) as { addr_info: { family: string; local: string }[] }[];
  return links.flatMap((link) => link.addr_info.filter((a) => a.family === 'inet').map((a) => a.local));
}

describe.skipIf(!isRoot)('IpNetOps on real network namespaces', () => {
  const ops = new IpNetOps({ runner: new NodeCommandRunner() });
  let world: World;
  let children: ChildProcess[] = [];

  function spec(containerId: string): PodNetSpec {
    return {
      containerId,
      podNetns: world.podPath,
      ifName: 'eth0',
      nicMac: world.mac,
      address: `${world.podIp}/24`,
      gateway: world.gateway,
      serviceCidrs: [SERVICE_CIDR],
      hostIps: [world.nodeIp],
      hostNetns: world.node,
    };
  }

  beforeEach(() => {
    world = buildWorld();
  });

  afterEach(() => {
    for (const child of children) child.kill('SIGKILL');
    children = [];
    destroyWorld(world);
    const leftovers = ip('netns', 'list').split('\n').filter((line) => line.includes(world.node.slice(0, 12)));
    expect(leftovers).toEqual([]);
  });

  it('ADD moves the NIC into the pod as eth0 with its IP, and the pod reaches the gateway, the node and a service through the host', async () => {
    const before = await ops.findLinkByMac(world.mac, world.node);
    expect(before).toMatchObject({ name: 'eth7', up: false, kind: 'veth' });

    const result = await ops.addPod(spec('ctr-add-1'));

    expect(result.podInterface).toMatchObject({ name: 'eth0', mac: world.mac, up: true });
    expect(result.hostVeth).toMatchObject({ name: hostVethName('ctr-add-1'), up: true, kind: 'veth' });
    expect(result.podVeth).toMatchObject({ name: POD_VETH_NAME, up: true, kind: 'veth' });
    expect(await ops.findLinkByMac(world.mac, world.node)).toBeUndefined();
    expect(addressesOf(world.pod, 'eth0')).toEqual([world.podIp]);
    expect(tcpProbe(world.pod, world.gateway)).toBe('refused');
    expect(tcpProbe(world.node, world.podIp)).toBe('refused');
    expect(ip('-n', world.node, 'route', 'get', world.podIp)).toContain(`dev ${hostVethName('ctr-add-1')} src ${HOST_VETH_ADDRESS}`);
    expect(tcpProbe(world.pod, world.nodeIp)).toBe('refused');
    expect(tcpProbe(world.pod, SERVICE_IP)).toBe('refused');
    expect(await ops.checkPod(spec('ctr-add-1'))).toEqual([]);
  });

  it('ADD can be re-run for the same container and leaves the same healthy picture', async () => {
    await ops.addPod(spec('ctr-rerun'));
    await ops.addPod(spec('ctr-rerun'));

    expect(await ops.checkPod(spec('ctr-rerun'))).toEqual([]);
    expect(tcpProbe(world.node, world.podIp)).toBe('refused');
  });

  it('ADD by the NIC\'s known host name (two ip -batch runs) leaves the same healthy picture, and a re-run keeps it', async () => {
    const result = await ops.addPod({ ...spec('ctr-fast'), nicName: 'eth7' });

    expect(result.podInterface).toMatchObject({ name: 'eth0', mac: world.mac, up: true });
    expect(result.hostVeth).toMatchObject({ name: hostVethName('ctr-fast'), up: true, kind: 'veth' });
    expect(await ops.checkPod(spec('ctr-fast'))).toEqual([]);
    expect(tcpProbe(world.pod, world.gateway)).toBe('refused');
    expect(tcpProbe(world.node, world.podIp)).toBe('refused');

    await ops.addPod({ ...spec('ctr-fast'), nicName: 'eth7' });
    expect(await ops.checkPod(spec('ctr-fast'))).toEqual([]);
  });

  it('ADD whose known name now belongs to another link gives that link back and still moves the right NIC', async () => {
    ip('-n', world.node, 'link', 'add', 'name', 'eth8', 'type', 'veth', 'peer', 'name', 'eth9');

    const result = await ops.addPod({ ...spec('ctr-stale'), nicName: 'eth8' });

    expect(result.podInterface).toMatchObject({ name: 'eth0', mac: world.mac });
    expect(ip('-n', world.node, 'link', 'show', 'dev', 'eth8')).toContain('eth8');
    expect(addressesOf(world.node, 'eth8')).toEqual([]);
    expect(await ops.checkPod(spec('ctr-stale'))).toEqual([]);
  });

  it('ADD fails with NotFound naming the NIC when it is not on the host', async () => {
    const missing = { ...spec('ctr-missing'), nicMac: '52:54:00:00:00:01' };

    const error = await ops.addPod(missing).catch((err: unknown) => err);

    expect(isNetOpsError(error, 'NotFound')).toBe(true);
    expect((error as Error).message).toContain('52:54:00:00:00:01');
  });

  it('CHECK reports a downed pod interface and a missing service route', async () => {
    await ops.addPod(spec('ctr-check'));
    ip('-n', world.pod, 'link', 'set', 'dev', 'eth0', 'down');
    ip('-n', world.pod, 'route', 'del', SERVICE_CIDR);

    const problems = await ops.checkPod(spec('ctr-check'));

    expect(problems).toEqual(
      expect.arrayContaining([
        'pod interface eth0 is down',
        `pod has no service route ${SERVICE_CIDR} via ${HOST_VETH_ADDRESS} dev ${POD_VETH_NAME}`,
      ]),
    );
  });

  it('DEL returns the NIC to the node netns under its stable name, down and without address; DEL again succeeds', async () => {
    await ops.addPod(spec('ctr-del'));
    const del = { containerId: 'ctr-del', podNetns: world.podPath, nicMac: world.mac, hostNetns: world.node };

    expect(await ops.delPod(del)).toEqual({ nic: 'returned', hostName: stableNicName(world.mac), hostVethRemoved: true });

    expect(await ops.findLinkByMac(world.mac, world.node)).toMatchObject({ name: stableNicName(world.mac), up: false });
    expect(addressesOf(world.node, stableNicName(world.mac))).toEqual([]);
    expect(await ops.linkExists(hostVethName('ctr-del'), world.node)).toBe(false);
    expect((await ops.listLinks(world.podPath)).map((l) => l.name)).toEqual(['lo']);
    expect(await ops.delPod(del)).toEqual({ nic: 'already-in-host', hostName: stableNicName(world.mac), hostVethRemoved: false });
  });

  it('the NIC a DEL returned serves the next pod', async () => {
    await ops.addPod(spec('ctr-first'));
    await ops.delPod({ containerId: 'ctr-first', podNetns: world.podPath, nicMac: world.mac, hostNetns: world.node });

    await ops.addPod(spec('ctr-second'));

    expect(await ops.checkPod(spec('ctr-second'))).toEqual([]);
    expect(tcpProbe(world.pod, world.gateway)).toBe('refused');
  });

  it('DEL succeeds after the pod netns was deleted (the veth NIC and the veth pair die with it)', async () => {
    await ops.addPod(spec('ctr-gone'));
    ip('netns', 'delete', world.pod);

    const result = await ops.delPod({ containerId: 'ctr-gone', podNetns: world.podPath, nicMac: world.mac, hostNetns: world.node });

    // the kernel dismantles a deleted namespace asynchronously: the host veth may or may not still be there for DEL to remove
    expect(result.nic).toBe('not-found');
    expect(await ops.linkExists(hostVethName('ctr-gone'), world.node)).toBe(false);
    expect(await ops.delPod({ containerId: 'ctr-gone', podNetns: '', nicMac: world.mac, hostNetns: world.node })).toEqual({ nic: 'not-found', hostVethRemoved: false });
  });

  it('DEL tidies a NIC the kernel already handed back to the host when the pod netns went away', async () => {
    await ops.addPod(spec('ctr-refund'));
    // what the kernel does with a physical NIC when its namespace dies (it keeps the pod's name, unless taken)
    ip('-n', world.pod, 'link', 'set', 'dev', 'eth0', 'netns', world.node, 'name', 'eth9');
    ip('-n', world.node, 'addr', 'add', '192.0.2.7/24', 'dev', 'eth9');
    ip('-n', world.node, 'link', 'set', 'dev', 'eth9', 'up');
    ip('netns', 'delete', world.pod);

    const result = await ops.delPod({ containerId: 'ctr-refund', podNetns: world.podPath, nicMac: world.mac, hostNetns: world.node });

    // The kernel tears a dead namespace's veth pair down asynchronously: DEL finds the host end gone or removes it.
    expect(result).toMatchObject({ nic: 'already-in-host', hostName: stableNicName(world.mac) });
    expect((await ops.listLinks(world.node)).map((l) => l.name)).not.toContain(hostVethName('ctr-refund'));
    expect(await ops.findLinkByMac(world.mac, world.node)).toMatchObject({ name: stableNicName(world.mac), up: false });
    expect(addressesOf(world.node, stableNicName(world.mac))).toEqual([]);
  });

  it('lists links through a /proc/<pid>/ns/net path as well as by name', async () => {
    // `ip netns exec` enters the namespace and then execs node (same pid), which says "ready" once it runs there
    const child = spawn('ip', ['netns', 'exec', world.node, process.execPath, '-e', 'process.stdout.write("ready"); setInterval(() => {}, 60_000);'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`probe process exited early with ${code}`)));
    });
    const path = `/proc/${child.pid}/ns/net`;

    const names = (await ops.listLinks(path)).map((l) => l.name);

    expect(names).toEqual(expect.arrayContaining(['lo', 'eth0', 'eth7']));
    expect(await ops.findLinkByMac(world.mac, path)).toMatchObject({ name: 'eth7' });
  });
});
