import type { Clock } from '../shared/clock.js';
import { messageOf } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { BlockStorage, StoredVolume } from './storage/block-storage.js';

/** Volumes per listing page while loading, and how many of them the next page reads again. */
const PAGE = 100;
/**
 * Offset paging skips an item whenever one before it is deleted between two pages; a skipped name would let a retry
 * create a second volume, so each page starts this many items before the previous one ended.
 */
const OVERLAP = 10;
/** After a failed load, lookups go by name (one call each) and the load is tried again after this long. */
const RELOAD_AFTER_MS = 30_000;

/**
 * Which volume carries which CSI name, read from the cloud at this controller's first CreateVolume and kept up to date
 * by it, so a create needs no lookup call: a name it does not hold has no volume. A restarted controller, or a standby
 * whose sidecars just won the leader election, reads the list before it answers its first create, so it finds what
 * its predecessor asked for, in any state. Should the index still miss a volume (a controller that regained the lead
 * after another one created volumes), the create's own check of its name deletes the newcomer (BlockStorage). Until a
 * read has succeeded, lookups ask the cloud by name.
 */
export class VolumeNameIndex {
  private readonly byName = new Map<string, string>();
  private readonly byId = new Map<string, string>();
  /** Names several live volumes share: looked up in the cloud, which answers the oldest. */
  private readonly shared = new Set<string>();
  private loaded = false;
  private loading: Promise<void> | undefined;
  private lastFailureAt = -Infinity;

  constructor(
    private readonly storage: Pick<BlockStorage, 'listVolumes' | 'getVolume' | 'findVolumeByName'>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Reads every live volume's name (idempotent: one load at a time, none once loaded); never throws. */
  load(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    this.loading ??= this.readAll()
      .then(() => {
        this.loaded = true;
      })
      .catch((err: unknown) => {
        this.lastFailureAt = this.clock.now();
        this.logger.warn({ err: messageOf(err) }, `reading the volume list failed; CreateVolume looks names up one by one and reads the list again in ${RELOAD_AFTER_MS / 1000} s`);
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  /** The live volume named `name`, or undefined when there is none. */
  async find(name: string, signal?: AbortSignal): Promise<StoredVolume | undefined> {
    if (!this.loaded && (this.loading !== undefined || this.clock.now() - this.lastFailureAt >= RELOAD_AFTER_MS)) await this.load();
    const id = this.byName.get(name);
    if (id !== undefined) {
      const volume = await this.storage.getVolume(id, signal);
      if (volume?.name === name) return volume;
      this.forget(id);
      if (this.loaded) return undefined;
    }
    if (this.loaded && !this.shared.has(name)) return undefined;
    const found = await this.storage.findVolumeByName(name, signal);
    if (found !== undefined) this.remember(name, found.id);
    return found;
  }

  /** Records that volume `id` carries `name` (call it as soon as the cloud has answered the create with an id). */
  remember(name: string, id: string): void {
    const previous = this.byName.get(name);
    if (previous !== undefined && previous !== id) this.byId.delete(previous);
    this.byName.set(name, id);
    this.byId.set(id, name);
  }

  /** Drops volume `id` (deleted). */
  forget(id: string): void {
    const name = this.byId.get(id);
    if (name === undefined) return;
    this.byId.delete(id);
    if (this.byName.get(name) === id) this.byName.delete(name);
  }

  /** Names held (metrics, tests). */
  size(): number {
    return this.byName.size;
  }

  private async readAll(): Promise<void> {
    const ids = new Map<string, Set<string>>();
    for (let offset = 0; ; ) {
      const page = await this.storage.listVolumes(offset, PAGE);
      for (const v of page.items) {
        if (v.name === '') continue;
        const set = ids.get(v.name) ?? new Set<string>();
        set.add(v.id);
        ids.set(v.name, set);
      }
      if (page.items.length < PAGE || offset + page.items.length >= page.total) break;
      offset += page.items.length - OVERLAP;
    }
    for (const [name, set] of ids) {
      if (set.size > 1) {
        this.shared.add(name);
        continue;
      }
      // A create answered while the list was read is newer than the list: keep it.
      if (!this.byName.has(name)) this.remember(name, [...set][0]!);
    }
  }
}
