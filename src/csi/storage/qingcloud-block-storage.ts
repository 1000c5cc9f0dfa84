import type { Clock } from '../../shared/clock.js';
import { backoffDelay } from '../../shared/backoff.js';
import type { Logger } from '../../shared/log.js';
import {
  FAILED_JOB_STATUSES,
  JobFailedError,
  JobTimeoutError,
  QingCloudApiError,
  QingCloudTransportError,
  type QingCloud,
  type Snapshot,
  type SnapshotStatus,
  type Volume,
  type VolumeStatus,
} from '../../qingcloud/index.js';
import {
  StorageError,
  type BlockStorage,
  type Page,
  type StoredSnapshot,
  type StoredVolume,
  type CreatedVolume,
  type VolumeSpec,
  type VolumeState,
} from './block-storage.js';

const LIVE_VOLUME: readonly VolumeStatus[] = ['pending', 'available', 'in-use', 'suspended'];
const LIVE_SNAPSHOT: readonly SnapshotStatus[] = ['pending', 'available', 'suspended'];
const PAGE = 100;
const GiB_PER_MiB = 1 / 1024;
/** Waiting for a volume to leave a transition: polls back off from 500 ms to 5 s, up to 10 minutes. */
const SETTLE = { initialMs: 500, maxMs: 5_000, factor: 1.5, jitter: 0.2 };
const SETTLE_TIMEOUT_MS = 10 * 60_000;
/** What the CSI driver records in a volume's description so a retry can check the content source. */
const SOURCE_MARKER = 'csi-source:';

/** Settings of the adapter. */
export interface QingCloudBlockStorageOptions {
  sdk: QingCloud;
  zone: string;
  clock: Clock;
  logger: Logger;
  /** Deadline of one cloud job wait (default 10 minutes; the CSI call may return earlier, the operation goes on). */
  jobTimeoutMs?: number;
}

/**
 * BlockStorage over the QingCloud SDK: the one place the CSI driver talks to the cloud, and where SDK errors become
 * StorageError kinds. Designed for few calls: mutations go straight to the API and only re-read a resource when the
 * answer needs explaining (e.g. an attach refused because the volume is already attached here).
 */
export class QingCloudBlockStorage implements BlockStorage {
  readonly zone: string;
  private readonly sdk: QingCloud;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly jobTimeoutMs: number;

  constructor(options: QingCloudBlockStorageOptions) {
    this.sdk = options.sdk;
    this.zone = options.zone;
    this.clock = options.clock;
    this.logger = options.logger;
    this.jobTimeoutMs = options.jobTimeoutMs ?? 10 * 60_000;
  }

  async checkAccess(signal?: AbortSignal): Promise<void> {
    await this.call('check access to the QingCloud API', () => this.sdk.api.zones.describeZones({ zones: [this.zone] }, { signal }));
  }

  async findVolumeByName(name: string, signal?: AbortSignal): Promise<StoredVolume | undefined> {
    // search_word matches ids and names loosely; only an exact name counts.
    const matches = await this.call(`look up volume ${name}`, () =>
      this.sdk.api.volumes.describeAllVolumes({ search_word: name, status: LIVE_VOLUME }, { signal }),
    );
    const exact = namesakes(matches, name);
    if (exact.length > 1) this.logger.warn({ name, volumes: exact.map((v) => v.volume_id) }, 'several volumes share one CSI name; using the oldest');
    return exact[0] === undefined ? undefined : toStoredVolume(exact[0], this.zone);
  }

  async getVolume(volumeId: string, signal?: AbortSignal): Promise<StoredVolume | undefined> {
    const v = await this.call(`read volume ${volumeId}`, () => this.sdk.api.volumes.getVolume(volumeId, signal));
    if (v === undefined || v.status === 'deleted' || v.status === 'ceased') return undefined;
    return toStoredVolume(v, this.zone);
  }

