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

/** Volume statuses (qingcloud-api.md §5.1). */
export type VolumeStatus = 'pending' | 'available' | 'in-use' | 'suspended' | 'deleted' | 'ceased';

/** The instance a volume is attached to; when detached the ids are "" and there is no device. */
export interface VolumeInstanceRef {
  instance_id: string;
  instance_name: string;
  device?: string;
}

/** A volume from DescribeVolumes. */
export interface Volume {
  volume_id: string;
  volume_name: string;
  description: string | null;
  /** GB. */
  size: number;
  volume_type: number;
  status: VolumeStatus;
  /** "" when idle. */
  transition_status: string;
  create_time: string;
  status_time: string;
  instance?: VolumeInstanceRef;
  instances?: VolumeInstanceRef[];
  zone_id?: string;
  owner?: string;
  repl?: string;
  tags?: ResourceTag[];
  [field: string]: unknown;
}

/** DescribeVolumes filters. */
export interface DescribeVolumesRequest extends PageParams {
  volumes?: readonly string[];
  volume_type?: number;
  status?: readonly VolumeStatus[];
  search_word?: string;
  tags?: readonly string[];
  verbose?: 0 | 1;
  owner?: string;
  instance_id?: string;
  volume_name?: string;
  transition_status?: string;
}

/** CreateVolumes parameters (size in GB). */
export interface CreateVolumesRequest {
  size: number;
  volume_name?: string;
  volume_type?: number;
  count?: number;
  encryption?: boolean;
  cipher_alg?: string;
  repl?: string;
  replica_count?: number;
  round_up?: boolean;
  place_group_id?: string;
  target_user?: string;
  container_conf_id?: string;
}

/** CloneVolumes parameters. */
export interface CloneVolumesRequest {
  volume: string;
  volume_name?: string;
  volume_type?: number;
  count?: number;
  zone?: string;
}

/** A job that created volumes. */
export interface CreatedVolumes extends JobResult {
  volumeIds: string[];
}

/** Volume actions (qingcloud-api.md §4.1). */
export class VolumesApi {
  private readonly lookups: Coalescer<string, Volume>;

  constructor(private readonly ctx: ActionContext) {
    this.lookups = new Coalescer(
      async (ids) => {
        const page = await this.describeVolumes({ volumes: ids, limit: MAX_PAGE_SIZE });
        return new Map(page.items.map((v) => [v.volume_id, v]));
      },
      { clock: ctx.clock, windowMs: ctx.coalesceWindowMs },
    );
  }

  /** DescribeVolumes: one page. */
  async describeVolumes(request: DescribeVolumesRequest = {}, options?: CallOptions): Promise<Page<Volume>> {
    checkIds('DescribeVolumes', 'volume', request.volumes);
    const res = await this.ctx.client.call('DescribeVolumes', { ...request }, options);
    return toPage<Volume>(res, 'volume_set', 'DescribeVolumes');
  }

  /** Every volume matching the filters, paging by 100. */
  describeAllVolumes(request: Omit<DescribeVolumesRequest, 'offset' | 'limit'> = {}, options?: CallOptions): Promise<Volume[]> {
    return describeAll((page) => this.describeVolumes({ ...request, ...page }, options));
  }

  /** One volume by id (undefined when unknown), coalesced with concurrent lookups into one DescribeVolumes. */
  getVolume(volumeId: string, signal?: AbortSignal): Promise<Volume | undefined> {
    checkIds('DescribeVolumes', 'volume', volumeId);
    return this.lookups.get(volumeId, signal);
  }

  /** CreateVolumes; returns the job and the new volume ids. */
  async createVolumes(request: CreateVolumesRequest, options?: CallOptions): Promise<CreatedVolumes> {
    const res = await this.ctx.client.call('CreateVolumes', { ...request }, options);
    return { jobId: jobIdOf('CreateVolumes', res), volumeIds: stringsOf(res, 'volumes') };
  }

  /** CreateVolumes and wait for its job. */
  async createVolumesAndWait(request: CreateVolumesRequest, options?: AndWaitOptions): Promise<CreatedVolumes & { job: Job }> {
    const created = await this.createVolumes(request, callOptions(options));
    const job = await waitForJob(this.ctx, created.jobId, 'CreateVolumes', created.volumeIds, options);
    return { ...created, job };
  }

