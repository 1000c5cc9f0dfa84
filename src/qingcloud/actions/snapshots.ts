import { Coalescer } from '../coalesce.js';
import type { CallOptions } from '../client.js';
import { checkIds } from '../ids.js';
import type { ResourceTag } from './common.js';
import {
  callOptions,
  jobIdOf,
  stringsOf,
  waitForJob,
  type ActionContext,
  type AndWaitOptions,
  type JobResult,
} from './context.js';
import type { Job } from './jobs.js';
import { describeAll, MAX_PAGE_SIZE, toPage, type Page, type PageParams } from './paging.js';

/** Snapshot statuses (qingcloud-api.md §5.6). */
export type SnapshotStatus = 'pending' | 'available' | 'suspended' | 'deleted' | 'ceased';

/** A snapshot from DescribeSnapshots. */
export interface Snapshot {
  snapshot_id: string;
  snapshot_name: string;
  description: string | null;
  /** 0 incremental, 1 full. */
  snapshot_type: number;
  status: SnapshotStatus;
  transition_status: string;
  create_time: string;
  status_time: string;
  snapshot_time?: string;
  /** 1 once the capture finished. */
  is_taken?: number;
  is_head?: number;
  root_id?: string;
  parent_id?: string;
  /** MB. */
  size?: number;
  resource?: { resource_id: string; resource_name: string; resource_type: string };
  snapshot_resource?: { volume_id?: string; volume_type?: number; size?: number; [field: string]: unknown };
  tags?: ResourceTag[];
  [field: string]: unknown;
}

/** DescribeSnapshots filters. */
export interface DescribeSnapshotsRequest extends PageParams {
  snapshots?: readonly string[];
  resource_id?: string;
  snapshot_type?: 0 | 1;
  root_id?: string;
  status?: readonly SnapshotStatus[];
  search_word?: string;
  tags?: readonly string[];
  verbose?: 0 | 1;
  owner?: string;
  snapshot_name?: string;
}

/** CreateSnapshots parameters. */
export interface CreateSnapshotsRequest {
  /** Volume or instance ids. */
  resources: readonly string[];
  snapshot_name?: string;
  /** true: start a new full chain; false: the system decides. */
  is_full?: boolean;
}

/** The jobs and snapshots CreateSnapshots started (job_id is an array in the live API). */
export interface CreatedSnapshots extends JobResult {
  jobIds: string[];
  snapshotIds: string[];
}

/** CreateVolumeFromSnapshot parameters. */
export interface CreateVolumeFromSnapshotRequest {
  snapshot: string;
  volume_name?: string;
  encryption?: boolean;
  cipher_alg?: string;
}

/** Snapshot actions (qingcloud-api.md §4.2). */
export class SnapshotsApi {
  private readonly lookups: Coalescer<string, Snapshot>;

  constructor(private readonly ctx: ActionContext) {
    this.lookups = new Coalescer(
      async (ids) => {
        const page = await this.describeSnapshots({ snapshots: ids, limit: MAX_PAGE_SIZE });
        return new Map(page.items.map((s) => [s.snapshot_id, s]));
      },
      { clock: ctx.clock, windowMs: ctx.coalesceWindowMs },
    );
  }

  /** DescribeSnapshots: one page. */
  async describeSnapshots(request: DescribeSnapshotsRequest = {}, options?: CallOptions): Promise<Page<Snapshot>> {
    checkIds('DescribeSnapshots', 'snapshot', request.snapshots);
    const res = await this.ctx.client.call('DescribeSnapshots', { ...request }, options);
    return toPage<Snapshot>(res, 'snapshot_set', 'DescribeSnapshots');
  }

  /** Every snapshot matching the filters, paging by 100. */
  describeAllSnapshots(request: Omit<DescribeSnapshotsRequest, 'offset' | 'limit'> = {}, options?: CallOptions): Promise<Snapshot[]> {
    return describeAll((page) => this.describeSnapshots({ ...request, ...page }, options));
  }

  /** One snapshot by id (undefined when unknown), coalesced with concurrent lookups. */
  getSnapshot(snapshotId: string, signal?: AbortSignal): Promise<Snapshot | undefined> {
    checkIds('DescribeSnapshots', 'snapshot', snapshotId);
    return this.lookups.get(snapshotId, signal);
  }

  /** CreateSnapshots; accepts job_id as a string or an array. */
  async createSnapshots(request: CreateSnapshotsRequest, options?: CallOptions): Promise<CreatedSnapshots> {
    const res = await this.ctx.client.call('CreateSnapshots', { ...request }, options);
    return { jobId: jobIdOf('CreateSnapshots', res), jobIds: res.job_ids ?? [], snapshotIds: stringsOf(res, 'snapshots') };
  }

  /** CreateSnapshots and wait for every job it started. */
  async createSnapshotsAndWait(request: CreateSnapshotsRequest, options?: AndWaitOptions): Promise<CreatedSnapshots & { jobs: Job[] }> {
    const created = await this.createSnapshots(request, callOptions(options));
    const jobs = await Promise.all(
      created.jobIds.map((jobId) => waitForJob(this.ctx, jobId, 'CreateSnapshots', [...request.resources, ...created.snapshotIds], options)),
    );
    return { ...created, jobs };
  }

  /** DeleteSnapshots (deleting an incremental point also deletes the later points of its chain). */
  async deleteSnapshots(snapshots: readonly string[], options?: CallOptions): Promise<JobResult> {
    checkIds('DeleteSnapshots', 'snapshot', snapshots);
    const res = await this.ctx.client.call('DeleteSnapshots', { snapshots }, options);
    return { jobId: jobIdOf('DeleteSnapshots', res) };
  }

  /** DeleteSnapshots and wait for its job. */
  async deleteSnapshotsAndWait(snapshots: readonly string[], options?: AndWaitOptions): Promise<Job> {
    const { jobId } = await this.deleteSnapshots(snapshots, callOptions(options));
    return waitForJob(this.ctx, jobId, 'DeleteSnapshots', snapshots, options);
  }

  /** CreateVolumeFromSnapshot; returns the job and the new volume id. */
  async createVolumeFromSnapshot(request: CreateVolumeFromSnapshotRequest, options?: CallOptions): Promise<JobResult & { volumeId: string }> {
    checkIds('CreateVolumeFromSnapshot', 'snapshot', request.snapshot);
    const res = await this.ctx.client.call<{ volume_id?: string }>('CreateVolumeFromSnapshot', { ...request }, options);
    return { jobId: jobIdOf('CreateVolumeFromSnapshot', res), volumeId: res.volume_id ?? '' };
  }

  /** CreateVolumeFromSnapshot and wait for its job. */
  async createVolumeFromSnapshotAndWait(
    request: CreateVolumeFromSnapshotRequest,
    options?: AndWaitOptions,
  ): Promise<JobResult & { volumeId: string; job: Job }> {
    const created = await this.createVolumeFromSnapshot(request, callOptions(options));
    const job = await waitForJob(this.ctx, created.jobId, 'CreateVolumeFromSnapshot', [request.snapshot, created.volumeId], options);
    return { ...created, job };
  }
}
