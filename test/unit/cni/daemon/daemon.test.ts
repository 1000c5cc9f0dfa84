import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CNI_ERROR, CniError } from '../../../../src/cni/types.js';
import { PROTOCOL_VERSION } from '../../../../src/cni/protocol.js';
import { addReq, delReq, NODE, VXNET_A, World } from './harness.js';

let world: World;

beforeEach(() => {
  world = new World();
});

afterEach(async () => {
  await world.stopAll();
});

async function cniError(p: Promise<unknown>): Promise<CniError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CniError);
  return err as CniError;
}

describe('ADD', () => {
  it('takes a warm NIC from the pool without calling the cloud', async () => {
    const d = await world.start({ pool: { low: 2, high: 3, cooldownSeconds: 60 } });
    await d.pool.runOnce();
    expect(d.table.idle()).toHaveLength(3);
    expect(world.cloud.count('create')).toBe(1); // one batch
    expect(world.cloud.count('attach')).toBe(1);
    const calls = world.cloud.calls.length;
    const ns = world.podNetns('pod1');
    const { result } = await d.service.add(addReq('c1', ns));
    expect(world.cloud.calls.length).toBe(calls);
    const nic = d.table.byPod('c1', 'eth0')!;
    expect(nic.phase).toBe('assigned');
    expect(result.interfaces[1]).toEqual({ name: 'eth0', mac: nic.nicId, sandbox: ns });
    expect(result.ips).toEqual([{ address: `${nic.privateIp}/24`, gateway: '192.168.10.1', interface: 1 }]);
    expect(result.routes).toEqual([{ dst: '0.0.0.0/0', gw: '192.168.10.1' }]);
    expect(world.net.whereIs(nic.nicId)?.netns).toBe('pod1');
  });

  it('creates and attaches a NIC on the cold path when the pool is empty', async () => {
    const d = await world.start();
    const ns = world.podNetns('pod1');
    const { result } = await d.service.add(addReq('c1', ns));
    expect(world.cloud.count('create')).toBe(1);
    expect(world.cloud.count('attach')).toBe(1);
    const nic = d.table.byPod('c1', 'eth0')!;
    expect(result.interfaces[1]!.mac).toBe(nic.nicId);
    expect(world.net.whereIs(nic.nicId)?.netns).toBe('pod1');
  });

  it('answers a repeated ADD of the same attachment with the same NIC and result', async () => {
    const d = await world.start();
    const ns = world.podNetns('pod1');
    const first = await d.service.add(addReq('c1', ns));
    const second = await d.service.add(addReq('c1', ns));
    expect(second).toEqual(first);
    expect(world.cloud.count('create')).toBe(1);
  });

  it('joins a concurrent ADD of the same attachment and runs different pods concurrently', async () => {
    world.cloud.latencyMs.attach = 1000;
    const d = await world.start();
    const ns1 = world.podNetns('pod1');
    const ns2 = world.podNetns('pod2');
    const a = d.service.add(addReq('c1', ns1));
    const b = d.service.add(addReq('c1', ns1));
    const c = d.service.add(addReq('c2', ns2));
    await world.clock.advance(1000);
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    expect(ra).toEqual(rb);
    expect(rc.result.interfaces[1]!.mac).not.toBe(ra.result.interfaces[1]!.mac);
    expect(world.cloud.count('create')).toBe(2);
  });

  it('routes the service CIDR of the request and the node IP over the host veth', async () => {
    const d = await world.start();
    const ns = world.podNetns('pod1');
    await d.service.add(addReq('c1', ns, { serviceCIDR: '10.100.0.0/16' }));
    const routes = world.net.routesIn(ns).map((r) => r.dst);
    expect(routes).toContain('10.100.0.0/16');
    expect(routes).toContain('10.0.0.2/32');
  });

  it('refuses a malformed serviceCIDR with code 7', async () => {
    const d = await world.start();
    const err = await cniError(d.service.add(addReq('c1', world.podNetns('pod1'), { serviceCIDR: 'nope' })));
    expect(err.cniCode).toBe(CNI_ERROR.InvalidNetworkConfig);
  });

  it('changes nothing in the kernel when the checkpoint announcing the move fails, and reports that failure', async () => {
    const d = await world.start({ pool: { low: 1, high: 1, cooldownSeconds: 60 } });
    await d.pool.runOnce();
    const nicId = d.table.idle()[0]!.nicId;
    world.disk.failNextSave = new Error('no space left on device');
    const err = await cniError(d.service.add(addReq('c1', world.podNetns('pod1'))));
    expect(err.message).toContain('no space left on device');
    expect(world.net.whereIs(nicId)?.netns).toBe('');
  });

  it('gives the NIC back to the pool when moving it into the pod fails', async () => {
    const d = await world.start();
    const ns = world.podNetns('pod1');
    world.net.failNext('addPod');
    const err = await cniError(d.service.add(addReq('c1', ns)));
    expect(err.cniCode).toBe(CNI_ERROR.Internal);
    expect(d.table.byPod('c1', 'eth0')).toBeUndefined();
    expect(d.table.idle()).toHaveLength(1);
  });

  it('answers 103 naming the cloud failure when the cold create fails', async () => {
    const d = await world.start();
    world.cloud.failNext('create', 'Internal', 'CreateNics failed: ret_code 1100');
    const err = await cniError(d.service.add(addReq('c1', world.podNetns('pod1'))));
    expect(err.cniCode).toBe(CNI_ERROR.CloudError);
    expect(err.message).toContain('CreateNics failed');
  });

  it('answers 11 when the cloud is busy so the runtime retries', async () => {
    const d = await world.start();
    world.cloud.failNext('attach', 'Busy');
    const err = await cniError(d.service.add(addReq('c1', world.podNetns('pod1'))));
    expect(err.cniCode).toBe(CNI_ERROR.TryAgainLater);
    expect(world.cloud.ownedBy(NODE)).toHaveLength(0); // the NIC made for it was deleted again
  });
});

