import { BaseError, type BaseErrorOptions } from '../../shared/errors.js';

/** The closed set of failure kinds the controller branches on (architecture.md "Error model", ports). */
export type StorageErrorKind =
  | 'NotFound'
  | 'AlreadyExists'
  | 'InvalidArgument'
  | 'OutOfRange'
  | 'LimitExceeded'
  | 'FailedPrecondition'
  | 'Busy'
  | 'Unauthorized'
  | 'Internal';

/** A BlockStorage failure, already classified; `message` says what failed on which resource and what to do. */
export class StorageError extends BaseError {
  constructor(
    readonly kind: StorageErrorKind,
    message: string,
    options?: BaseErrorOptions,
  ) {
    super(`STORAGE_${kind.toUpperCase()}`, message, options);
  }
}

/** Life states of a volume as the controller needs them. */
export type VolumeState = 'creating' | 'available' | 'attaching' | 'in-use' | 'detaching' | 'deleting' | 'deleted' | 'other';

/** A cloud block volume. */
export interface StoredVolume {
  id: string;
  name: string;
  sizeGiB: number;
  type: number;
  zone: string;
  state: VolumeState;
  /** Instance the volume is attached to (or being attached to). */
  instanceId?: string;
  /** Device path the cloud reports on that instance (a hint; the node resolves by-id). */
  device?: string;
  /** Where the source data came from, as recorded at creation. */
  source?: { kind: 'snapshot' | 'volume'; id: string };
  /** Tag ids attached to the volume. */
  tags?: string[];
}

/** A volume snapshot. */
export interface StoredSnapshot {
  id: string;
  name: string;
  sourceVolumeId: string;
  /** Size of the source volume when it was taken, GiB (a restore needs at least this much). */
  sizeGiB: number;
  createdAtMs: number;
  ready: boolean;
  state: 'creating' | 'available' | 'deleting' | 'deleted' | 'failed' | 'other';
}

/** What CreateVolume asks for. */
export interface VolumeSpec {
  name: string;
  sizeGiB: number;
  type: number;
  replica: 1 | 2;
  tags: readonly string[];
  source?: { kind: 'snapshot' | 'volume'; id: string };
}

/** What createVolume answered: the volume, and whether this call made it. */
export interface CreatedVolume {
  volume: StoredVolume;
  created: boolean;
}

/** A page of a listing. */
export interface Page<T> {
  items: T[];
  total: number;
}

/**
 * The controller's view of the cloud's block storage. Mutations wait for the cloud job unless said otherwise; every
 * method is safe to repeat (the adapter notes how), and "already gone" is success for delete/detach.
 */
export interface BlockStorage {
  /** The zone volumes are created in. */
  readonly zone: string;
  /** Throws when the cloud cannot be reached with these credentials (Probe). */
  checkAccess(signal?: AbortSignal): Promise<void>;
  /** The live volume with exactly this name (deleted ones ignored), or undefined. */
  findVolumeByName(name: string, signal?: AbortSignal): Promise<StoredVolume | undefined>;
  /** The volume, or undefined when it does not exist or is deleted. */
  getVolume(volumeId: string, signal?: AbortSignal): Promise<StoredVolume | undefined>;
  /** Waits until a volume in a transition (e.g. still being created) settles, and returns it. */
  waitForVolume(volumeId: string, signal?: AbortSignal): Promise<StoredVolume>;
  /** Live volumes, a page at a time, in a stable order. */
  listVolumes(offset: number, limit: number, signal?: AbortSignal): Promise<Page<StoredVolume>>;
  /**
   * Creates the volume (empty, from a snapshot, or a clone) and waits until it is available. `onIdentified` learns
   * which volume carries the name as soon as that is known (the new id once the cloud accepted the create), so a retry
   * after a failed wait finds it instead of making another. An empty volume's name is checked once it exists, a
   * restore's or clone's before: when an older volume already carries the name (a name index that missed it), that
   * one is answered with `created` false and no second one is left.
   */
  createVolume(spec: VolumeSpec, signal?: AbortSignal, onIdentified?: (volumeId: string) => void): Promise<CreatedVolume>;
  /** Attaches tags to the volume (tags it already carries are fine). */
  attachTags(volumeId: string, tags: readonly string[], signal?: AbortSignal): Promise<void>;
  /** Records on the volume where its data came from (idempotent), so a repeated CreateVolume can check it. */
  recordSource(volumeId: string, source: { kind: 'snapshot' | 'volume'; id: string }, signal?: AbortSignal): Promise<void>;
  /** Deletes the volume and waits; gone already is success; attached → FailedPrecondition. */
  deleteVolume(volumeId: string, signal?: AbortSignal): Promise<void>;
  /** Attaches and waits; attached to this instance already is success; elsewhere → FailedPrecondition. */
  attachVolume(volumeId: string, instanceId: string, signal?: AbortSignal): Promise<void>;
  /** Detaches from the instance and waits; not attached there, volume gone or instance gone is success. */
  detachVolume(volumeId: string, instanceId: string, signal?: AbortSignal): Promise<void>;
  /** Grows the volume to sizeGiB and waits; already that large is success. */
  resizeVolume(volumeId: string, sizeGiB: number, signal?: AbortSignal): Promise<void>;
  /** Starts a snapshot of the volume and returns it once it is cut (it may not be ready yet). */
  createSnapshot(name: string, volumeId: string, signal?: AbortSignal): Promise<StoredSnapshot>;
  /** The live snapshot with exactly this name, or undefined. */
  findSnapshotByName(name: string, signal?: AbortSignal): Promise<StoredSnapshot | undefined>;
  /** The snapshot, or undefined when it does not exist or is deleted. */
  getSnapshot(snapshotId: string, signal?: AbortSignal): Promise<StoredSnapshot | undefined>;
  /** Live snapshots, optionally of one volume, a page at a time. */
  listSnapshots(filter: { sourceVolumeId?: string }, offset: number, limit: number, signal?: AbortSignal): Promise<Page<StoredSnapshot>>;
  /** Starts deleting the snapshot; gone already is success. */
  deleteSnapshot(snapshotId: string, signal?: AbortSignal): Promise<void>;
  /** Bytes the account may still provision in the zone (quota left), undefined when unknown. */
  availableCapacityBytes(signal?: AbortSignal): Promise<number | undefined>;
}
