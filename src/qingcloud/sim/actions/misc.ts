import { invalidParam, notFound, SimApiError } from '../errors.js';
import type { QuotaType, TagPair, TagRec } from '../model.js';
import { ID_PATTERNS } from '../params.js';
import { hasAnyTag, instanceView, jobView, tagView, vxnetView } from '../render.js';
import { SIM_VOLUME_TYPES } from '../volume-limits.js';
import { listResult, matchesWord, NAME_OPTIONS, newestFirst, type ActionHandler } from './common.js';
import type { SimEngine } from '../engine.js';

const describeInstances: ActionHandler = (sim, p) => {
  const ids = p.ids('instances', 'instance');
  const statuses = p.listOrSingle('status', { oneOf: ['pending', 'running', 'stopped', 'suspended', 'terminated', 'ceased'] });
  const word = p.str('search_word', { maxLength: 256 });
  const name = p.str('instance_name', NAME_OPTIONS);
  const instanceClass = p.int('instance_class', { min: 0, max: 100_000 });
  const types = p.listOrSingle('instance_type', { maxLength: 64 });
  const tags = p.ids('tags', 'tag');
  const vxnetId = p.id('vxnet', 'vxnet');
  const items = Object.values(sim.world.instances).filter(
    (i) =>
      (ids.length === 0 || ids.includes(i.instance_id)) &&
      (statuses.length === 0 || statuses.includes(i.status)) &&
      matchesWord(word, i.instance_id, i.instance_name) &&
      matchesWord(name, i.instance_name) &&
      (instanceClass === undefined || i.instance_class === instanceClass) &&
      (types.length === 0 || types.includes(i.instance_type)) &&
      (vxnetId === undefined || Object.values(sim.world.nics).some((n) => n.instance_id === i.instance_id && n.vxnet_id === vxnetId)) &&
      hasAnyTag(sim.world, i.instance_id, tags),
  );
  return listResult('instance_set', items, p, (i) => instanceView(sim.world, i));
};

const describeVxnets: ActionHandler = (sim, p) => {
  const ids = p.ids('vxnets', 'vxnet');
  const word = p.str('search_word', { maxLength: 256 });
  const tags = p.ids('tags', 'tag');
  const type = p.int('vxnet_type', { min: 0, max: 2 });
  const verbose = p.flag('verbose') ?? false;
  const items = Object.values(sim.world.vxnets).filter(
    (v) =>
      (ids.length === 0 || ids.includes(v.vxnet_id)) &&
      (type === undefined || type === 1) &&
      matchesWord(word, v.vxnet_id, v.vxnet_name) &&
      hasAnyTag(sim.world, v.vxnet_id, tags),
  );
  return listResult('vxnet_set', items, p, (v) => vxnetView(sim.world, v, verbose));
};

const describeZones: ActionHandler = (sim, p) => {
  const ids = p.listOrSingle('zones', { maxLength: 64 });
  const statuses = p.listOrSingle('status', { oneOf: ['active', 'faulty', 'defunct'] });
  const zones = [{ zone_id: sim.world.zone, status: 'active' }].filter(
    (z) => (ids.length === 0 || ids.includes(z.zone_id)) && (statuses.length === 0 || statuses.includes(z.status)),
  );
  return listResult('zone_set', zones, p, (z) => z);
};

const describeJobs: ActionHandler = (sim, p) => {
  const ids = p.ids('jobs', 'job');
  const statuses = p.listOrSingle('status', { oneOf: ['pending', 'working', 'successful', 'failed'] });
  const action = p.str('job_action', { maxLength: 64 });
  const items = newestFirst(sim.world.jobs).filter(
    (j) =>
      (ids.length === 0 || ids.includes(j.job_id)) &&
      (statuses.length === 0 || statuses.includes(j.status)) &&
      (action === undefined || j.job_action === action),
  );
  return listResult('job_set', items, p, (j) => jobView(sim.world, j));
};

