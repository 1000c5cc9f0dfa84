import { denied, invalidParam, notFound } from '../errors.js';
import type { SnapshotRec } from '../model.js';
import { ID_PATTERNS } from '../params.js';
import { hasAnyTag, snapshotView } from '../render.js';
import { listResult, matchesWord, NAME_OPTIONS, newestFirst, type ActionHandler } from './common.js';
import { addPendingVolume } from './volumes.js';

const SNAPSHOT_STATUSES = ['pending', 'available', 'suspended', 'deleted', 'ceased'] as const;

const describeSnapshots: ActionHandler = (sim, p) => {
  const ids = p.ids('snapshots', 'snapshot');
  const resourceId = p.id('resource_id', 'volume');
  const type = p.int('snapshot_type', { min: 0, max: 1 });
  const statuses = p.listOrSingle('status', { oneOf: SNAPSHOT_STATUSES });
  const word = p.str('search_word', { maxLength: 256 });
  const name = p.str('snapshot_name', NAME_OPTIONS);
  const tags = p.ids('tags', 'tag');
  const items = newestFirst(sim.world.snapshots).filter(
    (s) =>
      (ids.length === 0 || ids.includes(s.snapshot_id)) &&
      (resourceId === undefined || s.source_volume_id === resourceId) &&
      (type === undefined || type === 1) &&
      (statuses.length === 0 || (statuses as readonly string[]).includes(s.status)) &&
      matchesWord(word, s.snapshot_id, s.snapshot_name) &&
      matchesWord(name, s.snapshot_name) &&
      hasAnyTag(sim.world, s.snapshot_id, tags),
  );
  return listResult('snapshot_set', items, p, (s) => snapshotView(sim.world, s));
};

const createSnapshots: ActionHandler = (sim, p, call) => {
  const resources = p.list('resources', { required: true, maxItems: 100, maxLength: 64 });
  for (const id of resources) {
    if (ID_PATTERNS.instance.test(id)) throw denied(`resource [${id}] is an instance; the simulator snapshots volumes only`);
    if (!ID_PATTERNS.volume.test(id)) throw invalidParam(`parameter [resources] holds a malformed volume id ${JSON.stringify(id.slice(0, 64))}`);
  }
  const volumes = resources.map((id) => sim.idleVolume(id));
  for (const v of volumes) {
    if (v.status !== 'available' && v.status !== 'in-use') throw denied(`volume [${v.volume_id}] is ${v.status}, can not be snapshotted`);
  }
  sim.requireQuota('snapshot', volumes.length);
  const name = p.str('snapshot_name', NAME_OPTIONS) ?? '';
  const now = sim.now();
  const ids = volumes.map((v) => {
    const snapshot: SnapshotRec = {
      snapshot_id: sim.newId('ss', 8, sim.world.snapshots),
      snapshot_name: name,
      description: null,
      status: 'pending',
      transition_status: 'creating',
      create_time: now,
      status_time: now,
      size: v.size * 1024,
      source_volume_id: v.volume_id,
      source_volume_name: v.volume_name,
      source_volume_type: v.volume_type,
      source_volume_size: v.size,
    };
    sim.world.snapshots[snapshot.snapshot_id] = snapshot;
    return snapshot.snapshot_id;
  });
  const job = sim.startJob(call.action, { kind: 'createSnapshots', snapshotIds: ids }, ids, { resources, snapshot_name: name });
  // The live API answers with an array of job ids (the docs show a string); switchable by an option.
  return { snapshots: ids, job_id: sim.options.snapshotJobIdAs === 'array' ? [job.job_id] : job.job_id };
};

const deleteSnapshots: ActionHandler = (sim, p, call) => {
  const ids = p.ids('snapshots', 'snapshot', { required: true });
  const snapshots = ids.map((id) => sim.idleSnapshot(id));
  for (const s of snapshots) {
    if (s.status !== 'available') throw denied(`snapshot [${s.snapshot_id}] is ${s.status}, can not be deleted`);
  }
  for (const s of snapshots) s.transition_status = 'deleting';
  const job = sim.startJob(call.action, { kind: 'deleteSnapshots', snapshotIds: ids }, ids, { snapshots: ids });
  return { job_id: job.job_id };
};

const createVolumeFromSnapshot: ActionHandler = (sim, p, call) => {
  const snapshotId = p.id('snapshot', 'snapshot', { required: true });
  const snapshot = sim.idleSnapshot(snapshotId);
  if (snapshot.status !== 'available') throw denied(`snapshot [${snapshotId}] is not available, can not create volume from it`);
  sim.requireQuota('volume', 1);
  sim.requireQuota('volume_size', snapshot.source_volume_size);
  const name = p.str('volume_name', NAME_OPTIONS) ?? '';
  // Type and size come from the source volume (qingcloud-api.md §4.2).
  const volume = addPendingVolume(sim, name, snapshot.source_volume_type, snapshot.source_volume_size);
  const job = sim.startJob(
    call.action,
    { kind: 'createVolumeFromSnapshot', snapshotId, volumeIds: [volume.volume_id] },
    [volume.volume_id],
    { snapshot: snapshotId, volume_name: name },
  );
  return { volume_id: volume.volume_id, job_id: job.job_id };
};

const modifySnapshotAttributes: ActionHandler = (sim, p) => {
  const id = p.id('snapshot', 'snapshot', { required: true });
  const snapshot = sim.world.snapshots[id];
  if (!snapshot || snapshot.status === 'ceased') throw notFound(id);
  const name = p.str('snapshot_name', NAME_OPTIONS);
  const description = p.str('description', { maxLength: 1024 });
  if (name !== undefined) snapshot.snapshot_name = name;
  if (description !== undefined) snapshot.description = description;
  sim.changed();
  return {};
};

/** Snapshot actions by name. */
export const SNAPSHOT_ACTIONS: Record<string, ActionHandler> = {
  DescribeSnapshots: describeSnapshots,
  CreateSnapshots: createSnapshots,
  DeleteSnapshots: deleteSnapshots,
  CreateVolumeFromSnapshot: createVolumeFromSnapshot,
  ModifySnapshotAttributes: modifySnapshotAttributes,
};
