import { describe, expect, it } from 'vitest';
import { ApiQuotaCounter, pickInjectedRetCode, pickLatency, shouldFailJob } from '../../../../src/qingcloud/sim/faults.js';
import { seededRandom } from '../../../../src/qingcloud/sim/rng.js';

describe('faults and latency', () => {
  it('picks fixed, ranged and per-action latencies', () => {
    const random = seededRandom(5);
    expect(pickLatency(250, 'AttachVolumes', random)).toBe(250);
    for (let i = 0; i < 50; i++) {
      const ms = pickLatency({ min: 10, max: 20 }, 'X', random);
      expect(ms).toBeGreaterThanOrEqual(10);
      expect(ms).toBeLessThanOrEqual(20);
    }
    const option = { default: 5, actions: { AttachNics: 100 } };
    expect(pickLatency(option, 'AttachNics', random)).toBe(100);
    expect(pickLatency(option, 'DetachNics', random)).toBe(5);
  });

  it('injects ret codes and job failures at the configured rates, per action over default', () => {
    const random = seededRandom(1);
    expect(pickInjectedRetCode({}, 'A', random)).toBeUndefined();
    expect(pickInjectedRetCode({ retCodes: { 5000: 1 } }, 'A', random)).toBe(5000);
    expect(pickInjectedRetCode({ retCodes: { 5000: 1 }, actions: { A: { retCodes: { 5000: 0 } } } }, 'A', random)).toBeUndefined();
    expect(shouldFailJob({ jobFailureRate: 1 }, 'A', random)).toBe(true);
    expect(shouldFailJob({ jobFailureRate: 1, actions: { A: { jobFailureRate: 0 } } }, 'A', random)).toBe(false);
    const hits = Array.from({ length: 1000 }, () => pickInjectedRetCode({ retCodes: { 5100: 0.3 } }, 'A', random)).filter(Boolean).length;
    expect(hits).toBeGreaterThan(200);
    expect(hits).toBeLessThan(400);
  });

  it('counts API calls per key in fixed windows', () => {
    const counter = new ApiQuotaCounter();
    const quota = { limit: 2, windowSec: 10 };
    expect([counter.admit('a', quota, 0), counter.admit('a', quota, 1), counter.admit('a', quota, 2)]).toEqual([true, true, false]);
    expect(counter.admit('b', quota, 3)).toBe(true);
    expect(counter.admit('a', quota, 10_000)).toBe(true);
  });
});