describe('vxnet choice', () => {
  it('creates in the vxnet with the most free addresses', async () => {
    world = new World({ vxnetA: { first: 2, last: 5 }, vxnetB: { first: 2, last: 50 } });
    const d = await world.start();
    await d.service.add(addReq('c1', world.podNetns('pod1')));
    expect(d.table.byPod('c1', 'eth0')!.vxnetId).toBe('vxnet-podb');
  });

  it('moves on to the next vxnet when the chosen one turns out full', async () => {
    const d = await world.start();
    world.cloud.failNext('create', 'NoAddresses');
    await d.service.add(addReq('c1', world.podNetns('pod1')));
    const creates = world.cloud.calls.filter((c) => c.method === 'create').map((c) => (c.arg as { vxnetId: string }).vxnetId);
    expect(creates).toHaveLength(2);
    expect(creates[0]).not.toBe(creates[1]);
  });

  it('reads the free addresses once for the cold ADDs of 30 s, counting its own creates, and again after', async () => {
    world = new World({ vxnetA: { first: 2, last: 4 }, vxnetB: { first: 2, last: 5 } }); // 3 and 4 free
    const d = await world.start({ pool: { low: 0, high: 0, cooldownSeconds: 60 } });
    for (const id of ['c1', 'c2', 'c3']) await d.service.add(addReq(id, world.podNetns(id)));
    expect(world.cloud.count('freeAddresses')).toBe(1);
    // B has 4 → then A and B tie at 3 (config order: A) → then B has 3 to A's 2: the view followed its own creates
    expect(['c1', 'c2', 'c3'].map((id) => d.table.byPod(id, 'eth0')!.vxnetId)).toEqual(['vxnet-podb', 'vxnet-poda', 'vxnet-podb']);
    await world.clock.advance(30_000);
    await d.service.add(addReq('c4', world.podNetns('c4')));
    expect(world.cloud.count('freeAddresses')).toBe(2);
  });

  it('concludes that every vxnet is full only from a fresh read, so addresses freed by another node are used at once', async () => {
    world = new World({ vxnetA: { first: 2, last: 3 }, vxnetB: { first: 2, last: 2 } });
    const d = await world.start({ pool: { low: 0, high: 0, cooldownSeconds: 60 } });
    const other = await world.cloud.create(VXNET_A, 2); // another node holds both of A's addresses
    await d.service.add(addReq('c1', world.podNetns('c1')));
    expect((await cniError(d.service.add(addReq('c2', world.podNetns('c2'))))).cniCode).toBe(CNI_ERROR.NoFreeAddress);
    await world.cloud.delete(other.map((n) => n.nicId)); // the other node lets go of its NICs
    await d.service.add(addReq('c3', world.podNetns('c3')));
    expect(d.table.byPod('c3', 'eth0')!.vxnetId).toBe(VXNET_A);
  });

  it('answers 102 naming the vxnets when all are full, and STATUS reports it', async () => {
    world = new World({ vxnetA: { first: 2, last: 2 }, vxnetB: { first: 2, last: 2 } });
    const d = await world.start();
    await d.service.add(addReq('c1', world.podNetns('pod1')));
    await d.service.add(addReq('c2', world.podNetns('pod2')));
    const err = await cniError(d.service.add(addReq('c3', world.podNetns('pod3'))));
    expect(err.cniCode).toBe(CNI_ERROR.NoFreeAddress);
    expect(err.message).toContain('vxnet-poda');
    expect(err.message).toContain('vxnet-podb');
    expect(d.service.status()).toMatchObject({ ready: false, code: CNI_ERROR.NotAvailable });
  });
});