const QUOTA_TYPES = Object.keys({ volume: 0, volume_size: 0, snapshot: 0, nic: 0, tag: 0, instance: 0, vxnet: 0 } satisfies Record<QuotaType, number>) as QuotaType[];

const getQuotaLeft: ActionHandler = (sim, p) => {
  const types = p.list('resource_types', { maxItems: 100, maxLength: 64 });
  const used = sim.quotaUsed();
  const known = types.length === 0 ? QUOTA_TYPES : types.filter((t): t is QuotaType => (QUOTA_TYPES as string[]).includes(t));
  return { quota_left_set: known.map((t) => ({ resource_type: t, left: Math.max(0, sim.world.limits.quotas[t] - used[t]) })) };
};

const describeQuotas: ActionHandler = (sim) => ({ quota_set: { ...sim.world.limits.quotas }, user_id: sim.world.owner });

const getResourceLimit: ActionHandler = (sim) => {
  const limits = sim.world.limits;
  const base = SIM_VOLUME_TYPES.find((t) => t.type === 0);
  return {
    resource_limits: {
      max_volume_per_inst: limits.max_volumes_per_instance,
      max_nic_per_instance: limits.max_nics_per_instance,
      max_nic_per_vxnet: limits.max_nics_per_vxnet,
      min_volume_size: base?.minGB,
      max_volume_size: base?.maxGB,
      volume_step: base?.stepGB,
      valid_volume_types: SIM_VOLUME_TYPES.map((t) => t.type),
      valid_instance_classes: [...new Set(SIM_VOLUME_TYPES.flatMap((t) => t.instanceClasses))].sort((a, b) => a - b),
    },
  };
};

// ---- tags ----

const TAG_NAME = { required: true, maxLength: 64, pattern: /^\P{Cc}+$/u } as const;
const COLOR = /^#[0-9a-fA-F]{6}$/;

/** Which resource record a taggable resource_type refers to. */
function resourceExists(sim: SimEngine, type: string, id: string): boolean {
  const w = sim.world;
  switch (type) {
    case 'volume':
      return ID_PATTERNS.volume.test(id) && w.volumes[id] !== undefined && w.volumes[id].status !== 'ceased';
    case 'instance':
      return w.instances[id] !== undefined;
    case 'snapshot':
      return w.snapshots[id] !== undefined && w.snapshots[id].status !== 'ceased';
    case 'nic':
      return w.nics[id] !== undefined;
    case 'vxnet':
      return w.vxnets[id] !== undefined;
    default:
      return false;
  }
}

const TAGGABLE = ['instance', 'volume', 'snapshot', 'nic', 'vxnet', 'keypair', 'security_group', 'eip', 'router', 'loadbalancer'];

const createTag: ActionHandler = (sim, p) => {
  const name = p.str('tag_name', TAG_NAME);
  const color = p.str('color', { pattern: COLOR }) ?? '#9e9e9e';
  const description = p.str('description', { maxLength: 1024 }) ?? null;
  const clash = Object.values(sim.world.tags).find((t) => t.tag_name === name);
  if (clash) throw new SimApiError(2110, `tag name [${name}] is already used by tag [${clash.tag_id}]; tag names are unique`);
  sim.requireQuota('tag', 1);
  const tag: TagRec = { tag_id: sim.newId('tag', 8, sim.world.tags), tag_name: name, description, color, create_time: sim.now() };
  sim.world.tags[tag.tag_id] = tag;
  sim.changed();
  return { tag_id: tag.tag_id };
};