  async waitForVolume(volumeId: string, signal?: AbortSignal): Promise<StoredVolume> {
    const deadline = this.clock.now() + SETTLE_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      const v = await this.getVolume(volumeId, signal);
      if (v === undefined) throw new StorageError('NotFound', `volume ${volumeId} disappeared while it was being created; retry to create it again`);
      if (v.state === 'available' || v.state === 'in-use') return v;
      if (this.clock.now() > deadline) {
        throw new StorageError('Busy', `volume ${volumeId} is still ${v.state} after ${SETTLE_TIMEOUT_MS / 60_000} minutes; check it in the QingCloud console`);
      }
      await this.clock.sleep(backoffDelay(attempt, SETTLE), signal);
    }
  }

  /** Waits until a volume being deleted by an earlier attempt is gone; throws Busy if its deletion stalls. */
  private async waitUntilGone(volumeId: string, signal?: AbortSignal): Promise<void> {
    const deadline = this.clock.now() + SETTLE_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      const v = await this.getVolume(volumeId, signal);
      if (v === undefined) return;
      if (v.state !== 'deleting') throw new StorageError('Busy', `deleting volume ${volumeId} did not finish (it is ${v.state}); retrying`);
      if (this.clock.now() > deadline) throw new StorageError('Busy', `volume ${volumeId} is still being deleted; retrying`);
      await this.clock.sleep(backoffDelay(attempt, SETTLE), signal);
    }
  }

  async listVolumes(offset: number, limit: number, signal?: AbortSignal): Promise<Page<StoredVolume>> {
    const page = await this.call('list volumes', () =>
      this.sdk.api.volumes.describeVolumes({ status: LIVE_VOLUME, offset, limit: Math.min(limit, PAGE) }, { signal }),
    );
    return { items: page.items.map((v) => toStoredVolume(v, this.zone)), total: page.totalCount };
  }

  async createVolume(spec: VolumeSpec, signal?: AbortSignal, onIdentified?: (volumeId: string) => void): Promise<CreatedVolume> {
    const source = spec.source;
    if (source === undefined) return this.createEmptyVolume(spec, signal, onIdentified);
    // A restore or clone copies data, so even a short-lived duplicate is costly, and its job is not watched by name:
    // it looks for a namesake the caller's index may have missed first (one call, on these creates only).
    const existing = await this.findVolumeByName(spec.name, signal);
    if (existing !== undefined) {
      onIdentified?.(existing.id);
      return { volume: existing, created: false };
    }
    return { volume: await this.createVolumeFromSource(spec, source, signal, onIdentified), created: true };
  }

  /**
   * The create is watched through DescribeVolumes by name instead of DescribeJobs: the same one call per poll also shows
   * whether another volume carries the name (an earlier controller's, that the caller's index missed). The strictly
   * older one wins and the younger deletes itself, so two attempts never delete each other's; same-second twins are
   * both kept and reported.
   */
  private async createEmptyVolume(spec: VolumeSpec, signal?: AbortSignal, onIdentified?: (volumeId: string) => void): Promise<CreatedVolume> {
    const what = `create volume ${spec.name}`;
    const created = await this.call(what, () =>
      this.sdk.api.volumes.createVolumes(
        { size: spec.sizeGiB, volume_name: spec.name, volume_type: spec.type, count: 1, repl: spec.replica === 1 ? 'rpp-00000001' : 'rpp-00000002' },
        { signal },
      ),
    );
    const id = created.volumeIds[0];
    if (id === undefined) throw new StorageError('Internal', `CreateVolumes for ${spec.name} answered without a volume id`);
    onIdentified?.(id);
    const { jobId } = created;
    const { mine, others } = await this.call(what, () =>
      this.sdk.waiter.watch(jobId, (sig) => this.namesakesOnceCreated(spec.name, id, jobId, sig), {
        jobAction: 'CreateVolumes',
        resourceIds: [id],
        timeoutMs: this.jobTimeoutMs,
        signal,
      }),
    );
    const older = others.find((v) => v.create_time < mine.create_time);
    if (older !== undefined) {
      onIdentified?.(older.volume_id);
      await this.deleteDuplicate(spec.name, id, older.volume_id, signal);
      return { volume: toStoredVolume(older, this.zone), created: false };
    }
    if (others.length > 0) {
      this.logger.warn(
        { name: spec.name, kept: id, alsoNamed: others.map((v) => v.volume_id) },
        'other volumes carry this CSI name and none is older; check them and delete the ones no PersistentVolume uses',
      );
    }
    await this.attachTags(id, spec.tags, signal);
    // Everything the CSI response needs is known: no re-read (one call less per volume).
    return { volume: { id, name: spec.name, sizeGiB: spec.sizeGiB, type: spec.type, zone: this.zone, state: 'available' }, created: true };
  }

  /** Watch probe of a create: undefined while volume `id` is being made; then it and its live namesakes, oldest first. */
  private async namesakesOnceCreated(name: string, id: string, jobId: string, signal: AbortSignal): Promise<{ mine: Volume; others: Volume[] } | undefined> {
    const matches = await this.sdk.api.volumes.describeAllVolumes({ search_word: name, status: [...LIVE_VOLUME, 'ceased', 'deleted'] }, { signal });
    const mine = matches.find((v) => v.volume_id === id);
    if (mine === undefined) {
      // Not listed (yet): only the job can tell a failure apart from a slow listing; asked on this path only.
      const job = (await this.sdk.api.jobs.describeJobs({ jobs: [jobId] }, { signal })).items[0];
      if (job !== undefined && FAILED_JOB_STATUSES.has(job.status)) {
        throw new StorageError('Busy', `creating volume ${id} (${name}) failed in the cloud: job ${jobId} ended ${job.status}; it is retried`);
      }
      return undefined;
    }
    if (mine.status === 'pending' || mine.transition_status !== '') return undefined;
    if (mine.status === 'ceased' || mine.status === 'deleted') {
      throw new StorageError('Busy', `creating volume ${id} (${name}) failed in the cloud: job ${jobId} left it ${mine.status}; it is retried`);
    }
    return { mine, others: namesakes(matches, name).filter((v) => v.volume_id !== id) };
  }

  /** Deletes `duplicate`, made by this attempt, after an older volume `kept` turned out to carry the same name. */
  private async deleteDuplicate(name: string, duplicate: string, kept: string, signal?: AbortSignal): Promise<void> {
    this.logger.warn({ name, kept, deleting: duplicate }, 'an older volume already carries this CSI name; deleting the one just created');
    try {
      await this.deleteVolume(duplicate, signal);
    } catch (err) {
      this.logger.error({ name, volume: duplicate, err: (err as Error).message }, `could not delete duplicate volume ${duplicate}; no PersistentVolume uses it, delete it in the QingCloud console`);
    }
  }

  private async createVolumeFromSource(
    spec: VolumeSpec,
    source: NonNullable<VolumeSpec['source']>,
    signal?: AbortSignal,
    onIdentified?: (volumeId: string) => void,
  ): Promise<StoredVolume> {
    const waitFor = (jobId: string, jobAction: string, id: string, what: string): Promise<unknown> => {
      onIdentified?.(id);
      return this.call(what, () => this.sdk.waiter.wait(jobId, { jobAction, resourceIds: [id], timeoutMs: this.jobTimeoutMs, signal }));
    };
    let id: string;
    if (source.kind === 'snapshot') {
      const what = `restore snapshot ${source.id} into volume ${spec.name}`;
      const created = await this.call(what, () => this.sdk.api.snapshots.createVolumeFromSnapshot({ snapshot: source.id, volume_name: spec.name }, { signal }));
      if (created.volumeId === '') throw new StorageError('Internal', `CreateVolumeFromSnapshot of ${source.id} answered without a volume id`);
      id = created.volumeId;
      await waitFor(created.jobId, 'CreateVolumeFromSnapshot', id, what);
    } else {
      const what = `clone volume ${source.id} into ${spec.name}`;
      const created = await this.call(what, () => this.sdk.api.volumes.cloneVolumes({ volume: source.id, volume_name: spec.name, count: 1 }, { signal }));
      const cloned = created.volumeIds[0];
      if (cloned === undefined) throw new StorageError('Internal', `CloneVolumes of ${source.id} answered without a volume id`);
      id = cloned;
      await waitFor(created.jobId, 'CloneVolumes', id, what);
    }
    // Record the source so a repeated CreateVolume can tell a compatible retry from a name clash.
    await this.recordSource(id, source, signal);
    await this.attachTags(id, spec.tags, signal);
    let volume = await this.getVolume(id, signal);
    if (volume === undefined) throw new StorageError('Internal', `volume ${id} created from ${source.kind} ${source.id} is not visible yet; retry`);
    // A restore or clone has the source's size; a larger request is honoured by growing the disk (NodeStage grows the fs).
    if (volume.sizeGiB < spec.sizeGiB) {
      await this.resizeVolume(id, spec.sizeGiB, signal);
      volume = { ...volume, sizeGiB: spec.sizeGiB };
    }
    return volume;
  }

  async recordSource(volumeId: string, source: { kind: 'snapshot' | 'volume'; id: string }, signal?: AbortSignal): Promise<void> {
    await this.call(`label volume ${volumeId}`, () =>
      this.sdk.api.volumes.modifyVolumeAttributes({ volume: volumeId, description: `${SOURCE_MARKER}${source.kind}:${source.id}` }, { signal }),
    );
  }

  async deleteVolume(volumeId: string, signal?: AbortSignal): Promise<void> {
    try {
      // Waited for: a delete job can fail, and an OK answered before it ends would leak the volume for good.
      await this.sdk.api.volumes.deleteVolumesAndWait([volumeId], { signal, timeoutMs: this.jobTimeoutMs });
    } catch (err) {
      if (err instanceof QingCloudApiError && err.kind === 'notFound') return;
      if (err instanceof QingCloudApiError && err.retCode === 1400) {
        const v = await this.getVolume(volumeId, signal);
        if (v === undefined || v.state === 'deleted') return;
        if (v.state === 'deleting') {
          await this.waitUntilGone(volumeId, signal);
          return;
        }
        if (v.instanceId !== undefined) {
          throw new StorageError('FailedPrecondition', `volume ${volumeId} is attached to instance ${v.instanceId}; it must be unpublished before it can be deleted`, { cause: err });
        }
      }
      throw this.classify(err, `delete volume ${volumeId}`);
    }
  }

  async attachVolume(volumeId: string, instanceId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.sdk.api.volumes.attachVolumesAndWait([volumeId], instanceId, { signal, timeoutMs: this.jobTimeoutMs });
    } catch (err) {
      if (!(err instanceof QingCloudApiError) || (err.kind !== 'notFound' && err.retCode !== 1400)) throw this.classify(err, `attach volume ${volumeId} to ${instanceId}`);
      // Explain the refusal from the volume's state (one read, only on this path).
      const v = await this.getVolume(volumeId, signal);
      if (v === undefined) throw new StorageError('NotFound', `volume ${volumeId} does not exist`, { cause: err });
      if (err.kind === 'notFound') throw new StorageError('NotFound', `instance ${instanceId} does not exist (node deleted?)`, { cause: err });
      if (v.instanceId === instanceId && (v.state === 'in-use' || v.state === 'attaching')) {
        if (v.state === 'attaching') await this.waitForVolume(volumeId, signal);
        return; // already attached here: idempotent success
      }
      if (v.instanceId !== undefined) {
        throw new StorageError('FailedPrecondition', `volume ${volumeId} is attached to node ${v.instanceId}; it can be attached to one node at a time`, { cause: err });
      }
      // The one message read here: QingCloud answers an instance at its disk limit with 1400 "... at most ..."
      // ("you can only attach [10] volumes to one instance at most"); no ret_code tells it apart.
      if (/at most/i.test(err.apiMessage)) {
        throw new StorageError('LimitExceeded', `instance ${instanceId} cannot take more volumes: ${err.apiMessage}`, { cause: err });
      }
      throw this.classify(err, `attach volume ${volumeId} to ${instanceId}`);
    }
  }

  async detachVolume(volumeId: string, instanceId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.sdk.api.volumes.detachVolumesAndWait([volumeId], instanceId, { signal, timeoutMs: this.jobTimeoutMs });
    } catch (err) {
      // Volume or instance gone: nothing is attached any more.
      if (err instanceof QingCloudApiError && err.kind === 'notFound') return;
      if (err instanceof QingCloudApiError && err.retCode === 1400) {
        const v = await this.getVolume(volumeId, signal);
        if (v === undefined || v.instanceId !== instanceId) return;
        if (v.state === 'detaching') {
          await this.waitForVolume(volumeId, signal);
          return;
        }
        throw new StorageError('Busy', `volume ${volumeId} cannot be detached from ${instanceId} yet: ${err.apiMessage}; it is retried`, { cause: err });
      }
      throw this.classify(err, `detach volume ${volumeId} from ${instanceId}`);
    }
  }

  async resizeVolume(volumeId: string, sizeGiB: number, signal?: AbortSignal): Promise<void> {
    try {
      await this.sdk.api.volumes.resizeVolumesAndWait([volumeId], sizeGiB, { signal, timeoutMs: this.jobTimeoutMs });
    } catch (err) {
      if (err instanceof QingCloudApiError && err.retCode === 1400) {
        const v = await this.getVolume(volumeId, signal);
        if (v !== undefined && v.sizeGiB >= sizeGiB) return; // an earlier attempt already grew it
      }
      throw this.classify(err, `resize volume ${volumeId} to ${sizeGiB} GiB`);
    }
  }

  async createSnapshot(name: string, volumeId: string, signal?: AbortSignal): Promise<StoredSnapshot> {
    const volume = await this.getVolume(volumeId, signal);
    if (volume === undefined) throw new StorageError('NotFound', `source volume ${volumeId} does not exist`);
    const created = await this.call(`snapshot volume ${volumeId}`, () =>
      this.sdk.api.snapshots.createSnapshots({ resources: [volumeId], snapshot_name: name, is_full: true }, { signal }),
    );
    const id = created.snapshotIds[0];
    if (id === undefined) throw new StorageError('Internal', `CreateSnapshots for ${volumeId} answered without a snapshot id`);
    // CreateSnapshot returns once the snapshot is cut; ready_to_use turns true when the cloud says "available".
    return { id, name, sourceVolumeId: volumeId, sizeGiB: volume.sizeGiB, createdAtMs: this.clock.now(), ready: false, state: 'creating' };
  }

  async findSnapshotByName(name: string, signal?: AbortSignal): Promise<StoredSnapshot | undefined> {
    const matches = await this.call(`look up snapshot ${name}`, () =>
      this.sdk.api.snapshots.describeAllSnapshots({ search_word: name, status: LIVE_SNAPSHOT }, { signal }),
    );
    const exact = matches.filter((s) => s.snapshot_name === name).sort((a, b) => compareCodeUnits(a.create_time, b.create_time));
    return exact[0] === undefined ? undefined : toStoredSnapshot(exact[0]);
  }

  async getSnapshot(snapshotId: string, signal?: AbortSignal): Promise<StoredSnapshot | undefined> {
    const s = await this.call(`read snapshot ${snapshotId}`, () => this.sdk.api.snapshots.getSnapshot(snapshotId, signal));
    if (s === undefined || s.status === 'deleted' || s.status === 'ceased') return undefined;
    return toStoredSnapshot(s);
  }

  async listSnapshots(filter: { sourceVolumeId?: string }, offset: number, limit: number, signal?: AbortSignal): Promise<Page<StoredSnapshot>> {
    const page = await this.call('list snapshots', () =>
      this.sdk.api.snapshots.describeSnapshots(
        { status: LIVE_SNAPSHOT, offset, limit: Math.min(limit, PAGE), ...(filter.sourceVolumeId === undefined ? {} : { resource_id: filter.sourceVolumeId }) },
        { signal },
      ),
    );
    return { items: page.items.map(toStoredSnapshot), total: page.totalCount };
  }

  async deleteSnapshot(snapshotId: string, signal?: AbortSignal): Promise<void> {
    try {
      // Waited for, like volume deletion: a failed delete job must surface so the CO retries.
      await this.sdk.api.snapshots.deleteSnapshotsAndWait([snapshotId], { signal, timeoutMs: this.jobTimeoutMs });
    } catch (err) {
      if (err instanceof QingCloudApiError && err.kind === 'notFound') return;
      if (err instanceof QingCloudApiError && err.retCode === 1400) {
        const s = await this.getSnapshot(snapshotId, signal);
        if (s === undefined) return;
      }
      throw this.classify(err, `delete snapshot ${snapshotId}`);
    }
  }

  async availableCapacityBytes(signal?: AbortSignal): Promise<number | undefined> {
    const left = await this.call('read the volume quota', () => this.sdk.api.quotas.getQuotaLeft(['volume_size'], { signal }));
    const entry = left.find((q) => q.resource_type === 'volume_size');
    return entry === undefined ? undefined : entry.left * 1024 ** 3;
  }

  async attachTags(volumeId: string, tags: readonly string[], signal?: AbortSignal): Promise<void> {
    if (tags.length === 0) return;
    await this.call(`tag volume ${volumeId}`, () =>
      this.sdk.api.tags.attachTags(tags.map((tag_id) => ({ tag_id, resource_type: 'volume', resource_id: volumeId })), { signal }),
    );
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.classify(err, what);
    }
  }

  /** SDK error → StorageError kind, once, here. */
  private classify(err: unknown, what: string): StorageError {
    if (err instanceof StorageError) return err;
    if (err instanceof QingCloudApiError) {
      const detail = `cannot ${what}: ${err.message}`;
      switch (err.kind) {
        case 'notFound':
          return new StorageError('NotFound', detail, { cause: err });
        case 'invalid':
          return new StorageError('InvalidArgument', detail, { cause: err });
        case 'auth':
          return new StorageError('Unauthorized', `${detail}; check qy_access_key_id/qy_secret_access_key and the clock of this host`, { cause: err });
        case 'quota':
          return new StorageError('LimitExceeded', `${detail}; raise the quota or free resources`, { cause: err });
        case 'permission':
          return new StorageError(/please try later/i.test(err.apiMessage) ? 'Busy' : 'FailedPrecondition', detail, { cause: err });
        case 'busy':
        case 'unavailable':
          return new StorageError('Busy', `${detail}; it is retried`, { cause: err });
        default:
          return new StorageError('Internal', detail, { cause: err });
      }
    }
    if (err instanceof JobFailedError) return new StorageError('Busy', `cannot ${what}: ${err.message}`, { cause: err });
    if (err instanceof JobTimeoutError || err instanceof QingCloudTransportError) {
      return new StorageError('Busy', `cannot ${what} yet: ${err.message}`, { cause: err });
    }
    return new StorageError('Internal', `cannot ${what}: ${(err as Error).message ?? String(err)}`, { cause: err });
  }
}

