import { expect } from 'vitest';
import { createQingCloud, type QingCloud } from '../../../../src/qingcloud/index.js';
import { ManualClock } from '../../../fakes/manual-clock.js';
import { FakeTransport, type SeenRequest } from '../fake-transport.js';
import { testConfig } from '../helpers.js';

/** A createQingCloud over a FakeTransport and a ManualClock, without a budget. */
export interface Harness {
  clock: ManualClock;
  sdk: QingCloud;
  transport: FakeTransport;
}

/** Builds the harness; call `teardown` in afterEach. */
export function harness(handler: (seen: SeenRequest) => Record<string, unknown>): Harness {
  const clock = new ManualClock();
  const transport = new FakeTransport(handler);
  const sdk = createQingCloud({ config: testConfig(), clock, transport, budget: null, random: () => 0.5 });
  return { clock, sdk, transport };
}

/** Closes the SDK and checks no sleep was left pending. */
export async function teardown(h: Harness | undefined): Promise<void> {
  if (h === undefined) return;
  await h.sdk.close();
  expect(h.clock.pendingSleeps()).toBe(0);
}

/** A DescribeJobs answer for the requested jobs.N from a status table (unknown ids: working). */
export function describeJobsFrom(status: ReadonlyMap<string, string>): (seen: SeenRequest) => Record<string, unknown> {
  return (seen) => {
    const ids = Object.entries(seen.params)
      .filter(([k]) => k.startsWith('jobs.'))
      .map(([, v]) => v);
    return {
      job_set: ids.map((id) => ({ job_id: id, job_action: 'X', status: status.get(id) ?? 'working', resource_ids: '' })),
      total_count: ids.length,
    };
  };
}

/** The values of `name.N` params, in N order. */
export function listParam(seen: SeenRequest, name: string): string[] {
  return Object.entries(seen.params)
    .filter(([k]) => new RegExp(`^${name}\\.\\d+$`).test(k))
    .sort(([a], [b]) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
    .map(([, v]) => v);
}