describe('pod limit', () => {
  it('refuses the pod beyond maxPods with 101, reports STATUS 50, and is ready again when a pod leaves', async () => {
    const d = await world.start({ maxPods: 3 });
    for (const id of ['c1', 'c2', 'c3']) await d.service.add(addReq(id, world.podNetns(id)));
    expect(d.service.status()).toMatchObject({ ready: false, code: 50, msg: `node ${NODE} at its pod limit: 3/3 pods; existing pods keep their connectivity` });
    const err = await cniError(d.service.add(addReq('c4', world.podNetns('c4'))));
    expect(err.cniCode).toBe(CNI_ERROR.NodePodLimit);
    expect(err.message).toContain('maxPods 3');
    expect(err.message).toContain(NODE);
    await d.service.del(delReq('c2', '/var/run/netns/c2'));
    expect(d.service.status()).toEqual({ ready: true, protocolVersion: PROTOCOL_VERSION });
    await d.service.add(addReq('c4', '/var/run/netns/c4'));
  });

  it('the 61st pod gets 101 with the default maxPods of 60', async () => {
    const d = await world.start({ pool: { low: 0, high: 3, cooldownSeconds: 60 } });
    for (let i = 1; i <= 60; i++) await d.service.add(addReq(`c${i}`, world.podNetns(`p${i}`)));
    const err = await cniError(d.service.add(addReq('c61', world.podNetns('p61'))));
    expect(err.cniCode).toBe(101);
    expect(err.message).toContain('60 of 60 pods');
  });

  it('holds the limit for concurrent cold ADDs', async () => {
    world.cloud.latencyMs.attach = 500;
    const d = await world.start({ maxPods: 2 });
    const results = ['c1', 'c2', 'c3'].map((id) => d.service.add(addReq(id, world.podNetns(id))).then(() => 'ok', (e: CniError) => e.cniCode));
    await world.clock.advance(500);
    expect((await Promise.all(results)).sort()).toEqual([101, 'ok', 'ok']);
  });
});

