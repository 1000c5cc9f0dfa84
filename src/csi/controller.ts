import { systemClock, type Clock } from '../shared/clock.js';
import { InflightOperations } from '../shared/inflight.js';
import { silentLogger, type Logger } from '../shared/log.js';
import { GiB, resolveSizeGiB, sizeFitsRange, type ByteRange, type SizeRule } from './capacity.js';
import { findVolumeType, type VolumeCatalog } from './catalog.js';
import type * as csi from './csi-types.js';
import { CsiError } from './errors.js';
import { parseVolumeParams, sizeRuleFor, type VolumeParams } from './params.js';
import { type BlockStorage, type StoredSnapshot, type StoredVolume } from './storage/block-storage.js';
import { VolumeNameIndex } from './volume-names.js';
import { accessibleTopology, placeVolume, type Segments, type TopologyKeys, type TopologyRequirement } from './topology.js';
import {
  INSTANCE_ID,
  SNAPSHOT_ID,
  VOLUME_ID,
  capabilityProblem,
  isBlock,
  requireField,
  toByteRange,
  validateCapabilities,
  validateCapability,
  validateName,
} from './validate.js';

/** What every handler receives besides its request: the caller's cancellation (deadline or cancel). */
export interface CallContext {
  signal?: AbortSignal;
}

/** Settings of the controller service. */
export interface ControllerOptions {
  storage: BlockStorage;
  catalog: VolumeCatalog;
  keys: TopologyKeys;
  /** Volume type when a class names none and the topology gives no instance type. */
  defaultVolumeType: number;
  clock?: Clock;
  logger?: Logger;
}

/** volume_context keys the node plugin reads. */
export const CONTEXT_FS_TYPE = 'fsType';
export const CONTEXT_VOLUME_TYPE = 'volumeType';

const CONTROLLER_CAPABILITIES: csi.ControllerRpcType[] = [
  'CREATE_DELETE_VOLUME',
  'PUBLISH_UNPUBLISH_VOLUME',
  'LIST_VOLUMES',
  'GET_CAPACITY',
  'CREATE_DELETE_SNAPSHOT',
  'LIST_SNAPSHOTS',
  'CLONE_VOLUME',
  'EXPAND_VOLUME',
  'LIST_VOLUMES_PUBLISHED_NODES',
  'VOLUME_CONDITION',
  'GET_VOLUME',
  'GET_SNAPSHOT',
];

/** Pages the cloud is read in while serving ListVolumes/ListSnapshots. */
const CLOUD_PAGE = 100;

/**
 * The CSI Controller service over the BlockStorage port. Each RPC: validate (pure) → in-flight guard → effect →
 * response; storage failures keep their kind and are mapped to gRPC once, in status.ts.
 */
export class ControllerService {
  private readonly storage: BlockStorage;
  private readonly ops = new InflightOperations();
  private readonly names: VolumeNameIndex;

  constructor(private readonly options: ControllerOptions) {
    this.storage = options.storage;
    this.names = new VolumeNameIndex(options.storage, options.clock ?? systemClock, options.logger ?? silentLogger());
  }


  /** Waits for running cloud operations (graceful shutdown). */
  drain(): Promise<void> {
    return this.ops.drain();
  }

  /** Operations running now (metrics). */
  inflight(): number {
    return this.ops.runningKeys().length;
  }

  async ControllerGetCapabilities(): Promise<csi.ControllerGetCapabilitiesResponse> {
    return { capabilities: CONTROLLER_CAPABILITIES.map((type) => ({ rpc: { type }, type: 'rpc' })) };
  }

