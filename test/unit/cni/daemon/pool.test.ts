import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addReq, World } from './harness.js';

let world: World;

beforeEach(() => {
  world = new World();
});

afterEach(async () => {
  await world.stopAll();
});

describe('pool background loop', () => {
  it('refills in the background after start and again after an ADD takes a NIC', async () => {
    const d = await world.start({ pool: { low: 2, high: 3, cooldownSeconds: 60 } });
    d.pool.start();
    await world.clock.advance(0);
    expect(d.table.idle()).toHaveLength(3);
    await d.service.add(addReq('c1', world.podNetns('p1')));
    await d.service.add(addReq('c2', world.podNetns('p2')));
    await world.clock.advance(0); // the ADDs kicked the loop
    expect(d.table.idle()).toHaveLength(3);
    expect(world.cloud.count('attach')).toBe(2);
  });

  it('backs off after a failed refill and retries on the clock', async () => {
    const d = await world.start({ pool: { low: 1, high: 1, cooldownSeconds: 60 } });
    world.cloud.failNext('create', 'Busy');
    d.pool.start();
    await world.clock.advance(0);
    expect(d.table.idle()).toHaveLength(0);
    expect((d.service.introspect().lastErrors as { reason: string }[])[0]?.reason).toBe('pool maintenance failed');
    await world.clock.advance(3_000);
    expect(d.table.idle()).toHaveLength(1);
  });

  it('retries NICs a failed detach left behind in the next round', async () => {
    const d = await world.start({ pool: { low: 0, high: 0, cooldownSeconds: 0 } });
    await d.service.add(addReq('c1', world.podNetns('p1')));
    await d.service.del({ ...addReq('c1', '/var/run/netns/p1') });
    world.cloud.failNext('detach', 'Busy');
    await expect(d.pool.runOnce()).rejects.toThrow(/Busy|injected/);
    expect(d.table.all()[0]?.phase).toBe('detaching');
    await d.pool.runOnce();
    expect(d.table.all()).toEqual([]);
    expect(world.cloud.ownedBy('i-test0001')).toEqual([]);
  });
});
