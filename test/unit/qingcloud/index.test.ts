import { afterEach, describe, expect, it } from 'vitest';
import { createQingCloud, TokenBucket, type QingCloud } from '../../../src/qingcloud/index.js';
import { ManualClock, flushPromises } from '../../fakes/manual-clock.js';
import { FakeTransport } from './fake-transport.js';
import { testConfig } from './helpers.js';

let clock: ManualClock;
let sdk: QingCloud | undefined;

afterEach(async () => {
  await sdk?.close();
  sdk = undefined;
  expect(clock.pendingSleeps()).toBe(0);
});

describe('createQingCloud', () => {
  it('close() rejects pending waits and leaves a caller-owned transport open', async () => {
    clock = new ManualClock();
    const transport = new FakeTransport(() => ({ job_id: 'j-pending1' }));
    sdk = createQingCloud({ config: testConfig(), clock, transport, budget: null });
    const outcome = sdk.api.nics.detachNicsAndWait(['52:54:00:00:00:01']).catch((e: unknown) => e);
    await flushPromises();
    await sdk.close();
    expect(await outcome).toMatchObject({ code: 'QC_CLOSED' });
    expect(transport.closed).toBe(false);
  });

  it('routes the waiter DescribeJobs calls through the shared budget', async () => {
    clock = new ManualClock();
    const transport = new FakeTransport((seen) =>
      seen.action === 'DescribeJobs' ? { job_set: [{ job_id: 'j-aaaaaaaa', status: 'successful', job_action: 'X', resource_ids: '' }] } : { job_id: 'j-aaaaaaaa' },
    );
    const budget = new TokenBucket({ ratePerSecond: 1, burst: 1 }, clock);
    sdk = createQingCloud({ config: testConfig(), clock, transport, budget });
    const done = sdk.api.volumes.deleteVolumesAndWait(['vol-aaaaaaaa']);
    await clock.advance(300);
    expect(transport.calls('DescribeJobs')).toHaveLength(0); // waiting for a token
    await clock.advance(700);
    await expect(done).resolves.toMatchObject({ status: 'successful' });
    expect(sdk.metrics.totalCalls()).toBe(2);
  });
});