  async CreateVolume(req: csi.CreateVolumeRequest, ctx: CallContext = {}): Promise<csi.CreateVolumeResponse> {
    const rpc = 'CreateVolume';
    const name = validateName(req.name, 'name', rpc);
    validateCapabilities(req.volume_capabilities, 'volume_capabilities', rpc);
    if (Object.keys(req.mutable_parameters ?? {}).length > 0) {
      throw new CsiError('INVALID_ARGUMENT', `${rpc}: mutable_parameters are not supported by this driver`);
    }
    const params = parseVolumeParams(req.parameters ?? {}, this.options.catalog);
    const range = toByteRange(req.capacity_range);
    const source = contentSource(req.volume_content_source);
    const placement = placeVolume(toRequirement(req.accessibility_requirements), params.type, {
      zone: this.storage.zone,
      keys: this.options.keys,
      catalog: this.options.catalog,
      defaultType: this.options.defaultVolumeType,
    });
    const typeRule = this.typeRule(placement.volumeType);
    const sizeRule = sizeRuleFor(params, typeRule);
    const sizeGiB = resolveSizeGiB(range, sizeRule, `volume type ${placement.volumeType}`);

    // Idempotency without client tokens: the volume is named after the request name, and the name index (read from the
    // cloud at this controller's first create, kept up to date by it) finds what an earlier attempt or a previous
    // controller created, in any state, so the create waits for that one instead of making a second. Concurrent calls
    // with the same name join one in-flight operation.
    const volume = await this.ops.run({ key: `create:${name}`, resources: [`name:${name}`], signal: ctx.signal }, async () => {
      let existing = await this.names.find(name);
      if (existing === undefined) {
        const sourceSize = await this.sourceSizeGiB(source);
        if (sourceSize !== undefined && sourceSize > sizeGiB && range !== undefined && range.limitBytes > 0 && sourceSize * GiB > range.limitBytes) {
          throw new CsiError('OUT_OF_RANGE', `${rpc}: the source ${source?.id} holds ${sourceSize} GiB, more than limit_bytes allows; raise the requested size`);
        }
        const spec = {
          name,
          sizeGiB: Math.max(sizeGiB, sourceSize ?? 0),
          type: placement.volumeType,
          replica: params.replica,
          tags: params.tags,
          ...(source === undefined ? {} : { source }),
        };
        const outcome = await this.storage.createVolume(spec, undefined, (id) => this.names.remember(name, id));
        if (outcome.created) return outcome.volume;
        existing = outcome.volume;
      }
      existing = await this.finishRestore(existing, source, sizeGiB);
      // Tags are attached after creation; a crash in between leaves them off, so a retry attaches what is missing.
      const missingTags = params.tags.filter((t) => !(existing?.tags ?? []).includes(t));
      if (missingTags.length > 0) {
        await this.storage.attachTags(existing.id, missingTags);
        existing = { ...existing, tags: [...(existing.tags ?? []), ...missingTags] };
      }
      const conflict = incompatibility(existing, { range, type: placement.volumeType, explicitType: params.type, source });
      if (conflict !== undefined) {
        throw new CsiError('ALREADY_EXISTS', `${rpc}: volume ${existing.id} named ${name} already exists with ${conflict}; use another name or the same parameters`);
      }
      return existing.state === 'available' || existing.state === 'in-use' ? existing : this.storage.waitForVolume(existing.id);
    });
    return { volume: this.toCsiVolume(volume, params, req.volume_content_source) };
  }

  async DeleteVolume(req: csi.DeleteVolumeRequest, ctx: CallContext = {}): Promise<csi.DeleteVolumeResponse> {
    const id = requireField(req.volume_id, 'volume_id', 'DeleteVolume');
    // An id this driver never issued cannot name a live volume: deleting it is already done.
    if (!VOLUME_ID.test(id)) return {};
    await this.ops.run({ key: `delete:${id}`, resources: [id], signal: ctx.signal }, () => this.storage.deleteVolume(id));
    this.names.forget(id);
    return {};
  }

