import { afterEach, describe, expect, it } from 'vitest';
import { ThrottleGate, TokenBucket } from '../../../src/qingcloud/budget.js';
import { QingCloudClient, type QingCloudClientOptions } from '../../../src/qingcloud/client.js';
import { QingCloudApiError, QingCloudTransportError } from '../../../src/qingcloud/errors.js';
import { SdkMetrics } from '../../../src/qingcloud/metrics.js';
import { signRequest } from '../../../src/qingcloud/signer.js';
import { ManualClock, flushPromises } from '../../fakes/manual-clock.js';
import { FakeTransport, json, type SeenRequest } from './fake-transport.js';
import { TEST_SECRET, testConfig } from './helpers.js';

const NO_JITTER = { jitter: 0 };

let clock: ManualClock;

function makeClient(transport: FakeTransport, options: Partial<QingCloudClientOptions> = {}): QingCloudClient {
  return new QingCloudClient({
    config: testConfig(),
    transport,
    clock,
    budget: null,
    random: () => 0.5,
    retry: {
      backoff: { initialMs: 100, maxMs: 1000, factor: 2, ...NO_JITTER },
      transportBackoff: { initialMs: 50, maxMs: 50, factor: 1, ...NO_JITTER },
      throttlePause: { initialMs: 1000, maxMs: 4000, factor: 2, ...NO_JITTER },
    },
    ...options,
  });
}

function verifySignature(seen: SeenRequest): void {
  const { signature, ...rest } = seen.params;
  const path = new URL(seen.req.url).pathname;
  expect(signRequest(seen.req.method, path, rest, TEST_SECRET).signature).toBe(signature);
}

/** Answers from a script: each entry is used once, in order; the last one repeats. */
function script(...answers: Array<Record<string, unknown> | Error>): (seen: SeenRequest) => Record<string, unknown> {
  let i = 0;
  return () => {
    const answer = answers[Math.min(i++, answers.length - 1)]!;
    if (answer instanceof Error) throw answer;
    return answer;
  };
}

afterEach(() => {
  expect(clock.pendingSleeps()).toBe(0);
});

