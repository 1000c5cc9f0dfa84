import { describe, expect, it } from 'vitest';
import { SdkMetrics, type CallEvent } from '../../../src/qingcloud/metrics.js';

const event = (over: Partial<CallEvent> = {}): CallEvent => ({ action: 'DescribeVolumes', outcome: 'ok', retCode: 0, durationMs: 20, attempt: 1, ...over });

describe('SdkMetrics', () => {
  it('counts calls, API errors by ret_code, transport errors, retries and throttles per action', () => {
    const m = new SdkMetrics();
    m.recordCall(event());
    m.recordCall(event({ outcome: 'apiError', retCode: 5100 }));
    m.recordCall(event({ outcome: 'apiError', retCode: 5100 }));
    m.recordCall(event({ outcome: 'transportError', retCode: undefined }));
    m.recordCall(event({ action: 'CreateVolumes', outcome: 'apiError', retCode: 2500 }));
    m.recordRetry('DescribeVolumes');
    m.recordThrottle('CreateVolumes');
    const snap = m.snapshot();
    expect(snap['DescribeVolumes']).toMatchObject({ calls: 4, apiErrors: { '5100': 2 }, transportErrors: 1, retries: 1, throttles: 0 });
    expect(snap['CreateVolumes']).toMatchObject({ calls: 1, apiErrors: { '2500': 1 }, throttles: 1 });
    expect(m.totalCalls()).toBe(5);
    expect(m.totalCalls('CreateVolumes')).toBe(1);
  });

  it('keeps latency count, sum, max and a histogram', () => {
    const m = new SdkMetrics();
    for (const ms of [5, 60, 60, 20_000]) m.recordCall(event({ durationMs: ms }));
    const latency = m.snapshot()['DescribeVolumes']!.latency;
    expect(latency).toMatchObject({ count: 4, sumMs: 20_125, maxMs: 20_000 });
    expect(latency.buckets).toMatchObject({ '10': 1, '100': 2, '+Inf': 1, '50': 0 });
  });

  it('returns a snapshot detached from the live counters', () => {
    const m = new SdkMetrics();
    m.recordCall(event());
    const snap = m.snapshot();
    m.recordCall(event());
    expect(snap['DescribeVolumes']!.calls).toBe(1);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
  });

  it('tells listeners about every call until they unsubscribe, and survives a throwing listener', () => {
    const m = new SdkMetrics();
    const seen: CallEvent[] = [];
    m.onCall(() => {
      throw new Error('bad listener');
    });
    const off = m.onCall((e) => seen.push(e));
    m.recordCall(event());
    off();
    m.recordCall(event());
    expect(seen).toHaveLength(1);
    expect(m.totalCalls()).toBe(2);
  });
});
