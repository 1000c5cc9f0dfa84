import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BUDGET, ThrottleGate, TokenBucket } from '../../../src/qingcloud/budget.js';
import { ManualClock, flushPromises } from '../../fakes/manual-clock.js';

describe('TokenBucket', () => {
  it('defaults to at most 2000 requests in any hour', () => {
    expect(DEFAULT_BUDGET.burst + DEFAULT_BUDGET.ratePerSecond * 3600).toBeLessThanOrEqual(2000);
  });

  it('lets a burst through at once, then waits for refills in arrival order', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3 }, clock);
    for (let i = 0; i < 3; i++) await bucket.take();
    const order: number[] = [];
    const a = bucket.take().then(() => order.push(1));
    const b = bucket.take().then(() => order.push(2));
    await clock.advance(499);
    expect(order).toEqual([]);
    await clock.advance(1);
    expect(order).toEqual([1]);
    await clock.advance(500);
    expect(order).toEqual([1, 2]);
    await Promise.all([a, b]);
  });

  it('refills up to the burst only', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 2 }, clock);
    await clock.advance(60_000);
    expect(bucket.available()).toBe(2);
  });

  it('gives the token back when a wait is aborted', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1 }, clock);
    await bucket.take();
    const controller = new AbortController();
    const waiting = bucket.take(controller.signal);
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(bucket.available()).toBe(0);
    expect(clock.pendingSleeps()).toBe(0);
  });
});

describe('ThrottleGate', () => {
  let clock: ManualClock;
  afterEach(() => expect(clock.pendingSleeps()).toBe(0));

  it('passes everyone while open', async () => {
    clock = new ManualClock();
    const gate = new ThrottleGate(clock, { initialMs: 1000, maxMs: 8000, factor: 2, jitter: 0 });
    await expect(gate.enter()).resolves.toEqual({ probe: false });
    expect(gate.isClosed()).toBe(false);
  });

  it('after a 2500 pauses everyone, sends one probe, and opens when the probe is answered', async () => {
    clock = new ManualClock();
    const gate = new ThrottleGate(clock, { initialMs: 1000, maxMs: 8000, factor: 2, jitter: 0 });
    gate.leave(await gate.enter(), 'throttled');
    expect(gate.isClosed()).toBe(true);
    const tickets: { probe: boolean }[] = [];
    const entries = [0, 1, 2].map(() => gate.enter().then((t) => tickets.push(t)));
    await clock.advance(999);
    expect(tickets).toHaveLength(0);
    await clock.advance(1);
    expect(tickets).toEqual([{ probe: true }]);
    gate.leave(tickets[0]!, 'answered');
    await flushPromises();
    expect(tickets).toHaveLength(3);
    expect(tickets.slice(1).every((t) => !t.probe)).toBe(true);
    await Promise.all(entries);
  });

  it('doubles the pause while probes keep being throttled, up to the cap', async () => {
    clock = new ManualClock();
    const gate = new ThrottleGate(clock, { initialMs: 1000, maxMs: 3000, factor: 2, jitter: 0 });
    expect(gate.trip()).toBe(1000);
    await clock.advance(1000);
    let probe = await gate.enter();
    expect(probe.probe).toBe(true);
    gate.leave(probe, 'throttled');
    await clock.advance(1999);
    let entered = false;
    const next = gate.enter().then((t) => {
      entered = true;
      return t;
    });
    await flushPromises();
    expect(entered).toBe(false);
    await clock.advance(1);
    probe = await next;
    expect(probe.probe).toBe(true);
    gate.leave(probe, 'throttled');
    expect(gate.trip()).toBe(3000);
    await clock.advance(3000);
    gate.leave(await gate.enter(), 'answered');
    expect(gate.isClosed()).toBe(false);
  });

  it('does not escalate for requests already in flight when it closed', () => {
    clock = new ManualClock();
    const gate = new ThrottleGate(clock, { initialMs: 1000, maxMs: 60_000, factor: 2, jitter: 0 });
    gate.leave({ probe: false }, 'throttled');
    gate.leave({ probe: false }, 'throttled');
    gate.leave({ probe: false }, 'throttled');
    expect(gate.trip()).toBe(2000);
  });

  it('lets the next waiter probe when a probe fails below the API', async () => {
    clock = new ManualClock();
    const gate = new ThrottleGate(clock, { initialMs: 100, maxMs: 100, factor: 2, jitter: 0 });
    gate.trip();
    await clock.advance(100);
    const first = await gate.enter();
    const second = gate.enter();
    gate.leave(first, 'failed');
    await expect(second).resolves.toEqual({ probe: true });
    expect(gate.isClosed()).toBe(true);
  });

  it('rejects a waiting caller on abort', async () => {
    clock = new ManualClock();
    const gate = new ThrottleGate(clock, { initialMs: 100, maxMs: 100, factor: 2, jitter: 0 });
    gate.trip();
    const controller = new AbortController();
    const waiting = gate.enter(controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
  });
});