describe('QingCloudClient request building', () => {
  it('adds the common params, signs, and sends a GET to the configured endpoint', async () => {
    clock = new ManualClock(Date.UTC(2013, 7, 27, 14, 30, 10));
    const transport = new FakeTransport(() => ({ volume_set: [], total_count: 0 }));
    const res = await makeClient(transport).call('DescribeVolumes', { volumes: ['vol-abc', 'vol-def'], verbose: true });
    expect(res.ret_code).toBe(0);
    const [seen] = transport.seen;
    expect(seen!.req.method).toBe('GET');
    expect(seen!.req.url.startsWith('https://api.qingcloud.com:443/iaas/?access_key_id=QYACCESSKEYIDEXAMPLE&action=DescribeVolumes')).toBe(true);
    expect(seen!.params).toMatchObject({
      action: 'DescribeVolumes',
      access_key_id: 'QYACCESSKEYIDEXAMPLE',
      zone: 'pek3a',
      time_stamp: '2013-08-27T14:30:10Z',
      signature_method: 'HmacSHA256',
      signature_version: '1',
      version: '1',
      'volumes.1': 'vol-abc',
      'volumes.2': 'vol-def',
      verbose: '1',
    });
    expect(seen!.req.timeoutMs).toBe(1000);
    expect(seen!.req.url).not.toContain(TEST_SECRET);
    verifySignature(seen!);
  });

  it('sends no zone for DescribeZones', async () => {
    clock = new ManualClock();
    const transport = new FakeTransport(() => ({ zone_set: [] }));
    await makeClient(transport).call('DescribeZones', {});
    expect(transport.seen[0]!.params['zone']).toBeUndefined();
    verifySignature(transport.seen[0]!);
  });

  it('switches to a signed POST form when the query would exceed 4 KB', async () => {
    clock = new ManualClock();
    const transport = new FakeTransport(() => ({}));
    const volumes = Array.from({ length: 300 }, (_, i) => `vol-${String(i).padStart(8, '0')}`);
    await makeClient(transport).call('DescribeVolumes', { volumes });
    const seen = transport.seen[0]!;
    expect(seen.req.method).toBe('POST');
    expect(seen.req.url).toBe('https://api.qingcloud.com:443/iaas/');
    expect(seen.req.headers?.['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen.params['volumes.300']).toBe('vol-00000299');
    verifySignature(seen);
  });

  it('rejects a malformed action name without sending', async () => {
    clock = new ManualClock();
    const transport = new FakeTransport();
    await expect(makeClient(transport).call('describe volumes')).rejects.toThrow(/malformed/);
    expect(transport.seen).toHaveLength(0);
  });
});

describe('QingCloudClient retries', () => {
  it('retries 5100 with backoff and a fresh time_stamp, then succeeds', async () => {
    clock = new ManualClock();
    const transport = new FakeTransport(script({ ret_code: 5100, message: 'busy' }, { ret_code: 5000, message: 'oops' }, { ok: 1 }));
    const metrics = new SdkMetrics();
    const result = makeClient(transport, { metrics, retry: { backoff: { initialMs: 1000, maxMs: 10_000, factor: 2, jitter: 0 } } }).call(
      'DescribeVolumes',
    );
    await flushPromises();
    expect(transport.seen).toHaveLength(1);
    await clock.advance(1000);
    expect(transport.seen).toHaveLength(2);
    await clock.advance(1999);
    expect(transport.seen).toHaveLength(2);
    await clock.advance(1);
    await expect(result).resolves.toMatchObject({ ok: 1 });
    expect(transport.seen[2]!.params['time_stamp']).not.toBe(transport.seen[0]!.params['time_stamp']);
    const m = metrics.snapshot()['DescribeVolumes']!;
    expect(m).toMatchObject({ calls: 3, retries: 2, apiErrors: { '5100': 1, '5000': 1 } });
  });

  it('gives up after maxAttempts with the last API error', async () => {
    clock = new ManualClock();
    const transport = new FakeTransport(script({ ret_code: 5100, message: 'busy' }));
    const result = makeClient(transport, { retry: { maxAttempts: 2, backoff: { initialMs: 10, maxMs: 10, factor: 1, jitter: 0 } } }).call('DeleteVolumes', {
      volumes: ['vol-1'],
    });
    const outcome = result.catch((e: unknown) => e);
    await clock.advance(10);
    const err = (await outcome) as QingCloudApiError;
    expect(err).toBeInstanceOf(QingCloudApiError);
    expect(err.retCode).toBe(5100);
    expect(transport.seen).toHaveLength(2);
  });

  it('retries a 1400 "please try later" but not another 1400', async () => {
    clock = new ManualClock();
    const transport = new FakeTransport(
      script({ ret_code: 1400, message: 'PermissionDenied, resource [vol-1] is [creating], please try later' }, { ret_code: 1400, message: 'PermissionDenied, volume [vol-1] is in-use' }),
    );
    const outcome = makeClient(transport).call('DeleteVolumes', { volumes: ['vol-1'] }).catch((e: unknown) => e);
    await clock.advance(100);
    const err = (await outcome) as QingCloudApiError;
    expect(err.apiMessage).toContain('in-use');
    expect(transport.seen).toHaveLength(2);
  });

  it('does not retry other API errors', async () => {
    clock = new ManualClock();
    const transport = new FakeTransport(script({ ret_code: 2100, message: 'ResourceNotFound' }));
    await expect(makeClient(transport).call('DescribeVolumes')).rejects.toMatchObject({ retCode: 2100 });
    expect(transport.seen).toHaveLength(1);
  });

  it('retries transport failures of reads up to connectionRetries', async () => {
    clock = new ManualClock();
    const down = new QingCloudTransportError('DescribeVolumes', 'ECONNREFUSED');
    const transport = new FakeTransport(script(down));
    const metrics = new SdkMetrics();
    const outcome = makeClient(transport, { metrics }).call('DescribeVolumes').catch((e: unknown) => e);
    await clock.advance(50);
    await clock.advance(50);
    expect(await outcome).toBe(down);
    expect(transport.seen).toHaveLength(3); // 1 + connectionRetries (2)
    expect(metrics.snapshot()['DescribeVolumes']).toMatchObject({ transportErrors: 3, retries: 2 });
  });

  it('treats a non-200 answer as a transport failure', async () => {
    clock = new ManualClock();
    const transport = new FakeTransport(() => ({ status: 503, body: 'unavailable', contentType: 'text/plain' }));
    const outcome = makeClient(transport).call('DescribeJobs').catch((e: unknown) => e);
    await clock.advance(100);
    expect(await outcome).toBeInstanceOf(QingCloudTransportError);
    expect(transport.seen).toHaveLength(3);
  });

  it('never retries transport failures of writes unless marked idempotent', async () => {
    clock = new ManualClock();
    const down = new QingCloudTransportError('CreateVolumes', 'ECONNRESET');
    const transport = new FakeTransport(script(down, { job_id: 'j-1', volumes: ['vol-1'] }));
    await expect(makeClient(transport).call('CreateVolumes', { size: 20 })).rejects.toBe(down);
    expect(transport.seen).toHaveLength(1);

    const again = new FakeTransport(script(down, { ok: 1 }));
    const result = makeClient(again).call('ModifyVolumeAttributes', { volume: 'vol-1' }, { idempotent: true });
    await clock.advance(50);
    await expect(result).resolves.toMatchObject({ ok: 1 });
  });

  it('stops at once when the caller aborts during a backoff', async () => {
    clock = new ManualClock();
    const transport = new FakeTransport(script({ ret_code: 5100, message: 'busy' }));
    const controller = new AbortController();
    const outcome = makeClient(transport).call('DescribeVolumes', {}, { signal: controller.signal }).catch((e: unknown) => e);
    await flushPromises();
    controller.abort(new Error('deadline'));
    expect(await outcome).toEqual(new Error('deadline'));
    expect(transport.seen).toHaveLength(1);
  });
});

describe('QingCloudClient throttling and budget', () => {
  it('pauses the whole client after a 2500, probes once, then releases everyone', async () => {
    clock = new ManualClock();
    let throttled = true;
    const transport = new FakeTransport((seen) => {
      if (throttled && seen.action === 'DescribeVolumes') {
        throttled = false;
        return { ret_code: 2500, message: 'QuotaExceeded, api quota' };
      }
      return { answered: seen.action };
    });
    const metrics = new SdkMetrics();
    const client = makeClient(transport, { metrics });
    const first = client.call('DescribeVolumes');
    await flushPromises();
    expect(transport.seen).toHaveLength(1);
    const others = [client.call('DescribeNics'), client.call('DescribeInstances')];
    await clock.advance(999);
    expect(transport.seen).toHaveLength(1);
    await clock.advance(1);
    expect(transport.seen.map((s) => s.action)).toEqual(['DescribeVolumes', 'DescribeVolumes', 'DescribeNics', 'DescribeInstances']);
    await expect(first).resolves.toMatchObject({ answered: 'DescribeVolumes' });
    await Promise.all(others);
    expect(metrics.snapshot()['DescribeVolumes']).toMatchObject({ throttles: 1, apiErrors: { '2500': 1 } });
  });

  it('holds everyone while the probe is in flight', async () => {
    clock = new ManualClock();
    const gate = new ThrottleGate(clock, { initialMs: 100, maxMs: 100, factor: 1, jitter: 0 });
    gate.trip();
    let release: (() => void) | undefined;
    const transport = new FakeTransport(async () => {
      if (release === undefined) await new Promise<void>((r) => (release = r));
      return {};
    });
    const client = makeClient(transport, { gate });
    const calls = [client.call('DescribeVolumes'), client.call('DescribeNics')];
    await clock.advance(100);
    expect(transport.seen).toHaveLength(1);
    release!();
    await Promise.all(calls);
    expect(transport.seen).toHaveLength(2);
  });

  it('gives up with the 2500 after maxThrottledAttempts (a resource quota never clears)', async () => {
    clock = new ManualClock();
    const transport = new FakeTransport(script({ ret_code: 2500, message: 'QuotaExceeded, volume quota' }));
    const outcome = makeClient(transport, { retry: { maxThrottledAttempts: 2, throttlePause: { initialMs: 10, maxMs: 10, factor: 1, jitter: 0 } } })
      .call('CreateVolumes', { size: 10 })
      .catch((e: unknown) => e);
    await clock.advance(10);
    expect(await outcome).toMatchObject({ retCode: 2500 });
    expect(transport.seen).toHaveLength(2);
    await clock.advance(10); // let the gate's last pause run out
  });

  it('takes one budget token per request, retries included', async () => {
    clock = new ManualClock();
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 2 }, clock);
    const transport = new FakeTransport(script({ ret_code: 5100, message: 'busy' }, {}));
    const client = makeClient(transport, { budget: bucket });
    const a = client.call('DescribeVolumes'); // takes 2 tokens: the 5100 and its retry
    await clock.advance(100);
    await a;
    const b = client.call('DescribeNics');
    await flushPromises();
    expect(transport.calls('DescribeNics')).toHaveLength(0);
    await clock.advance(900);
    await b;
    expect(transport.calls('DescribeNics')).toHaveLength(1);
  });

  it('answers are JSON even when the fake returns a raw response', async () => {
    clock = new ManualClock();
    const transport = new FakeTransport(() => json({ ret_code: 0, x: 1 }));
    await expect(makeClient(transport).call('DescribeVolumes')).resolves.toMatchObject({ x: 1 });
  });
});