  async ControllerPublishVolume(req: csi.ControllerPublishVolumeRequest, ctx: CallContext = {}): Promise<csi.ControllerPublishVolumeResponse> {
    const rpc = 'ControllerPublishVolume';
    const volumeId = requireField(req.volume_id, 'volume_id', rpc);
    const nodeId = requireField(req.node_id, 'node_id', rpc);
    validateCapability(req.volume_capability, 'volume_capability', rpc);
    if (!VOLUME_ID.test(volumeId)) throw new CsiError('NOT_FOUND', `${rpc}: volume ${volumeId} does not exist`);
    if (!INSTANCE_ID.test(nodeId)) throw new CsiError('NOT_FOUND', `${rpc}: node ${nodeId} is not a QingCloud instance id`);
    await this.ops.run({ key: `attach:${volumeId}@${nodeId}`, resources: [volumeId], signal: ctx.signal }, () =>
      this.storage.attachVolume(volumeId, nodeId),
    );
    // The node finds the disk by its by-id link and checks its serial; it needs nothing from here.
    return { publish_context: {} };
  }

  async ControllerUnpublishVolume(req: csi.ControllerUnpublishVolumeRequest, ctx: CallContext = {}): Promise<csi.ControllerUnpublishVolumeResponse> {
    const volumeId = requireField(req.volume_id, 'volume_id', 'ControllerUnpublishVolume');
    // A volume or node that no longer exists is safely unpublished: answering OK keeps VolumeAttachments from
    // getting stuck after a node is deleted (qingcloud-anchors.md A.16 #3).
    if (!VOLUME_ID.test(volumeId)) return {};
    let nodeId = req.node_id;
    if (nodeId !== '' && !INSTANCE_ID.test(nodeId)) return {};
    await this.ops.run({ key: `detach:${volumeId}@${nodeId || '*'}`, resources: [volumeId], signal: ctx.signal }, async () => {
      if (nodeId === '') {
        const volume = await this.storage.getVolume(volumeId);
        if (volume?.instanceId === undefined) return;
        nodeId = volume.instanceId;
      }
      await this.storage.detachVolume(volumeId, nodeId);
    });
    return {};
  }

  async ValidateVolumeCapabilities(req: csi.ValidateVolumeCapabilitiesRequest, ctx: CallContext = {}): Promise<csi.ValidateVolumeCapabilitiesResponse> {
    const rpc = 'ValidateVolumeCapabilities';
    const volumeId = requireField(req.volume_id, 'volume_id', rpc);
    if (req.volume_capabilities.length === 0) throw new CsiError('INVALID_ARGUMENT', `${rpc}: volume_capabilities is required`);
    await this.mustGetVolume(volumeId, rpc, ctx);
    const problems = req.volume_capabilities.map(capabilityProblem).filter((p): p is string => p !== undefined);
    if (problems.length > 0) return { confirmed: null, message: problems.join('; ') };
    if (Object.keys(req.parameters ?? {}).length > 0) {
      try {
        parseVolumeParams(req.parameters, this.options.catalog);
      } catch (err) {
        return { confirmed: null, message: (err as Error).message };
      }
    }
    return {
      confirmed: {
        volume_context: req.volume_context ?? {},
        volume_capabilities: req.volume_capabilities,
        parameters: req.parameters ?? {},
        mutable_parameters: {},
      },
      message: '',
    };
  }

  async ListVolumes(req: csi.ListVolumesRequest, ctx: CallContext = {}): Promise<csi.ListVolumesResponse> {
    const { offset, max } = pageWindow(req.starting_token, req.max_entries, 'ListVolumes');
    const { items, next } = await collectPage((o, l) => this.storage.listVolumes(o, l, ctx.signal), offset, max);
    return {
      entries: items.map((v) => ({
        volume: this.toCsiVolume(v, undefined, null),
        status: { published_node_ids: v.instanceId === undefined ? [] : [v.instanceId], volume_condition: volumeCondition(v) },
      })),
      next_token: next === undefined ? '' : String(next),
    };
  }

