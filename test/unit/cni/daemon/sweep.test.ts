import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostnicStartError } from '../../../../src/cni/daemon/startup.js';
import { NODE, VXNET_A, World } from './harness.js';

let world: World;

beforeEach(() => {
  world = new World();
});

afterEach(async () => {
  await world.stopAll();
});

describe('orphan sweep', () => {
  it('deletes an unexplained NIC named for this node only after the age guard', async () => {
    const d = await world.start();
    const loose = world.cloud.addForeignNic(VXNET_A, `hostnic_${NODE}`);
    expect(await d.sweeper.runOnce()).toEqual([]);
    await world.clock.advance(599_000);
    expect(await d.sweeper.runOnce()).toEqual([]);
    await world.clock.advance(1_000);
    expect(await d.sweeper.runOnce()).toEqual([loose.nicId]);
    expect(world.cloud.nics.has(loose.nicId)).toBe(false);
  });

  it('detaches and deletes an unexplained attached NIC whose link is idle in the host, and leaves one that may be in a pod', async () => {
    const d = await world.start();
    const inHost = world.cloud.addForeignNic(VXNET_A, `hostnic_${NODE}`, NODE);
    world.net.plugNic(inHost.nicId);
    const inPod = world.cloud.addForeignNic(VXNET_A, `hostnic_${NODE}`, NODE);
    world.net.addNetns('elsewhere');
    world.net.plugNic(inPod.nicId, { netns: 'elsewhere' });
    await d.sweeper.runOnce();
    await world.clock.advance(600_000);
    expect(await d.sweeper.runOnce()).toEqual([inHost.nicId]);
    expect(world.cloud.nics.has(inHost.nicId)).toBe(false);
    expect(world.cloud.nics.get(inPod.nicId)?.state).toBe('attached');
  });

  it('counts foreign secondary NICs against the instance NIC slots', async () => {
    const d = await world.start();
    world.cloud.addForeignNic(VXNET_A, 'user-nic', NODE);
    await d.sweeper.runOnce();
    expect(d.pool.stats().foreignNics).toBe(1);
  });
});

describe('start-up validation', () => {
  it('refuses to start with vxnets that do not fit, listing every problem', async () => {
    const err = await world.start({ vxnets: ['vxnet-nothere', 'vxnet-node'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostnicStartError);
    expect((err as HostnicStartError).problems).toHaveLength(2);
  });
});
