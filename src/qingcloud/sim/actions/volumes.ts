import { denied, invalidParam, notFound } from '../errors.js';
import type { SimEngine } from '../engine.js';
import type { VolumeRec, VolumeStatus } from '../model.js';
import { hasAnyTag, volumeView } from '../render.js';
import { SIM_VOLUME_TYPES, canAttach, roundUpSize, simVolumeType, volumeSizeProblem, type SimVolumeType } from '../volume-limits.js';
import { listResult, matchesWord, NAME_OPTIONS, newestFirst, type ActionHandler } from './common.js';

const VOLUME_STATUSES: readonly VolumeStatus[] = ['pending', 'available', 'in-use', 'suspended', 'deleted', 'ceased'];
const MAX_SIZE_PARAM = 1_000_000;

/** The row of `type`, or 1100 naming the types the zone offers. */
export function requireVolumeType(sim: SimEngine, type: number): SimVolumeType {
  const row = simVolumeType(type);
  if (!row) {
    throw invalidParam(`volume_type ${type} is not offered in zone ${sim.world.zone}; use one of ${SIM_VOLUME_TYPES.map((t) => t.type).join(', ')}`);
  }
  return row;
}

/** A new volume record in `pending`/`creating`, already stored in the world. */
export function addPendingVolume(sim: SimEngine, name: string, type: number, size: number): VolumeRec {
  const now = sim.now();
  const volume: VolumeRec = {
    volume_id: sim.newId('vol', 8, sim.world.volumes),
    volume_name: name,
    description: null,
    size,
    volume_type: type,
    status: 'pending',
    transition_status: 'creating',
    create_time: now,
    status_time: now,
    instance_id: '',
    device: '',
  };
  sim.world.volumes[volume.volume_id] = volume;
  return volume;
}

const describeVolumes: ActionHandler = (sim, p) => {
  const ids = p.ids('volumes', 'volume');
  const type = p.int('volume_type', { min: 0, max: 100_000 });
  const statuses = p.listOrSingle('status', { oneOf: VOLUME_STATUSES });
  const word = p.str('search_word', { maxLength: 256 });
  const tags = p.ids('tags', 'tag');
  const instanceId = p.id('instance_id', 'instance');
  const transition = p.str('transition_status', { maxLength: 64 });
  const name = p.str('volume_name', NAME_OPTIONS);
  const items = newestFirst(sim.world.volumes).filter(
    (v) =>
      (ids.length === 0 || ids.includes(v.volume_id)) &&
      (type === undefined || v.volume_type === type) &&
      (statuses.length === 0 || statuses.includes(v.status)) &&
      matchesWord(word, v.volume_id, v.volume_name) &&
      matchesWord(name, v.volume_name) &&
      (instanceId === undefined || v.instance_id === instanceId) &&
      (transition === undefined || v.transition_status === transition) &&
      hasAnyTag(sim.world, v.volume_id, tags),
  );
  return listResult('volume_set', items, p, (v) => volumeView(sim.world, v));
};

const createVolumes: ActionHandler = (sim, p, call) => {
  const requested = p.int('size', { required: true, min: 1, max: MAX_SIZE_PARAM });
  const row = requireVolumeType(sim, p.int('volume_type', { min: 0, max: 100_000 }) ?? 0);
  const size = p.flag('round_up') ? roundUpSize(row, requested) : requested;
  const problem = volumeSizeProblem(row, size);
  if (problem) throw invalidParam(`${problem}; pick a size in range (or send round_up=1)`);
  const name = p.str('volume_name', NAME_OPTIONS) ?? '';
  const count = p.int('count', { min: 1, max: 100 }) ?? 1;
  sim.requireQuota('volume', count);
  sim.requireQuota('volume_size', count * size);
  const ids = Array.from({ length: count }, () => addPendingVolume(sim, name, row.type, size).volume_id);
  const job = sim.startJob(call.action, { kind: 'createVolumes', volumeIds: ids }, ids, { volumes: ids, size, volume_type: row.type, volume_name: name });
  return { volumes: ids, job_id: job.job_id };
};

const cloneVolumes: ActionHandler = (sim, p, call) => {
  const sourceId = p.id('volume', 'volume', { required: true });
  const source = sim.idleVolume(sourceId);
  if (source.status !== 'available' && source.status !== 'in-use') throw denied(`volume [${sourceId}] is ${source.status}, can not be cloned`);
  const row = requireVolumeType(sim, p.int('volume_type', { min: 0, max: 100_000 }) ?? source.volume_type);
  const problem = volumeSizeProblem(row, source.size);
  if (problem) throw invalidParam(`${problem}; clone into a type that fits the source volume [${sourceId}]`);
  const name = p.str('volume_name', NAME_OPTIONS) ?? source.volume_name;
  const count = p.int('count', { min: 1, max: 10 }) ?? 1;
  sim.requireQuota('volume', count);
  sim.requireQuota('volume_size', count * source.size);
  const ids = Array.from({ length: count }, () => addPendingVolume(sim, name, row.type, source.size).volume_id);
  const job = sim.startJob(call.action, { kind: 'cloneVolumes', sourceVolumeId: sourceId, volumeIds: ids }, ids, { volume: sourceId, volumes: ids });
  return { volumes: ids, job_id: job.job_id };
};

const deleteVolumes: ActionHandler = (sim, p, call) => {
  const ids = p.ids('volumes', 'volume', { required: true });
  const volumes = ids.map((id) => sim.idleVolume(id));
  for (const v of volumes) {
    if (v.status !== 'available') {
      throw denied(`volume [${v.volume_id}] is ${v.status}${v.instance_id ? ` on instance [${v.instance_id}]` : ''}, can not be deleted; detach it first`);
    }
  }
  for (const v of volumes) v.transition_status = 'deleting';
  const job = sim.startJob(call.action, { kind: 'deleteVolumes', volumeIds: ids }, ids, { volumes: ids });
  return { job_id: job.job_id };
};

