import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNetworkLab, DEBIAN_CNI_DIR, type NetworkLab } from '../../../src/demo/network-lab.js';
import { isRoot, loopsUnder, netnsNames, sh, warnSkip } from '../support/host.js';

warnSkip('test/e2e/cni/hostnic.test.ts');
const hasPortmap = existsSync(path.join(DEBIAN_CNI_DIR, 'portmap'));
if (isRoot && !hasPortmap) {
  console.warn(`!!! SKIPPING the portmap chaining test of test/e2e/cni/hostnic.test.ts: ${DEBIAN_CNI_DIR}/portmap is missing (apt-get install containernetworking-plugins) !!!`);
}

type Link = { ifname: string; address?: string; flags?: string[]; addr_info?: { family: string; local: string; prefixlen: number }[] };
const ECHO_PORT = 8080;

async function linksIn(netns: string): Promise<Link[]> {
  return JSON.parse(await sh('ip', ['-n', netns, '-json', 'addr', 'show'])) as Link[];
}

/** Polls a condition the lab cannot signal (the simulator's job table, the daemon's pool settling). */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!isRoot)('hostnic on a two-node lab (real daemons, real plugin, simulated VPC)', () => {
  let dir: string;
  let lab: NetworkLab;
  let rootNatBefore: string;
  const ip = (pod: string): string => lab.pod(pod).result!.ips![0]!.address.split('/')[0]!;
  const nicName = (node: number): string => `hostnic_${lab.nodes[node - 1]!.instanceId}`;

  beforeAll(async () => {
    rootNatBefore = await sh('iptables', ['-t', 'nat', '-S']);
    dir = await mkdtemp(path.join(tmpdir(), 'hostnic-e2e-'));
    // A cold pool (every ADD creates and attaches its NIC) keeps the cloud view exact; node 2 has a pod limit of 3.
    lab = await startNetworkLab({ dir, nodes: 2, nodeVxnets: [[0], [1]], maxPods: [20, 3], poolLow: 0, poolHigh: 0, portmap: hasPortmap });
  });

  afterAll(async () => {
    const prefix = lab?.prefix;
    let stopError: unknown;
    await lab?.stop().catch((err: unknown) => (stopError = err));
    const leftNs = prefix === undefined ? [] : (await netnsNames()).filter((n) => n.startsWith(prefix));
    const rootLinks = JSON.parse(await sh('ip', ['-json', 'link', 'show'])) as Link[];
    const leftLinks = prefix === undefined ? [] : rootLinks.filter((l) => l.ifname.startsWith(prefix) || l.ifname.startsWith('hn'));
    const rootNatAfter = await sh('iptables', ['-t', 'nat', '-S']);
    const leftLoops = dir === undefined ? [] : await loopsUnder(dir);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    expect(stopError).toBeUndefined();
    expect(leftNs).toEqual([]);
    expect(leftLinks).toEqual([]);
    expect(rootNatAfter).toBe(rootNatBefore);
    expect(leftLoops).toEqual([]);
  });

  it('ADD gives each pod its own NIC: the result MAC is the NIC id and the pod eth0 has that MAC and the NIC address', async () => {
    for (const [node, name] of [[1, 'a1'], [2, 'b1']] as const) {
      const add = await lab.addPod(node, name);
      expect(add.exitCode, add.stdout + add.stderr).toBe(0);
      const eth0 = add.result!.interfaces!.find((i) => i.name === 'eth0')!;
      expect(eth0.mac).toMatch(/^52:54(:[0-9a-f]{2}){4}$/);
      expect(eth0.sandbox).toBe(lab.pod(name).netnsPath);
      const nic = lab.sim.world().nics[eth0.mac!];
      expect(nic).toMatchObject({ nic_name: nicName(node), instance_id: lab.nodes[node - 1]!.instanceId, status: 'in-use' });
      expect(add.result!.ips![0]!.address).toBe(`${nic!.private_ip}/24`);
      const inPod = (await linksIn(lab.pod(name).netns)).find((l) => l.ifname === 'eth0')!;
      expect(inPod.address).toBe(eth0.mac);
      expect(inPod.addr_info?.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual([`${nic!.private_ip}/24`]);
    }
    // nodeVxnets put the two pods in different vxnets of the VPC
    expect(ip('a1')).toMatch(/^192\.168\.50\./);
    expect(ip('b1')).toMatch(/^192\.168\.51\./);
    expect((await lab.checkPod('a1')).exitCode).toBe(0);
  });

  it('pods on different nodes and vxnets exchange data through the VPC router', async () => {
    const echoA = await lab.echoServer(lab.pod('a1').netns, ECHO_PORT);
    const echoB = await lab.echoServer(lab.pod('b1').netns, ECHO_PORT).catch(async (err: unknown) => {
      await echoA.stop();
      throw err;
    });
    try {
      expect(await lab.tcpEcho(lab.pod('a1').netns, ip('b1'), ECHO_PORT, 'a1->b1')).toBe('a1->b1');
      expect(await lab.tcpEcho(lab.pod('b1').netns, ip('a1'), ECHO_PORT, 'b1->a1')).toBe('b1->a1');
      // the path is the NIC and its vxnet gateway, not the host
      expect(await sh('ip', ['-n', lab.pod('a1').netns, 'route', 'get', ip('b1')])).toMatch(/via 192\.168\.50\.1 dev eth0/);
    } finally {
      await echoA.stop();
      await echoB.stop();
    }
  });

  it('a node reaches its own pod over the host veth and the other node pod over the VPC', async () => {
    const echo = await lab.echoServer(lab.pod('a1').netns, ECHO_PORT);
    try {
      expect(await lab.tcpEcho(lab.nodes[0]!.netns, ip('a1'), ECHO_PORT, 'node1->a1')).toBe('node1->a1');
      expect(await lab.tcpEcho(lab.nodes[1]!.netns, ip('a1'), ECHO_PORT, 'node2->a1')).toBe('node2->a1');
    } finally {
      await echo.stop();
    }
  });

  it('a service IP DNAT-ed on node 1 (as kube-proxy does) reaches a pod on node 2 from a pod on node 1', async () => {
    const node1 = lab.nodes[0]!.netns;
    const target = `${ip('b1')}:${ECHO_PORT}`;
    await sh('ip', ['netns', 'exec', node1, 'iptables', '-t', 'nat', '-A', 'PREROUTING', '-d', '10.96.0.10/32', '-p', 'tcp', '--dport', '80', '-j', 'DNAT', '--to-destination', target]);
    await sh('ip', ['netns', 'exec', node1, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-d', `${ip('b1')}/32`, '-p', 'tcp', '--dport', String(ECHO_PORT), '-j', 'MASQUERADE']);
    const echo = await lab.echoServer(lab.pod('b1').netns, ECHO_PORT);
    try {
      expect(await lab.tcpEcho(lab.pod('a1').netns, '10.96.0.10', 80, 'via-service')).toBe('via-service');
    } finally {
      await echo.stop();
    }
  });

  it('refuses the pod beyond the node limit with CNI code 101, STATUS says 50, and a DEL makes the node ready again', async () => {
    expect((await lab.addPod(2, 'b2')).exitCode).toBe(0);
    expect((await lab.addPod(2, 'b3')).exitCode).toBe(0);
    const over = await lab.addPod(2, 'b4');
    expect(over.exitCode).not.toBe(0);
    expect(over.json).toMatchObject({ code: 101 });
    expect(String(over.json?.msg)).toContain('maxPods 3');
    expect(String(over.json?.msg)).toContain(lab.nodes[1]!.instanceId);
    const status = await lab.status(2);
    expect(status.exitCode).not.toBe(0);
    expect(status.json).toMatchObject({ code: 50 });
    expect((await lab.delPod('b4')).exitCode).toBe(0); // the runtime's DEL after the failed ADD
    expect((await lab.delPod('b3')).exitCode).toBe(0);
    expect((await lab.status(2)).exitCode).toBe(0);
  });

  it('DEL gives the NIC back to the node: down, no address, still attached; DEL again and DEL of a vanished netns succeed', async () => {
    const mac = lab.pod('b2').result!.interfaces!.find((i) => i.name === 'eth0')!.mac!;
    expect((await lab.delPod('b2', { keepNetns: true })).exitCode).toBe(0);
    const back = (await linksIn(lab.nodes[1]!.netns)).find((l) => l.address === mac);
    expect(back).toBeDefined();
    expect(back!.flags).not.toContain('UP');
    expect((back!.addr_info ?? []).filter((a) => a.family === 'inet')).toEqual([]);
    expect((await linksIn(lab.pod('b2').netns)).some((l) => l.address === mac)).toBe(false);
    expect(lab.sim.world().nics[mac]).toMatchObject({ instance_id: lab.nodes[1]!.instanceId, status: 'in-use' });
    const record = (await lab.introspect(2)).nics.find((n) => n.nicId === mac);
    expect(record?.phase).toBe('attached-idle');
    expect((await lab.delPod('b2')).exitCode).toBe(0);

    const late = await lab.addPod(2, 'b5');
    expect(late.exitCode).toBe(0);
    await lab.removePodNetns('b5');
    expect((await lab.delPod('b5')).exitCode).toBe(0);
    const pods = (await lab.introspect(2)).nics.filter((n) => n.pod !== undefined).map((n) => n.pod!.containerId);
    expect(pods).toEqual([lab.pod('b1').containerId]);
  });

  it('GC releases the NIC of an attachment the runtime no longer lists', async () => {
    const add = await lab.addPod(2, 'b6');
    expect(add.exitCode).toBe(0);
    const mac = add.result!.interfaces!.find((i) => i.name === 'eth0')!.mac!;
    const gc = await lab.gc(2, ['b1']);
    expect(gc.exitCode, gc.stdout).toBe(0);
    const record = (await lab.introspect(2)).nics.find((n) => n.nicId === mac);
    expect(record).toMatchObject({ phase: 'attached-idle' });
    expect(record?.pod).toBeUndefined();
    expect((await linksIn(lab.nodes[1]!.netns)).some((l) => l.address === mac)).toBe(true);
    expect((await lab.delPod('b6')).exitCode).toBe(0);
    expect((await lab.checkPod('b1')).exitCode).toBe(0);
  });

  it.skipIf(!hasPortmap)('chains Debian portmap after hostnic: a hostPort on node 1 reaches the pod, and DEL removes both', async () => {
    const node = lab.nodes[0]!;
    const add = await lab.addPod(1, 'a2', { portMappings: [{ hostPort: 18080, containerPort: ECHO_PORT, protocol: 'tcp' }] });
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    expect(add.portmap?.exitCode).toBe(0);
    expect(add.result!.interfaces!.some((i) => i.name === 'eth0')).toBe(true);
    const echo = await lab.echoServer(lab.pod('a2').netns, ECHO_PORT);
    try {
      expect(await lab.tcpEcho(node.netns, node.ip, 18080, 'hostport')).toBe('hostport');
    } finally {
      await echo.stop();
    }
    const containerId = lab.pod('a2').containerId;
    expect(await sh('ip', ['netns', 'exec', node.netns, 'iptables', '-t', 'nat', '-S'])).toContain(containerId);
    expect((await lab.delPod('a2')).exitCode).toBe(0);
    expect(await sh('ip', ['netns', 'exec', node.netns, 'iptables', '-t', 'nat', '-S'])).not.toContain(containerId);
  });

  it('kill -9 of the daemon during an ADD: the ADD fails, the restarted daemon serves the DEL, and nothing leaks', async () => {
    // idle NICs (a DEL of an earlier test returned one) go to filler pods, so the next ADD must attach a new NIC
    const live = new Set([lab.pod('a1').containerId]);
    for (let i = 0; (await lab.introspect(1)).pool.idle > 0; i++) {
      expect((await lab.addPod(1, `filler${i}`)).exitCode).toBe(0);
      live.add(lab.pod(`filler${i}`).containerId);
    }
    lab.sim.setJobLatency({ actions: { AttachNics: 2_000 } });
    const inFlight = lab.addPod(1, 'a9');
    await waitFor('an AttachNics job of node 1 to start', async () =>
      Object.values(lab.sim.world().jobs).some((j) => j.job_action === 'AttachNics' && ['pending', 'working'].includes(j.status)) ? true : undefined,
    );
    await lab.killDaemon(1, 'SIGKILL');
    const add = await inFlight;
    expect(add.exitCode).not.toBe(0);
    lab.sim.setJobLatency(0);
    await lab.restartDaemon(1);
    const del = await lab.delPod('a9');
    expect(del.exitCode, del.stdout).toBe(0);

    // cloud, node and daemon agree once the pool settled
    const view = await waitFor('node 1 daemon to settle', async () => {
      const v = await lab.introspect(1);
      return v.pool.inFlight === 0 && v.creating.length === 0 && v.nics.every((n) => ['attached-idle', 'assigned'].includes(n.phase)) ? v : undefined;
    });
    const records = new Map(view.nics.map((n) => [n.nicId, n]));
    const cloud = Object.values(lab.sim.world().nics).filter((n) => n.nic_name === nicName(1));
    const nodeLinks = await linksIn(lab.nodes[0]!.netns);
    for (const nic of cloud) {
      const record = records.get(nic.nic_id);
      expect(record, `NIC ${nic.nic_id} in the cloud is unknown to the daemon (leaked)`).toBeDefined();
      expect(nic.instance_id).toBe(lab.nodes[0]!.instanceId);
      if (record!.phase === 'attached-idle') expect(nodeLinks.some((l) => l.address === nic.nic_id)).toBe(true);
      else expect(live.has(record!.pod!.containerId), `NIC ${nic.nic_id} is assigned to a dead pod`).toBe(true);
    }
    expect(records.size).toBe(cloud.length);
    const owners = [...records.values()].filter((r) => r.pod !== undefined).map((r) => r.pod!.containerId);
    expect(new Set(owners).size).toBe(owners.length);
    expect(new Set(owners)).toEqual(live);
  });
});
