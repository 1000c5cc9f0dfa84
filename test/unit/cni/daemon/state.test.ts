import { describe, expect, it } from 'vitest';
import { NicStateError, NicTable, parseStateDoc } from '../../../../src/cni/daemon/state.js';
import { ManualClock } from '../../../fakes/manual-clock.js';
import { MemoryCheckpointer, NODE } from './harness.js';

async function table(): Promise<{ t: NicTable; disk: MemoryCheckpointer; clock: ManualClock }> {
  const disk = new MemoryCheckpointer();
  const clock = new ManualClock();
  return { t: await NicTable.load(disk, NODE, clock), disk, clock };
}

const pod = { containerId: 'c1', ifName: 'eth0', netns: '/var/run/netns/p1' };

describe('NicTable state machine', () => {
  it('walks the whole life of a NIC and checkpoints what flush saw', async () => {
    const { t, disk } = await table();
    const intent = t.addIntent('vxnet-a', 1);
    await t.flush();
    expect(((await disk.load()) as { creating: unknown[] }).creating).toHaveLength(1);
    const [nic] = t.addCreated(intent.id, [{ nicId: '52:54:00:00:00:01', privateIp: '192.168.0.2', vxnetId: 'vxnet-a' }]);
    expect(t.intents()).toEqual([]);
    for (const phase of ['attaching', 'attached-idle'] as const) t.transition(nic!.nicId, phase);
    t.transition(nic!.nicId, 'assigning', { pod });
    expect(t.byPod('c1', 'eth0')?.phase).toBe('assigning');
    t.transition(nic!.nicId, 'assigned', { result: { interfaces: [], ips: [], routes: [], dns: {} } });
    t.transition(nic!.nicId, 'releasing');
    expect(t.byPod('c1', 'eth0')?.phase).toBe('releasing');
    t.transition(nic!.nicId, 'attached-idle');
    expect(t.get(nic!.nicId)?.pod).toBeUndefined();
    t.transition(nic!.nicId, 'detaching');
    t.transition(nic!.nicId, 'deleting');
    t.remove(nic!.nicId);
    await t.flush();
    expect(await disk.load()).toEqual({ version: 1, instanceId: NODE, nics: [], creating: [] });
  });

  it('refuses changes the state machine does not allow', async () => {
    const { t } = await table();
    const [nic] = t.addCreated(t.addIntent('vxnet-a', 1).id, [{ nicId: '52:54:00:00:00:01', privateIp: '192.168.0.2', vxnetId: 'vxnet-a' }]);
    expect(() => t.transition(nic!.nicId, 'assigned')).toThrow(NicStateError);
    expect(() => t.transition(nic!.nicId, 'attached-idle')).toThrow(/cannot go from created to attached-idle/);
    t.transition(nic!.nicId, 'attaching');
    t.transition(nic!.nicId, 'attached-idle');
    expect(() => t.transition(nic!.nicId, 'assigning')).toThrow(/without a pod/);
    expect(() => t.transition('52:54:00:00:00:99', 'deleting')).toThrow(/not in the NIC table/);
  });

  it('gives idle NICs longest idle first and restores the table from the checkpoint', async () => {
    const { t, disk, clock } = await table();
    const made = t.addCreated(t.addIntent('vxnet-a', 2).id, [
      { nicId: '52:54:00:00:00:01', privateIp: '192.168.0.2', vxnetId: 'vxnet-a' },
      { nicId: '52:54:00:00:00:02', privateIp: '192.168.0.3', vxnetId: 'vxnet-a' },
    ]);
    for (const n of [...made].reverse()) {
      t.transition(n.nicId, 'attaching');
      await clock.advance(10);
      t.transition(n.nicId, 'attached-idle');
    }
    expect(t.idle().map((n) => n.nicId)).toEqual(['52:54:00:00:00:02', '52:54:00:00:00:01']);
    await t.flush();
    const again = await NicTable.load(disk, NODE, clock);
    expect(again.idle().map((n) => n.nicId)).toEqual(['52:54:00:00:00:02', '52:54:00:00:00:01']);
  });

  it('writes checkpoints in call order', async () => {
    const { t, disk } = await table();
    t.addIntent('vxnet-a', 1);
    const first = t.flush();
    t.addIntent('vxnet-b', 1);
    await Promise.all([first, t.flush()]);
    expect(((await disk.load()) as { creating: unknown[] }).creating).toHaveLength(2);
  });
});

describe('parseStateDoc', () => {
  it('refuses documents that are not hostnic state, saying how to recover', () => {
    expect(() => parseStateDoc({ version: 2 })).toThrow(/move the state file away/);
    expect(() => parseStateDoc({ version: 1, instanceId: NODE, nics: [{ nicId: 'x', vxnetId: 'v', privateIp: 'i', phase: 'assigned', sinceMs: 0 }], creating: [] })).toThrow(/assigned without a pod/);
    expect(() => parseStateDoc({ version: 1, instanceId: NODE, nics: [{ nicId: 'x', phase: 'flying' }], creating: [] })).toThrow(/malformed/);
  });
});
