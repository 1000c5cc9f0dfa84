import type { CallOptions, ApiCaller } from '../client.js';
import { checkIds } from '../ids.js';
import type { Page, PageParams } from './paging.js';
import { toPage } from './paging.js';

/** Job statuses; `done with failure` appears in the Go SDK, others may appear and mean "not finished". */
export type JobStatus = 'pending' | 'working' | 'successful' | 'failed' | 'done with failure' | (string & {});

/** A job as DescribeJobs returns it (qingcloud-api.md §5.5). */
export interface Job {
  job_id: string;
  job_action: string;
  status: JobStatus;
  /** Space-separated resource ids. */
  resource_ids: string;
  create_time?: string;
  status_time?: string;
  owner?: string;
  /** JSON text of the internal request. */
  directive?: string;
  error_codes?: string;
}

/** DescribeJobs filters. */
export interface DescribeJobsRequest extends PageParams {
  jobs?: readonly string[];
  status?: readonly JobStatus[];
  job_action?: string;
  verbose?: 0;
  owner?: string;
}

/** The resource ids of a job, from its space-separated `resource_ids`. */
export function jobResourceIds(job: Pick<Job, 'resource_ids'>): string[] {
  return (job.resource_ids ?? '').split(/\s+/).filter((id) => id !== '');
}

/** Job actions. */
export class JobsApi {
  constructor(private readonly client: ApiCaller) {}

  /** DescribeJobs. */
  async describeJobs(request: DescribeJobsRequest = {}, options?: CallOptions): Promise<Page<Job>> {
    checkIds('DescribeJobs', 'job', request.jobs);
    const res = await this.client.call('DescribeJobs', { ...request }, options);
    return toPage<Job>(res, 'job_set', 'DescribeJobs');
  }
}