  async ControllerGetVolume(req: csi.ControllerGetVolumeRequest, ctx: CallContext = {}): Promise<csi.ControllerGetVolumeResponse> {
    const volumeId = requireField(req.volume_id, 'volume_id', 'ControllerGetVolume');
    const volume = await this.mustGetVolume(volumeId, 'ControllerGetVolume', ctx);
    return {
      volume: this.toCsiVolume(volume, undefined, null),
      status: { published_node_ids: volume.instanceId === undefined ? [] : [volume.instanceId], volume_condition: volumeCondition(volume) },
    };
  }

  async GetCapacity(req: csi.GetCapacityRequest, ctx: CallContext = {}): Promise<csi.GetCapacityResponse> {
    if (req.volume_capabilities.length > 0) validateCapabilities(req.volume_capabilities, 'volume_capabilities', 'GetCapacity');
    const params = parseVolumeParams(req.parameters ?? {}, this.options.catalog);
    const zone = req.accessible_topology?.segments[this.options.keys.zone];
    if (zone !== undefined && zone !== this.storage.zone) return { available_capacity: '0', maximum_volume_size: null, minimum_volume_size: null };
    const available = (await this.storage.availableCapacityBytes(ctx.signal)) ?? 0;
    const rule = sizeRuleFor(params, this.typeRule(params.type ?? this.options.defaultVolumeType));
    return {
      available_capacity: String(Math.max(0, Math.floor(available))),
      maximum_volume_size: { value: String(rule.maxGiB * GiB) },
      minimum_volume_size: { value: String(rule.minGiB * GiB) },
    };
  }

  async CreateSnapshot(req: csi.CreateSnapshotRequest, ctx: CallContext = {}): Promise<csi.CreateSnapshotResponse> {
    const rpc = 'CreateSnapshot';
    const name = validateName(req.name, 'name', rpc);
    const sourceId = requireField(req.source_volume_id, 'source_volume_id', rpc);
    if (Object.keys(req.parameters ?? {}).some((k) => !k.startsWith('csi.storage.k8s.io/'))) {
      throw new CsiError('INVALID_ARGUMENT', `${rpc}: snapshot parameters ${Object.keys(req.parameters).join(', ')} are not supported`);
    }
    // Idempotent by name: the same name and source returns the snapshot already cut (ready_to_use follows the cloud's
    // status, so the CO keeps asking until it is true); the same name on another source is ALREADY_EXISTS.
    const snapshot = await this.ops.run({ key: `snapshot:${name}`, resources: [`snapshot-name:${name}`], signal: ctx.signal }, async () => {
      const existing = await this.storage.findSnapshotByName(name);
      if (existing !== undefined) {
        if (existing.sourceVolumeId !== sourceId) {
          throw new CsiError('ALREADY_EXISTS', `${rpc}: snapshot ${existing.id} named ${name} already exists for volume ${existing.sourceVolumeId}, not ${sourceId}`);
        }
        return existing;
      }
      if (!VOLUME_ID.test(sourceId)) throw new CsiError('NOT_FOUND', `${rpc}: source volume ${sourceId} does not exist`);
      return this.storage.createSnapshot(name, sourceId);
    });
    return { snapshot: toCsiSnapshot(snapshot) };
  }

  async DeleteSnapshot(req: csi.DeleteSnapshotRequest, ctx: CallContext = {}): Promise<csi.DeleteSnapshotResponse> {
    const id = requireField(req.snapshot_id, 'snapshot_id', 'DeleteSnapshot');
    if (!SNAPSHOT_ID.test(id)) return {};
    await this.ops.run({ key: `delete-snapshot:${id}`, resources: [id], signal: ctx.signal }, () => this.storage.deleteSnapshot(id));
    return {};
  }

