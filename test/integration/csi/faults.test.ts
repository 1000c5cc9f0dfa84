import { afterEach, describe, expect, it } from 'vitest';
import { GiB, NODE_ID, mountCapability, startHarness, type Harness } from './harness.js';

// Long cloud jobs, concurrent operations and a misbehaving cloud, seen through the driver's socket.

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const cap = mountCapability();
const create = (name: string) => ({ name, capacity_range: { required_bytes: String(20 * GiB) }, volume_capabilities: [cap] });

/** Codes the CSI sidecars retry with the same request (csi-cni-specs.md §3.3). */
const RETRYABLE = new Set(['UNAVAILABLE', 'ABORTED', 'DEADLINE_EXCEEDED', 'CANCELLED', 'RESOURCE_EXHAUSTED']);

/** Calls like a sidecar: the same request again after a retryable code, until OK; any other code fails the test. */
async function untilOk(harness: Harness, service: 'controller' | 'node', method: string, request: object, seen: string[]): Promise<any> {
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      const res = await harness.call(service, method, request, 5_000);
      seen.push('OK');
      return res;
    } catch (err) {
      const code = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE'][(err as { code: number }).code] ?? 'UNKNOWN';
      seen.push(code);
      if (!RETRYABLE.has(code)) throw new Error(`${method} ended with ${code}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`${method} did not succeed in 40 attempts`);
}

describe('deadlines and concurrent operations', () => {
  it('lets a CreateVolume outlive its deadline: the retry joins the running job and no second volume is made', async () => {
    h = await startHarness({ jobLatencyMs: { default: 0, actions: { CreateVolumes: 1_500 } } });
    const first = await h.code('controller', 'CreateVolume', create('pvc-slow'), 300);
    expect(first).toBe('DEADLINE_EXCEEDED');
    const retry = await h.call('controller', 'CreateVolume', create('pvc-slow'), 10_000);
    expect(retry.volume.volume_id).toMatch(/^vol-/);
    expect(h.sim.callCounts()['CreateVolumes']).toBe(1);
    expect(Object.values(h.sim.world().volumes).filter((v) => v.volume_name === 'pvc-slow')).toHaveLength(1);
  });

  it('answers ABORTED to a different operation on a volume while an attach runs, and the attach completes', async () => {
    h = await startHarness({ jobLatencyMs: { default: 0, actions: { AttachVolumes: 800 } } });
    const v = (await h.call('controller', 'CreateVolume', create('pvc-busy'))).volume;
    const publish = h.call('controller', 'ControllerPublishVolume', { volume_id: v.volume_id, node_id: NODE_ID, volume_capability: cap });
    await new Promise((r) => setTimeout(r, 100));
    expect(await h.code('controller', 'DeleteVolume', { volume_id: v.volume_id })).toBe('ABORTED');
    expect(await h.code('controller', 'ControllerExpandVolume', { volume_id: v.volume_id, capacity_range: { required_bytes: String(30 * GiB) } })).toBe('ABORTED');
    await publish;
    expect(h.sim.world().volumes[v.volume_id]?.instance_id).toBe(NODE_ID);
  });
});

describe('a misbehaving cloud', () => {
  it('ends every RPC in a result or a retryable code, and leaks or duplicates nothing after the retries', async () => {
    h = await startHarness(
      { random: 99, faults: { retCodes: { 5100: 0.15, 5000: 0.05, 2500: 0.05 }, jobFailureRate: 0.2 } },
      { retry: { maxAttempts: 3 } },
    );
    const seen: string[] = [];
    const lifecycle = async (i: number) => {
      const v = (await untilOk(h!, 'controller', 'CreateVolume', create(`pvc-fault-${i}`), seen)).volume;
      await untilOk(h!, 'controller', 'ControllerPublishVolume', { volume_id: v.volume_id, node_id: NODE_ID, volume_capability: cap }, seen);
      const snap = (await untilOk(h!, 'controller', 'CreateSnapshot', { name: `snap-fault-${i}`, source_volume_id: v.volume_id }, seen)).snapshot;
      await untilOk(h!, 'controller', 'ControllerUnpublishVolume', { volume_id: v.volume_id, node_id: NODE_ID }, seen);
      await untilOk(h!, 'controller', 'DeleteSnapshot', { snapshot_id: snap.snapshot_id }, seen);
      await untilOk(h!, 'controller', 'DeleteVolume', { volume_id: v.volume_id }, seen);
    };
    await Promise.all(Array.from({ length: 8 }, (_, i) => lifecycle(i)));
    await h.sim.settled();

    const world = h.sim.world();
    const live = Object.values(world.volumes).filter((v) => v.volume_name.startsWith('pvc-fault-') && v.status !== 'deleted' && v.status !== 'ceased');
    const liveSnapshots = Object.values(world.snapshots).filter((s) => s.snapshot_name.startsWith('snap-fault-') && s.status !== 'deleted' && s.status !== 'ceased');
    const attached = Object.values(world.volumes).filter((v) => v.volume_name.startsWith('pvc-fault-') && v.instance_id !== '' && v.instance_id !== undefined && v.status === 'in-use');
    expect({ leakedVolumes: live.length, leakedSnapshots: liveSnapshots.length, attachments: attached.length }).toEqual({ leakedVolumes: 0, leakedSnapshots: 0, attachments: 0 });
    // The faults really happened, and were absorbed as retries.
    expect(seen.filter((c) => c !== 'OK').length).toBeGreaterThan(0);
    expect(new Set(seen.filter((c) => c !== 'OK')).size).toBeGreaterThan(0);
  });
});
