import {
  StorageError,
  type BlockStorage,
  type CreatedVolume,
  type Page,
  type StoredSnapshot,
  type StoredVolume,
  type VolumeSpec,
} from '../../src/csi/storage/block-storage.js';

/** A stateful in-memory BlockStorage with the cloud's rules, for controller tests and conformance runs. */
export class FakeBlockStorage implements BlockStorage {
  readonly zone: string;
  readonly volumes = new Map<string, StoredVolume>();
  readonly snapshots = new Map<string, StoredSnapshot>();
  readonly instances = new Set<string>();
  maxVolumesPerInstance = 10;
  capacityBytes: number | undefined = 10_000 * 1024 ** 3;
  /** Calls by method name, to assert economy and idempotency. */
  readonly calls: Record<string, number> = {};
  /** When set, the next call of that method fails with this error. */
  readonly failNext = new Map<string, StorageError>();
  private seq = 0;
  private now = Date.UTC(2026, 0, 1);

  constructor(options: { zone?: string; instances?: string[] } = {}) {
    this.zone = options.zone ?? 'sim1a';
    for (const i of options.instances ?? ['i-node0001', 'i-node0002']) this.instances.add(i);
  }

  private track(method: string): void {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    const failure = this.failNext.get(method);
    if (failure !== undefined) {
      this.failNext.delete(method);
      throw failure;
    }
  }

  private nextId(prefix: string): string {
    this.seq += 1;
    return `${prefix}-${this.seq.toString(36).padStart(8, '0')}`;
  }

  async checkAccess(): Promise<void> {
    this.track('checkAccess');
  }

  async findVolumeByName(name: string): Promise<StoredVolume | undefined> {
    this.track('findVolumeByName');
    return [...this.volumes.values()].find((v) => v.name === name && v.state !== 'deleted');
  }

  async getVolume(volumeId: string): Promise<StoredVolume | undefined> {
    this.track('getVolume');
    const v = this.volumes.get(volumeId);
    return v === undefined || v.state === 'deleted' ? undefined : { ...v };
  }

  async waitForVolume(volumeId: string): Promise<StoredVolume> {
    this.track('waitForVolume');
    const v = this.volumes.get(volumeId);
    if (v === undefined || v.state === 'deleted') throw new StorageError('NotFound', `volume ${volumeId} not found`);
    if (v.state === 'creating') v.state = 'available';
    return { ...v };
  }

  async listVolumes(offset: number, limit: number): Promise<Page<StoredVolume>> {
    this.track('listVolumes');
    const live = [...this.volumes.values()].filter((v) => v.state !== 'deleted');
    return { items: live.slice(offset, offset + limit).map((v) => ({ ...v })), total: live.length };
  }

  async createVolume(spec: VolumeSpec, _signal?: AbortSignal, onIdentified?: (volumeId: string) => void): Promise<CreatedVolume> {
    this.track('createVolume');
    if (spec.source?.kind === 'snapshot' && !this.snapshots.has(spec.source.id)) {
      throw new StorageError('NotFound', `snapshot ${spec.source.id} not found`);
    }
    if (spec.source?.kind === 'volume' && this.volumes.get(spec.source.id)?.state === undefined) {
      throw new StorageError('NotFound', `volume ${spec.source.id} not found`);
    }
    const volume: StoredVolume = {
      id: this.nextId('vol'),
      name: spec.name,
      sizeGiB: spec.sizeGiB,
      type: spec.type,
      zone: this.zone,
      state: 'available',
      ...(spec.source === undefined ? {} : { source: { ...spec.source } }),
      ...(spec.tags.length === 0 ? {} : { tags: [...spec.tags] }),
    };
    this.volumes.set(volume.id, volume);
    onIdentified?.(volume.id);
    const failure = this.failNext.get('createVolume:wait');
    if (failure !== undefined) {
      this.failNext.delete('createVolume:wait');
      volume.state = 'creating';
      throw failure;
    }
    return { volume: { ...volume }, created: true };
  }

  async attachTags(volumeId: string, tags: readonly string[]): Promise<void> {
    this.track('attachTags');
    const v = this.volumes.get(volumeId);
    if (v === undefined) throw new StorageError('NotFound', `volume ${volumeId} not found`);
    v.tags = [...new Set([...(v.tags ?? []), ...tags])];
  }

