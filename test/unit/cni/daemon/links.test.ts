import { describe, expect, it } from 'vitest';
import { LinkWaitTimeoutError, waitForLinks } from '../../../../src/cni/daemon/links.js';
import { FakeNetOps } from '../../../fakes/fake-net-ops.js';
import { ManualClock } from '../../../fakes/manual-clock.js';

const A = '52:54:00:00:00:0a';
const B = '52:54:00:00:00:0b';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function listings(net: FakeNetOps): number {
  return net.calls.filter((c) => c.method === 'listLinks').length;
}

describe('waitForLinks', () => {
  it('ends the moment the attach job ends when the links appeared while it ran, without listing again', async () => {
    const clock = new ManualClock();
    const net = new FakeNetOps();
    const job = deferred();
    const wait = waitForLinks(net, clock, [A, B], undefined, job.promise, 10_000);
    await clock.advance(0);
    net.plugNic(A);
    net.plugNic(B);
    await clock.advance(100); // the poll on the backoff sees both links
    const seen = listings(net);
    job.resolve();
    const links = await wait;
    expect([...links.keys()]).toEqual([A, B]);
    expect(links.get(A)).toMatchObject({ mac: A, name: 'eth1' });
    expect(listings(net)).toBe(seen);
  });

  it('lists once more the moment the job ends when a link was not there yet', async () => {
    const clock = new ManualClock();
    const net = new FakeNetOps();
    const job = deferred();
    const wait = waitForLinks(net, clock, [A], undefined, job.promise, 10_000);
    await clock.advance(0);
    net.plugNic(A);
    job.resolve();
    const links = await wait; // no clock advance: the job's end wakes the wait
    expect(links.get(A)).toMatchObject({ mac: A });
  });

  it("rejects with the attach job's error", async () => {
    const clock = new ManualClock();
    const job = deferred();
    const wait = waitForLinks(new FakeNetOps(), clock, [A], undefined, job.promise, 10_000);
    job.reject(new Error('attach failed'));
    await expect(wait).rejects.toThrow('attach failed');
  });

  it('reports a timeout for a link that never appears, counted from the end of the job', async () => {
    const clock = new ManualClock();
    const net = new FakeNetOps();
    net.plugNic(A);
    const wait = waitForLinks(net, clock, [A, B], undefined, Promise.resolve(), 1_000);
    await clock.advance(5_000);
    const links = await wait;
    expect(links.get(A)).toMatchObject({ mac: A });
    expect(links.get(B)).toBeInstanceOf(LinkWaitTimeoutError);
  });
});
