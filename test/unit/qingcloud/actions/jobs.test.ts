import { afterEach, describe, expect, it } from 'vitest';
import { jobResourceIds } from '../../../../src/qingcloud/actions/jobs.js';
import { harness, teardown, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await teardown(h);
  h = undefined;
});

describe('JobsApi', () => {
  it('DescribeJobs sends jobs.N and reads job_set', async () => {
    h = harness(() => ({ job_set: [{ job_id: 'j-aaaaaaaa', status: 'working', job_action: 'AttachNics', resource_ids: 'i-1 52:54:00:00:00:01' }], total_count: 1 }));
    const page = await h.sdk.api.jobs.describeJobs({ jobs: ['j-aaaaaaaa'] });
    expect(page.items[0]!.status).toBe('working');
    expect(h.transport.seen[0]!.params['jobs.1']).toBe('j-aaaaaaaa');
  });

  it('splits space-separated resource_ids', () => {
    expect(jobResourceIds({ resource_ids: 'vol-1  i-1' })).toEqual(['vol-1', 'i-1']);
    expect(jobResourceIds({ resource_ids: '' })).toEqual([]);
  });
});
