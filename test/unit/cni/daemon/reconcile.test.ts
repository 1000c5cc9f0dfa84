import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningHostnic } from '../../../../src/cni/daemon/startup.js';
import type { CrashPointName } from '../../../../src/cni/daemon/state.js';
import { addReq, delReq, NODE, SimulatedCrash, VXNET_A, World } from './harness.js';

let world: World;

beforeEach(() => {
  world = new World();
});

afterEach(async () => {
  await world.stopAll();
});

/** The invariants a restart must restore: no leak (cloud or host), no NIC in two pods, pods keep their NICs. */
function expectConverged(d: RunningHostnic): void {
  const owned = world.cloud.ownedBy(NODE);
  const records = d.table.all();
  expect(new Set(owned.map((n) => n.nicId))).toEqual(new Set(records.map((r) => r.nicId)));
  for (const r of records) {
    expect(['attached-idle', 'assigned']).toContain(r.phase);
    expect(world.cloud.nics.get(r.nicId)?.state).toBe('attached');
    const where = world.net.whereIs(r.nicId);
    if (r.phase === 'attached-idle') expect(where?.netns).toBe('');
    else expect(`/var/run/netns/${where?.netns}`).toBe(r.pod!.netns);
  }
  const pods = records.filter((r) => r.pod !== undefined).map((r) => `${r.pod!.containerId}/${r.pod!.ifName}`);
  expect(new Set(pods).size).toBe(pods.length);
  // no link of a NIC that is not attached here any more
  for (const nic of world.cloud.nics.values()) {
    if (nic.state !== 'attached') expect(world.net.whereIs(nic.nicId)).toBeUndefined();
  }
  expect(d.table.intents()).toEqual([]);
}

/** The operation stopped at `point` (the service wraps what it throws into a CniError, keeping the cause). */
async function crashed(p: Promise<unknown>, point: CrashPointName): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  const crash = err instanceof SimulatedCrash ? err : (err as { cause?: unknown } | undefined)?.cause;
  expect(crash).toBeInstanceOf(SimulatedCrash);
  expect((crash as SimulatedCrash).point).toBe(point);
}

describe('restart after a crash during ADD (cold path)', () => {
  const points: CrashPointName[] = ['create:intent-saved', 'create:done', 'attach:before', 'attach:done', 'add:before-move', 'add:after-move'];
  for (const point of points) {
    it(`converges after a crash at ${point}: no leak, the pod holds no NIC, the NIC can serve the retried ADD`, async () => {
      const first = await world.start();
      const ns = world.podNetns('pod1');
      world.crashAt = point;
      await crashed(first.service.add(addReq('c1', ns)), point);
      await first.stop();
      const second = await world.start();
      expectConverged(second);
      expect(second.table.byPod('c1', 'eth0')).toBeUndefined();
      // the runtime follows the failed ADD with DEL, then retries the ADD
      await second.service.del(delReq('c1', ns));
      const { result } = await second.service.add(addReq('c1', ns));
      expect(world.net.whereIs(result.interfaces[1]!.mac!)?.netns).toBe('pod1');
      expectConverged(second);
      expect(world.cloud.ownedBy(NODE)).toHaveLength(1);
    });
  }
});

describe('restart after a crash during DEL', () => {
  for (const point of ['del:before-move', 'del:after-move'] as CrashPointName[]) {
    it(`finishes the DEL after a crash at ${point}`, async () => {
      const first = await world.start({ pool: { low: 0, high: 5, cooldownSeconds: 60 } });
      const ns = world.podNetns('pod1');
      await first.service.add(addReq('c1', ns));
      const nicId = first.table.byPod('c1', 'eth0')!.nicId;
      world.crashAt = point;
      await crashed(first.service.del(delReq('c1', ns)), point);
      await first.stop();
      const second = await world.start({ pool: { low: 0, high: 5, cooldownSeconds: 60 } });
      expectConverged(second);
      expect(second.table.get(nicId)?.phase).toBe('attached-idle');
      await second.service.del(delReq('c1', ns)); // the runtime's retry succeeds
    });
  }
});

describe('restart after a power cut', () => {
  const warmPool = { pool: { low: 1, high: 1, cooldownSeconds: 60 } };

  it('finds the NIC of an ADD that had not answered idle in the host', async () => {
    const first = await world.start(warmPool);
    await first.pool.runOnce();
    const ns = world.podNetns('pod1');
    world.crashAt = 'add:after-move';
    await crashed(first.service.add(addReq('c1', ns)), 'add:after-move');
    world.powerCut();
    const second = await world.start(warmPool);
    expectConverged(second);
    expect(second.table.idle()).toHaveLength(1);
    expect(second.table.byPod('c1', 'eth0')).toBeUndefined();
  });

  it('keeps the NIC and result of an ADD that answered', async () => {
    const first = await world.start(warmPool);
    await first.pool.runOnce();
    const { result } = await first.service.add(addReq('c1', world.podNetns('pod1')));
    world.powerCut();
    const second = await world.start(warmPool);
    expect(second.table.byPod('c1', 'eth0')).toMatchObject({ phase: 'assigned', result });
  });

  it('finishes a DEL that answered', async () => {
    const first = await world.start(warmPool);
    await first.pool.runOnce();
    const ns = world.podNetns('pod1');
    await first.service.add(addReq('c1', ns));
    const nicId = first.table.byPod('c1', 'eth0')!.nicId;
    await first.service.del(delReq('c1', ns));
    world.powerCut();
    const second = await world.start(warmPool);
    expectConverged(second);
    expect(second.table.get(nicId)?.phase).toBe('attached-idle');
  });
});