  async recordSource(volumeId: string, source: { kind: 'snapshot' | 'volume'; id: string }): Promise<void> {
    this.track('recordSource');
    const v = this.volumes.get(volumeId);
    if (v === undefined) throw new StorageError('NotFound', `volume ${volumeId} not found`);
    v.source = { ...source };
  }

  async deleteVolume(volumeId: string): Promise<void> {
    this.track('deleteVolume');
    const v = this.volumes.get(volumeId);
    if (v === undefined || v.state === 'deleted') return;
    if (v.instanceId !== undefined) throw new StorageError('FailedPrecondition', `volume ${volumeId} is attached to ${v.instanceId}`);
    v.state = 'deleted';
  }

  async attachVolume(volumeId: string, instanceId: string): Promise<void> {
    this.track('attachVolume');
    const v = this.volumes.get(volumeId);
    if (v === undefined || v.state === 'deleted') throw new StorageError('NotFound', `volume ${volumeId} not found`);
    if (!this.instances.has(instanceId)) throw new StorageError('NotFound', `instance ${instanceId} not found`);
    if (v.instanceId === instanceId) return;
    if (v.instanceId !== undefined) throw new StorageError('FailedPrecondition', `volume ${volumeId} is attached to ${v.instanceId}`);
    const count = [...this.volumes.values()].filter((x) => x.instanceId === instanceId).length;
    if (count >= this.maxVolumesPerInstance) throw new StorageError('LimitExceeded', `instance ${instanceId} has ${count} volumes`);
    v.instanceId = instanceId;
    v.state = 'in-use';
  }

  async detachVolume(volumeId: string, instanceId: string): Promise<void> {
    this.track('detachVolume');
    const v = this.volumes.get(volumeId);
    if (v === undefined || v.instanceId !== instanceId) return;
    delete v.instanceId;
    v.state = 'available';
  }

  async resizeVolume(volumeId: string, sizeGiB: number): Promise<void> {
    this.track('resizeVolume');
    const v = this.volumes.get(volumeId);
    if (v === undefined || v.state === 'deleted') throw new StorageError('NotFound', `volume ${volumeId} not found`);
    if (sizeGiB > v.sizeGiB) v.sizeGiB = sizeGiB;
  }

  async createSnapshot(name: string, volumeId: string): Promise<StoredSnapshot> {
    this.track('createSnapshot');
    const v = this.volumes.get(volumeId);
    if (v === undefined || v.state === 'deleted') throw new StorageError('NotFound', `volume ${volumeId} not found`);
    this.now += 1000;
    const s: StoredSnapshot = { id: this.nextId('ss'), name, sourceVolumeId: volumeId, sizeGiB: v.sizeGiB, createdAtMs: this.now, ready: true, state: 'available' };
    this.snapshots.set(s.id, s);
    return { ...s };
  }

  async findSnapshotByName(name: string): Promise<StoredSnapshot | undefined> {
    this.track('findSnapshotByName');
    return [...this.snapshots.values()].find((s) => s.name === name && s.state !== 'deleted');
  }

  async getSnapshot(snapshotId: string): Promise<StoredSnapshot | undefined> {
    this.track('getSnapshot');
    const s = this.snapshots.get(snapshotId);
    return s === undefined || s.state === 'deleted' ? undefined : { ...s };
  }

  async listSnapshots(filter: { sourceVolumeId?: string }, offset: number, limit: number): Promise<Page<StoredSnapshot>> {
    this.track('listSnapshots');
    const live = [...this.snapshots.values()].filter(
      (s) => s.state !== 'deleted' && (filter.sourceVolumeId === undefined || s.sourceVolumeId === filter.sourceVolumeId),
    );
    return { items: live.slice(offset, offset + limit).map((s) => ({ ...s })), total: live.length };
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    this.track('deleteSnapshot');
    const s = this.snapshots.get(snapshotId);
    if (s !== undefined) s.state = 'deleted';
  }

  async availableCapacityBytes(): Promise<number | undefined> {
    this.track('availableCapacityBytes');
    return this.capacityBytes;
  }
}