/** Checks an attach of `volumes` to `instanceId`; throws the first reason it cannot happen. */
function checkAttach(sim: SimEngine, volumes: VolumeRec[], instanceId: string): void {
  const instance = sim.instance(instanceId);
  sim.requireRunning(instance, 'attach volumes');
  for (const v of volumes) {
    if (v.status === 'in-use') throw denied(`volume [${v.volume_id}] is already attached to instance [${v.instance_id}], detach it first`);
    if (v.status !== 'available') throw denied(`volume [${v.volume_id}] is ${v.status}, can not be attached`);
    const row = simVolumeType(v.volume_type);
    if (row && !canAttach(row, instance.instance_class)) {
      throw denied(
        `volume [${v.volume_id}] of volume_type ${v.volume_type} can not be attached to instance [${instanceId}] of instance_class ${instance.instance_class}; use a volume type the instance class supports`,
      );
    }
  }
  const max = sim.world.limits.max_volumes_per_instance;
  const attached = Object.values(sim.world.volumes).filter((v) => v.instance_id === instanceId && (v.status === 'in-use' || v.transition_status === 'attaching')).length;
  if (attached + volumes.length > max) {
    throw denied(`instance [${instanceId}] has ${attached} volumes attached and may have at most ${max}; detach a volume first`);
  }
}

const attachVolumes: ActionHandler = (sim, p, call) => {
  const ids = p.ids('volumes', 'volume', { required: true });
  const instanceId = p.id('instance', 'instance', { required: true });
  const volumes = ids.map((id) => sim.idleVolume(id));
  checkAttach(sim, volumes, instanceId);
  for (const v of volumes) {
    v.transition_status = 'attaching';
    v.instance_id = instanceId;
  }
  const job = sim.startJob(call.action, { kind: 'attachVolumes', volumeIds: ids, instanceId }, [...ids, instanceId], { volumes: ids, instance: instanceId });
  return { job_id: job.job_id };
};

function checkDetach(sim: SimEngine, ids: string[], instanceId: string): VolumeRec[] {
  sim.instance(instanceId);
  return ids.map((id) => {
    const v = sim.idleVolume(id);
    if (v.status !== 'in-use' || v.instance_id !== instanceId) {
      throw denied(`volume [${id}] is not attached to instance [${instanceId}] (it is ${v.status}${v.instance_id ? ` on [${v.instance_id}]` : ''})`);
    }
    return v;
  });
}

const detachVolumes: ActionHandler = async (sim, p, call) => {
  const ids = p.ids('volumes', 'volume', { required: true });
  const instanceId = p.id('instance', 'instance', { required: true });
  checkDetach(sim, ids, instanceId);
  // The guest must unmount first (qingcloud-api.md §4.1); the effects know whether the device is still held.
  for (const id of ids) {
    if (await sim.options.effects.isVolumeBusy(id)) {
      throw denied(`volume [${id}] is in use on the instance (mounted), unmount it first`);
    }
  }
  // Re-check after the awaits: another request may have changed the volumes meanwhile.
  const volumes = checkDetach(sim, ids, instanceId);
  for (const v of volumes) v.transition_status = 'detaching';
  const job = sim.startJob(call.action, { kind: 'detachVolumes', volumeIds: ids, instanceId }, [...ids, instanceId], { volumes: ids, instance: instanceId });
  return { job_id: job.job_id };
};

const resizeVolumes: ActionHandler = (sim, p, call) => {
  const ids = p.ids('volumes', 'volume', { required: true });
  const size = p.int('size', { required: true, min: 1, max: MAX_SIZE_PARAM });
  const volumes = ids.map((id) => sim.idleVolume(id));
  let growth = 0;
  for (const v of volumes) {
    const online = v.status === 'in-use' && sim.options.allowOnlineResize;
    if (v.status !== 'available' && !online) throw denied(`volume [${v.volume_id}] is ${v.status}, can not be resized; detach it first`);
    if (size <= v.size) throw denied(`volume [${v.volume_id}] is ${v.size} GB and can only grow; ask for more than ${v.size} GB`);
    const row = requireVolumeType(sim, v.volume_type);
    const problem = volumeSizeProblem(row, size);
    if (problem) throw invalidParam(problem);
    growth += size - v.size;
  }
  sim.requireQuota('volume_size', growth);
  for (const v of volumes) v.transition_status = 'resizing';
  const job = sim.startJob(call.action, { kind: 'resizeVolumes', volumeIds: ids, sizeGB: size }, ids, { volumes: ids, size });
  return { job_id: job.job_id };
};

const modifyVolumeAttributes: ActionHandler = (sim, p) => {
  const id = p.id('volume', 'volume', { required: true });
  const volume = sim.world.volumes[id];
  if (!volume || volume.status === 'ceased') throw notFound(id);
  const name = p.str('volume_name', NAME_OPTIONS);
  const description = p.str('description', { maxLength: 1024 });
  if (name !== undefined) volume.volume_name = name;
  if (description !== undefined) volume.description = description;
  sim.changed();
  return {};
};

/** Volume actions by name. */
export const VOLUME_ACTIONS: Record<string, ActionHandler> = {
  DescribeVolumes: describeVolumes,
  CreateVolumes: createVolumes,
  CloneVolumes: cloneVolumes,
  DeleteVolumes: deleteVolumes,
  AttachVolumes: attachVolumes,
  DetachVolumes: detachVolumes,
  ResizeVolumes: resizeVolumes,
  ModifyVolumeAttributes: modifyVolumeAttributes,
};