function tagPairs(sim: SimEngine, p: Parameters<ActionHandler>[1]): TagPair[] {
  const items = p.objectList('resource_tag_pairs', ['tag_id', 'resource_type', 'resource_id'], { required: true });
  return items.map((item) => {
    const pair = { tag_id: item['tag_id'] ?? '', resource_type: item['resource_type'] ?? '', resource_id: item['resource_id'] ?? '' };
    if (!ID_PATTERNS.tag.test(pair.tag_id)) throw invalidParam(`resource_tag_pairs holds a malformed tag id ${JSON.stringify(pair.tag_id.slice(0, 64))}`);
    if (!TAGGABLE.includes(pair.resource_type)) throw invalidParam(`resource_type ${JSON.stringify(pair.resource_type.slice(0, 64))} is not taggable; use one of ${TAGGABLE.join(', ')}`);
    if (!sim.world.tags[pair.tag_id]) throw notFound(pair.tag_id);
    if (!resourceExists(sim, pair.resource_type, pair.resource_id)) throw notFound(pair.resource_id.slice(0, 64));
    return pair;
  });
}

const samePair = (a: TagPair, b: TagPair): boolean => a.tag_id === b.tag_id && a.resource_id === b.resource_id && a.resource_type === b.resource_type;

const attachTags: ActionHandler = (sim, p) => {
  // Idempotent: a pair that is already attached stays one pair.
  for (const pair of tagPairs(sim, p)) if (!sim.world.tag_pairs.some((q) => samePair(q, pair))) sim.world.tag_pairs.push(pair);
  sim.changed();
  return {};
};

const detachTags: ActionHandler = (sim, p) => {
  const pairs = tagPairs(sim, p);
  sim.world.tag_pairs = sim.world.tag_pairs.filter((q) => !pairs.some((pair) => samePair(q, pair)));
  sim.changed();
  return {};
};

const describeTags: ActionHandler = (sim, p) => {
  const ids = p.ids('tags', 'tag');
  const resources = p.list('resources', { maxLength: 64 });
  const word = p.str('search_word', { maxLength: 256 });
  const verbose = p.flag('verbose') ?? false;
  const items = newestFirst(sim.world.tags).filter(
    (t) =>
      (ids.length === 0 || ids.includes(t.tag_id)) &&
      matchesWord(word, t.tag_name) &&
      (resources.length === 0 || sim.world.tag_pairs.some((q) => q.tag_id === t.tag_id && resources.includes(q.resource_id))),
  );
  return listResult('tag_set', items, p, (t) => tagView(sim.world, t, verbose));
};

const deleteTags: ActionHandler = (sim, p) => {
  const ids = p.ids('tags', 'tag', { required: true });
  for (const id of ids) if (!sim.world.tags[id]) throw notFound(id);
  for (const id of ids) delete sim.world.tags[id];
  sim.world.tag_pairs = sim.world.tag_pairs.filter((q) => !ids.includes(q.tag_id));
  sim.changed();
  return { tags: ids };
};

const modifyTagAttributes: ActionHandler = (sim, p) => {
  const id = p.id('tag', 'tag', { required: true });
  const tag = sim.world.tags[id];
  if (!tag) throw notFound(id);
  const name = p.str('tag_name', { ...TAG_NAME, required: false });
  const color = p.str('color', { pattern: COLOR });
  const description = p.str('description', { maxLength: 1024 });
  if (name !== undefined && name !== tag.tag_name) {
    const clash = Object.values(sim.world.tags).find((t) => t.tag_name === name);
    if (clash) throw new SimApiError(2110, `tag name [${name}] is already used by tag [${clash.tag_id}]; tag names are unique`);
    tag.tag_name = name;
  }
  if (color !== undefined) tag.color = color;
  if (description !== undefined) tag.description = description;
  sim.changed();
  return {};
};

/** Instance, vxnet, zone, job, quota and tag actions by name. */
export const MISC_ACTIONS: Record<string, ActionHandler> = {
  DescribeInstances: describeInstances,
  DescribeVxnets: describeVxnets,
  DescribeZones: describeZones,
  DescribeJobs: describeJobs,
  GetQuotaLeft: getQuotaLeft,
  DescribeQuotas: describeQuotas,
  GetResourceLimit: getResourceLimit,
  CreateTag: createTag,
  AttachTags: attachTags,
  DetachTags: detachTags,
  DescribeTags: describeTags,
  DeleteTags: deleteTags,
  ModifyTagAttributes: modifyTagAttributes,
};