  async ListSnapshots(req: csi.ListSnapshotsRequest, ctx: CallContext = {}): Promise<csi.ListSnapshotsResponse> {
    const { offset, max } = pageWindow(req.starting_token, req.max_entries, 'ListSnapshots');
    if (req.snapshot_id !== '') {
      const one = SNAPSHOT_ID.test(req.snapshot_id) ? await this.storage.getSnapshot(req.snapshot_id, ctx.signal) : undefined;
      const matches = one !== undefined && (req.source_volume_id === '' || one.sourceVolumeId === req.source_volume_id);
      return { entries: matches && offset === 0 ? [{ snapshot: toCsiSnapshot(one) }] : [], next_token: '' };
    }
    if (req.source_volume_id !== '' && !VOLUME_ID.test(req.source_volume_id)) return { entries: [], next_token: '' };
    const filter = req.source_volume_id === '' ? {} : { sourceVolumeId: req.source_volume_id };
    const { items, next } = await collectPage((o, l) => this.storage.listSnapshots(filter, o, l, ctx.signal), offset, max);
    return { entries: items.map((s) => ({ snapshot: toCsiSnapshot(s) })), next_token: next === undefined ? '' : String(next) };
  }

  async GetSnapshot(req: csi.GetSnapshotRequest, ctx: CallContext = {}): Promise<csi.GetSnapshotResponse> {
    const id = requireField(req.snapshot_id, 'snapshot_id', 'GetSnapshot');
    const snapshot = SNAPSHOT_ID.test(id) ? await this.storage.getSnapshot(id, ctx.signal) : undefined;
    if (snapshot === undefined) throw new CsiError('NOT_FOUND', `GetSnapshot: snapshot ${id} does not exist`);
    return { snapshot: toCsiSnapshot(snapshot) };
  }

  async ControllerExpandVolume(req: csi.ControllerExpandVolumeRequest, ctx: CallContext = {}): Promise<csi.ControllerExpandVolumeResponse> {
    const rpc = 'ControllerExpandVolume';
    const volumeId = requireField(req.volume_id, 'volume_id', rpc);
    const range = toByteRange(req.capacity_range);
    if (range === undefined || (range.requiredBytes === 0 && range.limitBytes === 0)) {
      throw new CsiError('INVALID_ARGUMENT', `${rpc}: capacity_range is required`);
    }
    if (req.volume_capability !== null) validateCapability(req.volume_capability, 'volume_capability', rpc);
    const nodeExpansion = !isBlock(req.volume_capability);
    const volume = await this.mustGetVolume(volumeId, rpc, ctx);
    // Step-aware: the new size follows the volume type's step and range (qingcloud-anchors.md A.16 #2).
    const target = resolveSizeGiB({ requiredBytes: Math.max(range.requiredBytes, 1), limitBytes: range.limitBytes }, this.typeRule(volume.type), `volume type ${volume.type}`);
    // Already at least that large: nothing to do (a retry after the job finished lands here).
    if (volume.sizeGiB >= target) return { capacity_bytes: String(volume.sizeGiB * GiB), node_expansion_required: nodeExpansion };
    await this.ops.run({ key: `expand:${volumeId}:${target}`, resources: [volumeId], signal: ctx.signal }, () =>
      this.storage.resizeVolume(volumeId, target),
    );
    return { capacity_bytes: String(target * GiB), node_expansion_required: nodeExpansion };
  }

  async ControllerModifyVolume(): Promise<csi.ControllerModifyVolumeResponse> {
    throw new CsiError('UNIMPLEMENTED', 'ControllerModifyVolume: this driver has no mutable parameters');
  }