describe('DEL', () => {
  it('returns the NIC to the pool idle and moves it out of the pod', async () => {
    const d = await world.start({ pool: { low: 0, high: 5, cooldownSeconds: 60 } });
    const ns = world.podNetns('pod1');
    await d.service.add(addReq('c1', ns));
    const nicId = d.table.byPod('c1', 'eth0')!.nicId;
    await d.service.del(delReq('c1', ns));
    expect(d.table.get(nicId)?.phase).toBe('attached-idle');
    expect(world.net.whereIs(nicId)?.netns).toBe('');
  });

  it('succeeds for an unknown container, a repeated DEL and a vanished netns', async () => {
    const d = await world.start({ pool: { low: 0, high: 5, cooldownSeconds: 60 } });
    await d.service.del(delReq('unknown', '/var/run/netns/nothing'));
    const ns = world.podNetns('pod1');
    await d.service.add(addReq('c1', ns));
    const nicId = d.table.byPod('c1', 'eth0')!.nicId;
    world.net.deleteNetns('pod1'); // the kernel hands the NIC back to the root netns
    await d.service.del(delReq('c1', ''));
    await d.service.del(delReq('c1', ''));
    expect(d.table.get(nicId)?.phase).toBe('attached-idle');
  });

  it('retires a NIC whose link is gone instead of pooling it', async () => {
    const d = await world.start({ pool: { low: 0, high: 5, cooldownSeconds: 60 } });
    const ns = world.podNetns('pod1');
    await d.service.add(addReq('c1', ns));
    const nicId = d.table.byPod('c1', 'eth0')!.nicId;
    world.net.unplugNic(nicId);
    await d.service.del(delReq('c1', ns));
    expect(d.table.get(nicId)).toBeUndefined();
    expect(world.cloud.nics.has(nicId)).toBe(false);
  });

  it('detaches and deletes NICs beyond the high mark only after the cooldown, in one batch', async () => {
    const d = await world.start({ pool: { low: 0, high: 1, cooldownSeconds: 60 } });
    for (const id of ['c1', 'c2', 'c3']) await d.service.add(addReq(id, world.podNetns(id)));
    for (const id of ['c1', 'c2', 'c3']) await d.service.del(delReq(id, `/var/run/netns/${id}`));
    await d.pool.runOnce();
    expect(d.table.idle()).toHaveLength(3);
    expect(world.cloud.count('detach')).toBe(0);
    await world.clock.advance(60_000);
    await d.pool.runOnce();
    expect(d.table.idle()).toHaveLength(1);
    expect(world.cloud.count('detach')).toBe(1);
    expect(world.cloud.count('delete')).toBe(1);
    expect(world.cloud.ownedBy(NODE)).toHaveLength(1);
  });
});

describe('CHECK', () => {
  it('passes for a healthy pod and fails with every difference otherwise', async () => {
    const d = await world.start();
    const ns = world.podNetns('pod1');
    const { result } = await d.service.add(addReq('c1', ns));
    const check = { ...addReq('c1', ns), prevResult: result };
    await d.service.check(check);
    const nicId = d.table.byPod('c1', 'eth0')!.nicId;
    world.net.linksIn(ns).find((l) => l.mac === nicId)!.up = false;
    const err = await cniError(d.service.check(check));
    expect(err.cniCode).toBe(CNI_ERROR.Internal);
    expect(err.message).toContain(nicId);
  });

  it('answers code 3 for an attachment it does not know', async () => {
    const d = await world.start();
    const ns = world.podNetns('pod1');
    const err = await cniError(d.service.check({ ...addReq('c9', ns), prevResult: { interfaces: [], ips: [], routes: [], dns: {} } }));
    expect(err.cniCode).toBe(CNI_ERROR.UnknownContainer);
  });

  it('reports a prevResult whose MAC is not the NIC the pod got', async () => {
    const d = await world.start();
    const ns = world.podNetns('pod1');
    const { result } = await d.service.add(addReq('c1', ns));
    const wrong = structuredClone(result);
    wrong.interfaces[1]!.mac = '52:54:99:99:99:99';
    const err = await cniError(d.service.check({ ...addReq('c1', ns), prevResult: wrong }));
    expect(err.message).toContain('52:54:99:99:99:99');
  });
});