/**
 * Plain code-unit order: ISO 8601 times and resource ids sort right with it, every controller agrees on it whatever its
 * locale, and unlike localeCompare it does not load ICU's collation data (~3 MiB of resident memory).
 */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The live volumes named exactly `name` (search_word also matches loosely), oldest first. */
function namesakes(volumes: readonly Volume[], name: string): Volume[] {
  return volumes
    .filter((v) => v.volume_name === name && (LIVE_VOLUME as readonly string[]).includes(v.status))
    .sort((a, b) => compareCodeUnits(a.create_time, b.create_time) || compareCodeUnits(a.volume_id, b.volume_id));
}

function toState(status: VolumeStatus, transition: string): VolumeState {
  switch (transition) {
    case 'creating':
      return 'creating';
    case 'attaching':
      return 'attaching';
    case 'detaching':
      return 'detaching';
    case 'deleting':
      return 'deleting';
  }
  switch (status) {
    case 'pending':
      return 'creating';
    case 'available':
      return 'available';
    case 'in-use':
      return 'in-use';
    case 'deleted':
    case 'ceased':
      return 'deleted';
    default:
      return 'other';
  }
}

function toStoredVolume(v: Volume, zone: string): StoredVolume {
  const instanceId = v.instance?.instance_id ?? '';
  const device = v.instance?.device ?? '';
  const stored: StoredVolume = {
    id: v.volume_id,
    name: v.volume_name,
    sizeGiB: v.size,
    type: v.volume_type,
    zone: v.zone_id ?? zone,
    state: toState(v.status, v.transition_status),
  };
  if (instanceId !== '') stored.instanceId = instanceId;
  if (v.tags !== undefined && v.tags.length > 0) stored.tags = v.tags.map((t) => t.tag_id);
  if (device !== '') stored.device = device;
  const match = (v.description ?? '').match(/csi-source:(snapshot|volume):([a-z]+-[a-z0-9]+)/);
  if (match !== null) stored.source = { kind: match[1] as 'snapshot' | 'volume', id: match[2]! };
  return stored;
}

function toStoredSnapshot(s: Snapshot): StoredSnapshot {
  const sourceVolumeId = s.snapshot_resource?.volume_id ?? s.resource?.resource_id ?? '';
  const sizeGiB = s.snapshot_resource?.size ?? Math.ceil((s.size ?? 0) * GiB_PER_MiB);
  const ready = s.status === 'available' && s.transition_status === '';
  const state: StoredSnapshot['state'] =
    s.transition_status === 'deleting' ? 'deleting' : s.status === 'pending' ? 'creating' : s.status === 'available' ? 'available' : s.status === 'deleted' || s.status === 'ceased' ? 'deleted' : 'other';
  return { id: s.snapshot_id, name: s.snapshot_name, sourceVolumeId, sizeGiB, createdAtMs: Date.parse(s.create_time) || 0, ready, state };
}