describe('restart after a crash while retiring NICs', () => {
  for (const point of ['detach:before', 'detach:done', 'delete:before', 'delete:done'] as CrashPointName[]) {
    it(`finishes detach + delete after a crash at ${point}`, async () => {
      const first = await world.start({ pool: { low: 0, high: 0, cooldownSeconds: 60 } });
      const ns = world.podNetns('pod1');
      await first.service.add(addReq('c1', ns));
      await first.service.del(delReq('c1', ns));
      await world.clock.advance(60_000);
      world.crashAt = point;
      await crashed(first.pool.runOnce(), point);
      await first.stop();
      const second = await world.start({ pool: { low: 0, high: 0, cooldownSeconds: 60 } });
      expectConverged(second);
      expect(world.cloud.ownedBy(NODE)).toHaveLength(0);
      expect(second.table.all()).toHaveLength(0);
    });
  }
});

describe('restart after a crash during a pool refill', () => {
  for (const point of ['create:done', 'attach:before', 'attach:done'] as CrashPointName[]) {
    it(`converges after a crash at ${point}`, async () => {
      const first = await world.start({ pool: { low: 2, high: 3, cooldownSeconds: 60 } });
      world.crashAt = point;
      await crashed(first.pool.runOnce(), point);
      await first.stop();
      const second = await world.start({ pool: { low: 2, high: 3, cooldownSeconds: 60 } });
      expectConverged(second);
      await second.pool.runOnce();
      expectConverged(second);
      expect(second.table.idle()).toHaveLength(3);
    });
  }
});

describe('restart without a crash', () => {
  it('keeps every running pod on its NIC and address and the idle NICs in the pool', async () => {
    const first = await world.start({ pool: { low: 1, high: 2, cooldownSeconds: 60 } });
    await first.pool.runOnce();
    const results = [];
    for (const id of ['c1', 'c2']) results.push((await first.service.add(addReq(id, world.podNetns(id)))).result);
    await first.stop();
    const saves = world.disk.saves;
    const second = await world.start({ pool: { low: 1, high: 2, cooldownSeconds: 60 } });
    expectConverged(second);
    expect(second.reconcileReport.kept).toHaveLength(second.table.all().length);
    expect(world.disk.saves).toBeGreaterThan(saves);
    expect((await second.service.add(addReq('c1', '/var/run/netns/c1'))).result).toEqual(results[0]);
  });

  it('drops records of NICs the cloud no longer has', async () => {
    const first = await world.start({ pool: { low: 1, high: 1, cooldownSeconds: 60 } });
    await first.pool.runOnce();
    const [idle] = first.table.idle();
    await first.stop();
    world.cloud.nics.get(idle!.nicId)!.state = 'available';
    world.cloud.nics.delete(idle!.nicId);
    world.net.unplugNic(idle!.nicId);
    const second = await world.start({ pool: { low: 1, high: 1, cooldownSeconds: 60 } });
    expect(second.reconcileReport.dropped).toEqual([idle!.nicId]);
    expectConverged(second);
  });

  it('rebuilds the pool from NICs found by name after losing the state directory, leaving NICs that may be in pods alone', async () => {
    const first = await world.start({ pool: { low: 2, high: 2, cooldownSeconds: 60 } });
    await first.pool.runOnce();
    await first.service.add(addReq('c1', world.podNetns('pod1')));
    const inPod = first.table.byPod('c1', 'eth0')!.nicId;
    await first.stop();
    await world.disk.save({ version: 1, instanceId: NODE, nics: [], creating: [] });
    const loose = world.cloud.addForeignNic(VXNET_A, `hostnic_${NODE}`); // made by a lost CreateNics
    const second = await world.start({ pool: { low: 2, high: 2, cooldownSeconds: 60 } });
    expect(second.reconcileReport.adopted).toHaveLength(1);
    expect(second.reconcileReport.unexplained).toEqual([inPod]);
    expect(world.cloud.nics.has(loose.nicId)).toBe(false);
    expect(world.net.whereIs(inPod)?.netns).toBe('pod1');
  });

  it('refuses a checkpoint of another node', async () => {
    await world.disk.save({ version: 1, instanceId: 'i-other001', nics: [], creating: [] });
    await expect(world.start()).rejects.toThrow(/belongs to instance i-other001/);
  });
});