describe('GC', () => {
  it('releases NICs of attachments the runtime no longer lists and keeps the valid ones', async () => {
    const d = await world.start({ pool: { low: 0, high: 5, cooldownSeconds: 60 } });
    for (const id of ['c1', 'c2', 'c3']) await d.service.add(addReq(id, world.podNetns(id)));
    world.net.deleteNetns('c2');
    await d.service.gc({ protocolVersion: PROTOCOL_VERSION, validAttachments: [{ containerId: 'c1', ifName: 'eth0' }] });
    expect(d.table.byPod('c1', 'eth0')?.phase).toBe('assigned');
    expect(d.table.byPod('c2', 'eth0')).toBeUndefined();
    expect(d.table.byPod('c3', 'eth0')).toBeUndefined();
    expect(d.table.idle()).toHaveLength(2);
  });

  it('continues past failures and reports them together', async () => {
    const d = await world.start({ pool: { low: 0, high: 5, cooldownSeconds: 60 } });
    for (const id of ['c1', 'c2']) await d.service.add(addReq(id, world.podNetns(id)));
    world.net.failNext('delPod');
    const err = await cniError(d.service.gc({ protocolVersion: PROTOCOL_VERSION, validAttachments: [] }));
    expect(err.message).toContain('1 of 2');
    expect(d.table.idle()).toHaveLength(1);
  });
});

describe('introspection', () => {
  it('lists NICs with phases, pods, pool stats and recent errors', async () => {
    const d = await world.start();
    await d.service.add(addReq('c1', world.podNetns('pod1')));
    await d.service.add(addReq('bad id!', '/var/run/netns/x')).catch(() => undefined);
    const view = d.service.introspect();
    expect(view).toMatchObject({ node: NODE, ready: true, pods: { count: 1, max: 60 } });
    expect((view.nics as { phase: string }[])[0]!.phase).toBe('assigned');
    expect((view.lastErrors as unknown[]).length).toBe(1);
    expect(JSON.stringify(view)).not.toMatch(/secret/i);
    expect(VXNET_A).toBe('vxnet-poda');
  });
});

describe('fast path hints and background work', () => {
  it("tells NetOps the NIC's link name in the host: the hot-plug name after attach, the stable name after DEL", async () => {
    const d = await world.start({ pool: { low: 0, high: 0, cooldownSeconds: 60 } });
    const ns = world.podNetns('pod1');
    await d.service.add(addReq('c1', ns));
    const addSpecs = (): { nicName?: string }[] => world.net.calls.filter((c) => c.method === 'addPod').map((c) => c.arg as { nicName?: string });
    expect(addSpecs()[0]?.nicName).toBe('eth1');
    await d.service.del(delReq('c1', ns));
    await d.service.add(addReq('c2', world.podNetns('pod2')));
    expect(addSpecs()[1]?.nicName).toMatch(/^hn_[0-9a-f]{8}$/);
  });

  it('quiet() waits while an ADD runs and resolves after its answer went out, or after 2 s at the latest', async () => {
    const d = await world.start({ pool: { low: 1, high: 1, cooldownSeconds: 60 } });
    await d.pool.runOnce();
    const realAdd = world.net.addPod.bind(world.net);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    world.net.addPod = async (spec) => {
      await held;
      return realAdd(spec);
    };
    const add = d.service.add(addReq('c1', world.podNetns('pod1')));
    let quiet = false;
    void d.service.quiet().then(() => (quiet = true));
    await world.clock.advance(0);
    expect(quiet).toBe(false);
    release();
    await add;
    expect(quiet).toBe(false); // the caller writes the answer before background steps resume
    await world.clock.advance(0);
    expect(quiet).toBe(true);

    let releaseAgain!: () => void;
    const heldAgain = new Promise<void>((r) => (releaseAgain = r));
    world.net.addPod = async (spec) => {
      await heldAgain;
      return realAdd(spec);
    };
    await d.pool.runOnce();
    const second = d.service.add(addReq('c2', world.podNetns('pod2')));
    let bounded = false;
    void d.service.quiet().then(() => (bounded = true));
    await world.clock.advance(1_999);
    expect(bounded).toBe(false);
    await world.clock.advance(1);
    expect(bounded).toBe(true);
    releaseAgain();
    await second;
  });
});