  /**
   * A restore or clone is three cloud steps (create from the source, record the source, grow to the requested size);
   * a crash or a failed call between them leaves a volume that has our name but lacks the rest. The retry finishes the
   * steps instead of calling the half-made volume a name clash. A volume whose source was never recorded is taken as
   * the requested one: names are the CO's unique PV names, so nothing else creates a volume with this name.
   */
  private async finishRestore(
    volume: StoredVolume,
    source: { kind: 'snapshot' | 'volume'; id: string } | undefined,
    sizeGiB: number,
  ): Promise<StoredVolume> {
    if (source === undefined) return volume;
    let v = volume;
    const recorded = v.source ?? { ...source };
    if (v.source === undefined) {
      await this.storage.recordSource(v.id, source);
      v = { ...v, source: recorded };
    }
    if (recorded.kind !== source.kind || recorded.id !== source.id) return v;
    if (v.state === 'creating') v = { ...(await this.storage.waitForVolume(v.id)), source: recorded };
    if (v.sizeGiB < sizeGiB) {
      await this.storage.resizeVolume(v.id, sizeGiB);
      v = { ...v, sizeGiB };
    }
    return v;
  }

  private typeRule(type: number): SizeRule {
    const rule = findVolumeType(this.options.catalog, type);
    if (rule === undefined) throw new CsiError('INVALID_ARGUMENT', `volume type ${type} is unknown to this driver`);
    return { minGiB: rule.minSizeGiB, maxGiB: rule.maxSizeGiB, stepGiB: rule.stepGiB };
  }

  private async mustGetVolume(volumeId: string, rpc: string, ctx: CallContext): Promise<StoredVolume> {
    const volume = VOLUME_ID.test(volumeId) ? await this.storage.getVolume(volumeId, ctx.signal) : undefined;
    if (volume === undefined) throw new CsiError('NOT_FOUND', `${rpc}: volume ${volumeId} does not exist`);
    return volume;
  }

  private async sourceSizeGiB(source: { kind: 'snapshot' | 'volume'; id: string } | undefined): Promise<number | undefined> {
    if (source === undefined) return undefined;
    if (source.kind === 'snapshot') {
      const snapshot = SNAPSHOT_ID.test(source.id) ? await this.storage.getSnapshot(source.id) : undefined;
      if (snapshot === undefined) throw new CsiError('NOT_FOUND', `CreateVolume: source snapshot ${source.id} does not exist`);
      if (!snapshot.ready) throw new CsiError('UNAVAILABLE', `CreateVolume: source snapshot ${source.id} is not ready yet; retry shortly`);
      return snapshot.sizeGiB;
    }
    const volume = VOLUME_ID.test(source.id) ? await this.storage.getVolume(source.id) : undefined;
    if (volume === undefined) throw new CsiError('NOT_FOUND', `CreateVolume: source volume ${source.id} does not exist`);
    return volume.sizeGiB;
  }

  private toCsiVolume(v: StoredVolume, params: VolumeParams | undefined, requestedSource: csi.VolumeContentSource | null): csi.Volume {
    const context: Record<string, string> = { [CONTEXT_VOLUME_TYPE]: String(v.type) };
    if (params !== undefined) context[CONTEXT_FS_TYPE] = params.fsType;
    return {
      volume_id: v.id,
      capacity_bytes: String(v.sizeGiB * GiB),
      volume_context: context,
      content_source: requestedSource ?? sourceOf(v),
      accessible_topology: accessibleTopology(v.type, v.zone, this.options.keys, this.options.catalog).map((segments) => ({ segments })),
    };
  }
}

function contentSource(src: csi.VolumeContentSource | null): { kind: 'snapshot' | 'volume'; id: string } | undefined {
  if (src === null) return undefined;
  if (src.snapshot !== undefined && src.snapshot !== null) {
    return { kind: 'snapshot', id: requireField(src.snapshot.snapshot_id, 'volume_content_source.snapshot.snapshot_id', 'CreateVolume') };
  }
  if (src.volume !== undefined && src.volume !== null) {
    return { kind: 'volume', id: requireField(src.volume.volume_id, 'volume_content_source.volume.volume_id', 'CreateVolume') };
  }
  throw new CsiError('INVALID_ARGUMENT', 'CreateVolume: volume_content_source names neither a snapshot nor a volume');
}

