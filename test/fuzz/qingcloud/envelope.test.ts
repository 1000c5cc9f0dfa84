import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createQingCloud, QingCloudError, type QingCloud } from '../../../src/qingcloud/index.js';
import { normalizeJobIds, parseEnvelope } from '../../../src/qingcloud/envelope.js';
import type { HttpResponse } from '../../../src/qingcloud/transport.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { FakeTransport } from '../../unit/qingcloud/fake-transport.js';
import { testConfig } from '../../unit/qingcloud/helpers.js';
import { anyJson, deepJsonText, fuzz } from '../support/fuzz.js';

const validOr = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 2, arbitrary: valid }, { weight: 1, arbitrary: anyJson() });

/** An answer body shaped like QingCloud's, each field right or of any type. */
const envelope = fc.record(
  {
    action: validOr(fc.constant('DescribeVolumesResponse')),
    ret_code: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 0, 0, 1100, 1200, 1400, 2100, 2500, 5000, 5100) }, { weight: 1, arbitrary: fc.integer() }, { weight: 1, arbitrary: anyJson() }),
    message: validOr(fc.constant('PermissionDenied, resource [vol-abcd1234] is [creating], please try later')),
    job_id: validOr(fc.oneof(fc.constant('j-abcd1234'), fc.constant(['j-abcd1234', 'j-efgh5678']), fc.constant(''), fc.constant([]))),
    volume_set: validOr(fc.array(fc.record({ volume_id: validOr(fc.constant('vol-abcd1234')), status: validOr(fc.constant('available')) }), { maxLength: 3 })),
    snapshot_set: validOr(fc.constant([])),
    nic_set: validOr(fc.constant([])),
    instance_set: validOr(fc.constant([])),
    job_set: validOr(fc.array(fc.record({ job_id: validOr(fc.constant('j-abcd1234')), status: validOr(fc.constant('successful')), resource_ids: validOr(fc.constant('vol-abcd1234')) }), { maxLength: 2 })),
    total_count: validOr(fc.nat(1_000)),
    volumes: validOr(fc.constant(['vol-abcd1234'])),
    snapshots: validOr(fc.constant(['ss-abcd1234'])),
    volume_id: validOr(fc.constant('vol-abcd1234')),
  },
  { requiredKeys: [] },
);

const response: fc.Arbitrary<HttpResponse> = fc.record({
  status: fc.oneof({ weight: 5, arbitrary: fc.constant(200) }, { weight: 1, arbitrary: fc.integer({ min: 100, max: 599 }) }),
  contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/html', 'text/plain', '', 'application/octet-stream'),
  body: fc.oneof(
    { weight: 6, arbitrary: envelope.map((e) => JSON.stringify(e)) },
    { weight: 1, arbitrary: anyJson().map((v) => JSON.stringify(v) ?? '') },
    { weight: 1, arbitrary: envelope.map((e) => JSON.stringify(e)).chain((t) => fc.nat(t.length).map((n) => t.slice(0, n))) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 50_000 }).map((d) => `{"ret_code":0,"volume_set":${deepJsonText(d)},"job_id":${deepJsonText(d)}}`) },
    { weight: 1, arbitrary: fc.constantFrom('<html>502 Bad Gateway</html>', '', 'null', '[]', '"x"', '{"ret_code":"0"}', '{"ret_code":null}') },
  ),
});

/** The SDK calls that parse answers with envelope, toPage and the job-id helpers (no waiting, no coalescing). */
const CALLS: [string, (sdk: QingCloud) => Promise<unknown>, (value: unknown) => void][] = [
  ['describeVolumes', (s) => s.api.volumes.describeVolumes({ limit: 10 }), checkPage],
  ['describeSnapshots', (s) => s.api.snapshots.describeSnapshots({}), checkPage],
  ['describeNics', (s) => s.api.nics.describeNics({}), checkPage],
  ['describeInstances', (s) => s.api.instances.describeInstances({}), checkPage],
  ['describeJobs', (s) => s.api.jobs.describeJobs({ jobs: ['j-abcd1234'] }), checkPage],
  ['createVolumes', (s) => s.api.volumes.createVolumes({ size: 20, volume_type: 2, volume_name: 'x' }), checkJob],
  ['deleteVolumes', (s) => s.api.volumes.deleteVolumes(['vol-abcd1234']), checkJob],
  ['createSnapshots', (s) => s.api.snapshots.createSnapshots({ resources: ['vol-abcd1234'] }), checkJob],
  ['createVolumeFromSnapshot', (s) => s.api.snapshots.createVolumeFromSnapshot({ snapshot: 'ss-abcd1234' }), checkJob],
];

function checkPage(value: unknown): void {
  const page = value as { items: unknown; totalCount: unknown };
  expect(Array.isArray(page.items)).toBe(true);
  expect(typeof page.totalCount).toBe('number');
}

function checkJob(value: unknown): void {
  const { jobId, jobIds } = value as { jobId: unknown; jobIds?: unknown };
  expect(typeof jobId === 'string' && jobId !== '').toBe(true);
  if (jobIds !== undefined) expect(Array.isArray(jobIds) && jobIds.every((j) => typeof j === 'string' && j !== '')).toBe(true);
}

describe('the SDK reading random answers through a fake transport', () => {
  it('parseEnvelope returns a normalised response or throws a QingCloudError subclass, never a TypeError', async () => {
    await fuzz(
      fc.property(response, (res) => {
        let out;
        try {
          out = parseEnvelope('DescribeVolumes', res);
        } catch (err) {
          expect(err).toBeInstanceOf(QingCloudError);
          return;
        }
        expect(out.ret_code).toBe(0);
        if ('job_ids' in out) expect(out.job_ids!.every((j) => typeof j === 'string' && j !== '')).toBe(true);
        if (out.job_id !== undefined) expect(out.job_id).toBe(out.job_ids![0]);
      }),
      1_000,
    );
  });

  it('normalizeJobIds yields only non-empty strings for any value', async () => {
    await fuzz(
      fc.property(anyJson(), (v) => {
        for (const id of normalizeJobIds(v)) expect(typeof id === 'string' && id !== '').toBe(true);
      }),
      500,
    );
  });

  it('typed actions resolve with a well-formed value or reject with a QingCloudError subclass', async () => {
    await fuzz(
      fc.asyncProperty(fc.constantFrom(...CALLS), response, async ([, call, check], res) => {
        const clock = new ManualClock();
        const transport = new FakeTransport(() => res);
        // One attempt: a retry would sleep on the manual clock; retries are not what is fuzzed here.
        const sdk = createQingCloud({ config: testConfig({ connectionRetries: 0 }), clock, transport, budget: null, retry: { maxAttempts: 1, maxThrottledAttempts: 1 }, random: () => 0.5 });
        try {
          const value = await call(sdk).then(
            (v) => ({ ok: true as const, v }),
            (err: unknown) => ({ ok: false as const, err }),
          );
          if (value.ok) check(value.v);
          else expect(value.err, String(value.err)).toBeInstanceOf(QingCloudError);
        } finally {
          await sdk.close();
        }
      }),
      1_000,
      { timeout: 5_000 },
    );
  });
});
