import { describe, expect, it } from 'vitest';
import { isNetOpsError } from '../../../../src/cni/net/net-error.js';
import type { NetOps, PodNetSpec } from '../../../../src/cni/net/net-ops.js';
import { hostVethName } from '../../../../src/cni/net/validate.js';
import { FakeNetOps } from '../../../fakes/fake-net-ops.js';

const MAC = '52:54:0a:0b:0c:0d';
const SPEC: PodNetSpec = {
  containerId: 'ctr1',
  podNetns: '/var/run/netns/cni-1',
  ifName: 'eth0',
  nicMac: MAC,
  address: '192.168.1.10/24',
  gateway: '192.168.1.1',
  serviceCidrs: ['10.96.0.0/12'],
  hostIps: ['192.168.0.5'],
};
const DEL = { containerId: 'ctr1', podNetns: SPEC.podNetns, nicMac: MAC };

function setUp(): FakeNetOps {
  const fake = new FakeNetOps();
  fake.addNetns('cni-1');
  fake.plugNic(MAC, { name: 'eth3' });
  return fake;
}

describe('FakeNetOps', () => {
  it('implements the NetOps port', () => {
    const ops: NetOps = new FakeNetOps();
    expect(typeof ops.addPod).toBe('function');
  });

  it('ADD moves the NIC into the pod as CNI_IFNAME and leaves a picture CHECK accepts', async () => {
    const fake = setUp();

    const result = await fake.addPod(SPEC);

    expect(result.podInterface).toMatchObject({ name: 'eth0', mac: MAC, up: true });
    expect(result.hostVeth.name).toBe(hostVethName('ctr1'));
    expect(fake.whereIs(MAC)?.netns).toBe('cni-1');
    expect(await fake.findLinkByMac(MAC)).toBeUndefined();
    expect(await fake.checkPod(SPEC)).toEqual([]);
  });

  it('CHECK reports drift the test introduces', async () => {
    const fake = setUp();
    await fake.addPod(SPEC);
    fake.linksIn('cni-1').find((l) => l.name === 'eth0')!.up = false;

    expect(await fake.checkPod(SPEC)).toEqual(expect.arrayContaining(['pod interface eth0 is down', 'pod has no default route via 192.168.1.1 dev eth0']));
  });

  it('DEL returns the NIC under its stable name, down and without address, and is repeatable', async () => {
    const fake = setUp();
    await fake.addPod(SPEC);

    expect(await fake.delPod(DEL)).toEqual({ nic: 'returned', hostName: 'hn_0a0b0c0d', hostVethRemoved: true });
    expect(fake.whereIs(MAC)).toMatchObject({ netns: '', link: { name: 'hn_0a0b0c0d', up: false, addresses: [] } });
    expect((await fake.listLinks('cni-1')).map((l) => l.name)).toEqual(['lo']);
    expect(await fake.delPod(DEL)).toEqual({ nic: 'already-in-host', hostName: 'hn_0a0b0c0d', hostVethRemoved: false });
  });

  it('deleting the pod netns hands the physical NIC back to the root namespace and kills the veth pair, as the kernel does', async () => {
    const fake = setUp();
    await fake.addPod(SPEC);
    fake.deleteNetns(SPEC.podNetns);

    expect(fake.whereIs(MAC)).toMatchObject({ netns: '', link: { name: 'eth0', up: false } });
    expect(await fake.linkExists(hostVethName('ctr1'))).toBe(false);
    expect(await fake.delPod(DEL)).toEqual({ nic: 'already-in-host', hostName: 'hn_0a0b0c0d', hostVethRemoved: false });
  });

  it('ADD fails with NotFound when the NIC has not shown up, and InvalidArgument on bad input', async () => {
    const fake = new FakeNetOps().addNetns('cni-1');

    await expect(fake.addPod(SPEC)).rejects.toSatisfy((err) => isNetOpsError(err, 'NotFound'));
    await expect(fake.addPod({ ...SPEC, ifName: 'x'.repeat(16) })).rejects.toSatisfy((err) => isNetOpsError(err, 'InvalidArgument'));
  });

  it('ADD refuses a pod interface name held by another link', async () => {
    const fake = setUp();
    fake.plugNic('52:54:00:00:00:99', { netns: 'cni-1', name: 'eth0' });

    await expect(fake.addPod(SPEC)).rejects.toSatisfy((err) => isNetOpsError(err, 'AlreadyExists'));
  });

  it('supports a non-root host namespace', async () => {
    const fake = new FakeNetOps().addNetns('node1').addNetns('cni-1');
    fake.plugNic(MAC, { netns: 'node1' });

    await fake.addPod({ ...SPEC, hostNetns: 'node1' });
    await fake.delPod({ ...DEL, hostNetns: 'node1' });

    expect(fake.whereIs(MAC)?.netns).toBe('node1');
  });

  it('records calls and fails a method once when told to', async () => {
    const fake = setUp();
    fake.failNext('findLinkByMac');

    await expect(fake.findLinkByMac(MAC)).rejects.toSatisfy((err) => isNetOpsError(err, 'Internal'));
    expect(await fake.findLinkByMac(MAC)).toMatchObject({ name: 'eth3' });
    expect(fake.calls.map((c) => c.method)).toEqual(['findLinkByMac', 'findLinkByMac']);
  });
});