function sourceOf(v: StoredVolume): csi.VolumeContentSource | null {
  if (v.source === undefined) return null;
  return v.source.kind === 'snapshot'
    ? { snapshot: { snapshot_id: v.source.id }, type: 'snapshot' }
    : { volume: { volume_id: v.source.id }, type: 'volume' };
}

function toRequirement(req: csi.TopologyRequirement | null): TopologyRequirement | undefined {
  if (req === null) return undefined;
  const segs = (list: csi.Topology[]): Segments[] => list.map((t) => ({ ...t.segments }));
  return { requisite: segs(req.requisite), preferred: segs(req.preferred) };
}

/** Why an existing volume does not match a repeated CreateVolume, or undefined when it does. */
function incompatibility(
  v: StoredVolume,
  want: { range: ByteRange | undefined; type: number; explicitType: number | undefined; source: { kind: string; id: string } | undefined },
): string | undefined {
  if (!sizeFitsRange(v.sizeGiB, want.range)) return `size ${v.sizeGiB} GiB outside the requested capacity range`;
  if (want.explicitType !== undefined && v.type !== want.explicitType) return `volume type ${v.type}, not ${want.explicitType}`;
  const had = v.source === undefined ? 'no source' : `${v.source.kind} ${v.source.id}`;
  const wanted = want.source === undefined ? 'no source' : `${want.source.kind} ${want.source.id}`;
  if (v.source !== undefined && had !== wanted) return `content source ${had}, not ${wanted}`;
  if (v.source === undefined && want.source !== undefined) return `content source ${had}, not ${wanted}`;
  return undefined;
}

function volumeCondition(v: StoredVolume): csi.VolumeCondition {
  if (v.state === 'other') return { abnormal: true, message: `volume ${v.id} is in an unexpected cloud state; check it in the QingCloud console` };
  return { abnormal: false, message: `volume ${v.id} is ${v.state}` };
}

function toCsiSnapshot(s: StoredSnapshot): csi.Snapshot {
  return {
    snapshot_id: s.id,
    source_volume_id: s.sourceVolumeId,
    size_bytes: String(s.sizeGiB * GiB),
    creation_time: { seconds: String(Math.floor(s.createdAtMs / 1000)), nanos: (s.createdAtMs % 1000) * 1_000_000 },
    ready_to_use: s.ready,
    group_snapshot_id: '',
  };
}

/** Decodes a list token (an offset we issued) and max_entries; a token we did not issue is ABORTED per spec. */
function pageWindow(token: string, maxEntries: number, rpc: string): { offset: number; max: number } {
  if (maxEntries < 0) throw new CsiError('INVALID_ARGUMENT', `${rpc}: max_entries must not be negative`);
  if (token === '') return { offset: 0, max: maxEntries };
  if (!/^\d{1,9}$/.test(token)) throw new CsiError('ABORTED', `${rpc}: starting_token "${token}" was not issued by this driver; list again from the start`);
  return { offset: Number(token), max: maxEntries };
}

/** Reads `max` items (0 = all) from `offset` in cloud pages; `next` is the offset to continue from, if any remain. */
async function collectPage<T>(
  fetch: (offset: number, limit: number) => Promise<{ items: T[]; total: number }>,
  offset: number,
  max: number,
): Promise<{ items: T[]; next?: number }> {
  const items: T[] = [];
  let cursor = offset;
  for (;;) {
    const want = max === 0 ? CLOUD_PAGE : Math.min(CLOUD_PAGE, max - items.length);
    const page = await fetch(cursor, want);
    if (cursor > page.total && cursor > 0) throw new CsiError('ABORTED', `starting_token ${offset} is past the end of the list; list again from the start`);
    items.push(...page.items.slice(0, want));
    cursor += page.items.length;
    if (page.items.length === 0 || cursor >= page.total) return { items };
    if (max > 0 && items.length >= max) return { items, next: cursor };
  }
}