  /** DeleteVolumes (volumes must be available). */
  async deleteVolumes(volumes: readonly string[], options?: CallOptions): Promise<JobResult> {
    checkIds('DeleteVolumes', 'volume', volumes);
    const res = await this.ctx.client.call('DeleteVolumes', { volumes }, options);
    return { jobId: jobIdOf('DeleteVolumes', res) };
  }

  /** DeleteVolumes and wait for its job. */
  async deleteVolumesAndWait(volumes: readonly string[], options?: AndWaitOptions): Promise<Job> {
    const { jobId } = await this.deleteVolumes(volumes, callOptions(options));
    return waitForJob(this.ctx, jobId, 'DeleteVolumes', volumes, options);
  }

  /** AttachVolumes to `instance`. */
  async attachVolumes(volumes: readonly string[], instance: string, options?: CallOptions): Promise<JobResult> {
    checkIds('AttachVolumes', 'volume', volumes);
    checkIds('AttachVolumes', 'instance', instance);
    const res = await this.ctx.client.call('AttachVolumes', { volumes, instance }, options);
    return { jobId: jobIdOf('AttachVolumes', res) };
  }

  /** AttachVolumes and wait for its job. */
  async attachVolumesAndWait(volumes: readonly string[], instance: string, options?: AndWaitOptions): Promise<Job> {
    const { jobId } = await this.attachVolumes(volumes, instance, callOptions(options));
    return waitForJob(this.ctx, jobId, 'AttachVolumes', [...volumes, instance], options);
  }

  /** DetachVolumes from `instance`. */
  async detachVolumes(volumes: readonly string[], instance: string, options?: CallOptions): Promise<JobResult> {
    checkIds('DetachVolumes', 'volume', volumes);
    checkIds('DetachVolumes', 'instance', instance);
    const res = await this.ctx.client.call('DetachVolumes', { volumes, instance }, options);
    return { jobId: jobIdOf('DetachVolumes', res) };
  }

  /** DetachVolumes and wait for its job. */
  async detachVolumesAndWait(volumes: readonly string[], instance: string, options?: AndWaitOptions): Promise<Job> {
    const { jobId } = await this.detachVolumes(volumes, instance, callOptions(options));
    return waitForJob(this.ctx, jobId, 'DetachVolumes', [...volumes, instance], options);
  }

  /** ResizeVolumes to `size` GB (grow only; volumes must be detached). */
  async resizeVolumes(volumes: readonly string[], size: number, options?: CallOptions): Promise<JobResult> {
    checkIds('ResizeVolumes', 'volume', volumes);
    const res = await this.ctx.client.call('ResizeVolumes', { volumes, size }, options);
    return { jobId: jobIdOf('ResizeVolumes', res) };
  }

  /** ResizeVolumes and wait for its job. */
  async resizeVolumesAndWait(volumes: readonly string[], size: number, options?: AndWaitOptions): Promise<Job> {
    const { jobId } = await this.resizeVolumes(volumes, size, callOptions(options));
    return waitForJob(this.ctx, jobId, 'ResizeVolumes', volumes, options);
  }

  /** CloneVolumes; returns the job and the new volume ids. */
  async cloneVolumes(request: CloneVolumesRequest, options?: CallOptions): Promise<CreatedVolumes> {
    checkIds('CloneVolumes', 'volume', request.volume);
    const res = await this.ctx.client.call('CloneVolumes', { ...request }, options);
    return { jobId: jobIdOf('CloneVolumes', res), volumeIds: stringsOf(res, 'volumes') };
  }

  /** CloneVolumes and wait for its job. */
  async cloneVolumesAndWait(request: CloneVolumesRequest, options?: AndWaitOptions): Promise<CreatedVolumes & { job: Job }> {
    const created = await this.cloneVolumes(request, callOptions(options));
    const job = await waitForJob(this.ctx, created.jobId, 'CloneVolumes', created.volumeIds, options);
    return { ...created, job };
  }

  /** ModifyVolumeAttributes (synchronous; setting the same values again is harmless, so it is retried like a read). */
  async modifyVolumeAttributes(
    request: { volume: string; volume_name?: string; description?: string },
    options?: CallOptions,
  ): Promise<void> {
    checkIds('ModifyVolumeAttributes', 'volume', request.volume);
    await this.ctx.client.call('ModifyVolumeAttributes', { ...request }, { idempotent: true, ...options });
  }
}
