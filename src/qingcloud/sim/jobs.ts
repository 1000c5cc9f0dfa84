import type { EffectsInstance, EffectsNic, SimEffects } from './effects.js';
import type { JobPlan, NicRec, World } from './model.js';

/** One resource's part of a job: the outside effect, then the state change it makes true (or the undo). */
export interface JobStep {
  resourceId: string;
  /** Work the effect can do ahead while the job is pending (never required: the effect must not depend on it). */
  prepare?(): Promise<void>;
  /** The SimEffects call; must be idempotent (it is repeated when a restart finishes the job). */
  effect(): Promise<void>;
  /** Applies the successful end state. */
  commit(now: string): void;
  /** Puts the resource back where it was before the job (or `ceased` when the job was creating it). */
  rollback(now: string): void;
}

/** The instance as the effects see it. */
export function effectsInstance(world: World, instanceId: string): EffectsInstance {
  const netns = world.instances[instanceId]?.netns;
  return netns === undefined ? { instanceId } : { instanceId, netns };
}

/** The NIC as the effects see it. */
export function effectsNic(nic: NicRec): EffectsNic {
  return { nicId: nic.nic_id, vxnetId: nic.vxnet_id, privateIp: nic.private_ip };
}

/** The steps of a job; resources are looked up when the step runs, so a restarted job sees the persisted state. */
export function jobSteps(world: World, effects: SimEffects, plan: JobPlan): JobStep[] {
  switch (plan.kind) {
    case 'createVolumes':
    case 'cloneVolumes':
    case 'createVolumeFromSnapshot':
      return plan.volumeIds.map((id) => ({
        resourceId: id,
        effect: async () => {
          const size = world.volumes[id]?.size ?? 0;
          if (plan.kind === 'createVolumes') await effects.createVolume(id, size);
          else if (plan.kind === 'cloneVolumes') await effects.cloneVolume(plan.sourceVolumeId, id, size);
          else await effects.createVolumeFromSnapshot(plan.snapshotId, id, size);
        },
        commit: (now) => setVolume(world, id, now, { status: 'available' }),
        rollback: (now) => setVolume(world, id, now, { status: 'ceased' }),
      }));
    case 'deleteVolumes':
      return plan.volumeIds.map((id) => ({
        resourceId: id,
        effect: () => effects.deleteVolume(id),
        commit: (now) => setVolume(world, id, now, { status: 'deleted' }),
        rollback: (now) => setVolume(world, id, now, {}),
      }));
    case 'attachVolumes':
      return plan.volumeIds.map((id) => {
        let device = '';
        return {
          resourceId: id,
          effect: async () => {
            device = (await effects.attachVolume(id, effectsInstance(world, plan.instanceId))).device;
          },
          commit: (now) => setVolume(world, id, now, { status: 'in-use', instance_id: plan.instanceId, device }),
          rollback: (now) => setVolume(world, id, now, { instance_id: '', device: '' }),
        };
      });
    case 'detachVolumes':
      return plan.volumeIds.map((id) => ({
        resourceId: id,
        effect: () => effects.detachVolume(id, effectsInstance(world, plan.instanceId)),
        commit: (now) => setVolume(world, id, now, { status: 'available', instance_id: '', device: '' }),
        rollback: (now) => setVolume(world, id, now, {}),
      }));
    case 'resizeVolumes':
      return plan.volumeIds.map((id) => ({
        resourceId: id,
        effect: () => effects.resizeVolume(id, plan.sizeGB),
        commit: (now) => setVolume(world, id, now, { size: plan.sizeGB }),
        rollback: (now) => setVolume(world, id, now, {}),
      }));
    case 'createSnapshots':
      return plan.snapshotIds.map((id) => ({
        resourceId: id,
        effect: () => effects.snapshotVolume(world.snapshots[id]?.source_volume_id ?? '', id),
        commit: (now) => setSnapshot(world, id, now, 'available'),
        rollback: (now) => setSnapshot(world, id, now, 'ceased'),
      }));
    case 'deleteSnapshots':
      return plan.snapshotIds.map((id) => ({
        resourceId: id,
        effect: () => effects.deleteSnapshot(id),
        commit: (now) => setSnapshot(world, id, now, 'deleted'),
        rollback: (now) => setSnapshot(world, id, now, undefined),
      }));
    case 'attachNics':
      return plan.nicIds.map((id) => ({
        resourceId: id,
        prepare: async () => {
          const nic = world.nics[id];
          if (nic) await effects.prepareAttachNic?.(effectsNic(nic), effectsInstance(world, plan.instanceId));
        },
        effect: async () => {
          const nic = world.nics[id];
          if (nic) await effects.attachNic(effectsNic(nic), effectsInstance(world, plan.instanceId));
        },
        commit: (now) => {
          const sequence = 1 + Math.max(0, ...Object.values(world.nics).filter((n) => n.instance_id === plan.instanceId && n.status === 'in-use').map((n) => n.sequence));
          setNic(world, id, now, { status: 'in-use', instance_id: plan.instanceId, sequence });
        },
        rollback: (now) => setNic(world, id, now, { instance_id: '' }),
      }));
    case 'detachNics':
      return plan.nicIds.map((id) => ({
        resourceId: id,
        effect: async () => {
          const nic = world.nics[id];
          if (nic) await effects.detachNic(effectsNic(nic), effectsInstance(world, nic.instance_id));
        },
        commit: (now) => setNic(world, id, now, { status: 'available', instance_id: '', sequence: 0 }),
        rollback: (now) => setNic(world, id, now, {}),
      }));
  }
}

function setVolume(world: World, id: string, now: string, change: Partial<World['volumes'][string]>): void {
  const volume = world.volumes[id];
  if (!volume) return;
  if (change.status !== undefined && change.status !== volume.status) volume.status_time = now;
  Object.assign(volume, change, { transition_status: '' });
}

function setSnapshot(world: World, id: string, now: string, status: 'available' | 'deleted' | 'ceased' | undefined): void {
  const snapshot = world.snapshots[id];
  if (!snapshot) return;
  if (status !== undefined && status !== snapshot.status) {
    snapshot.status = status;
    snapshot.status_time = now;
  }
  snapshot.transition_status = '';
}

function setNic(world: World, id: string, now: string, change: Partial<NicRec>): void {
  const nic = world.nics[id];
  if (!nic) return;
  if (change.status !== undefined && change.status !== nic.status) nic.status_time = now;
  Object.assign(nic, change, { transition_status: '' });
}
