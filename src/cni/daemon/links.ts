import { backoffDelay } from '../../shared/backoff.js';
import type { Clock } from '../../shared/clock.js';
import { BaseError } from '../../shared/errors.js';
import type { LinkInfo, NetOps, NetnsRef } from '../net/net-ops.js';

/** A hot-plugged NIC did not show up as a link in the host netns before the deadline. */
export class LinkWaitTimeoutError extends BaseError {
  constructor(
    readonly mac: string,
    waitedMs: number,
    where: string,
  ) {
    super('HOSTNIC_LINK_TIMEOUT', `NIC ${mac} is attached in the cloud but no link with that MAC appeared in ${where} within ${waitedMs} ms; check the guest's hot-plug (udev, virtio) and hostNetns`);
  }
}

/** Polling of the host netns for a hot-plugged link: fast at first (the link usually appears before the job ends). */
const POLL = { initialMs: 100, maxMs: 2_000, factor: 2, jitter: 0 };

/** Default deadline of waitForLink. */
export const LINK_WAIT_MS = 120_000;

/** Polls `findLinkByMac(mac, hostNetns)` on the Clock until the link is there or `timeoutMs` passed. */
export async function waitForLink(netOps: NetOps, clock: Clock, mac: string, hostNetns: NetnsRef | undefined, timeoutMs = LINK_WAIT_MS): Promise<LinkInfo> {
  const start = clock.now();
  for (let attempt = 0; ; attempt += 1) {
    const link = await netOps.findLinkByMac(mac, hostNetns);
    if (link !== undefined) return link;
    const waited = clock.now() - start;
    if (waited >= timeoutMs) throw new LinkWaitTimeoutError(mac, waited, describeHost(hostNetns));
    await clock.sleep(Math.min(backoffDelay(attempt, POLL), timeoutMs - waited));
  }
}

/** What waitForLinks found: a link per MAC that appeared, a LinkWaitTimeoutError per MAC that did not. */
export type LinkWaitOutcome = Map<string, LinkInfo | LinkWaitTimeoutError>;

/**
 * Waits for the links of `macs` while `attached` (the attach job) settles: one listing of the host netns per poll serves
 * every MAC, polls start with the job (the link often appears before the job is reported done) and one more runs as
 * soon as the job is done, so the wait ends with whichever comes last. Rejects with the job's error when it fails; the
 * deadline counts from the job's end.
 */
export async function waitForLinks(netOps: NetOps, clock: Clock, macs: readonly string[], hostNetns: NetnsRef | undefined, attached: Promise<void>, timeoutMs = LINK_WAIT_MS): Promise<LinkWaitOutcome> {
  const found = new Map<string, LinkInfo>();
  const job: { done: boolean; error?: { err: unknown } } = { done: false };
  let wake = new AbortController();
  void attached.then(
    () => {
      job.done = true;
      wake.abort();
    },
    (err: unknown) => {
      job.error = { err };
      wake.abort();
    },
  );
  const throwIfFailed = (): void => {
    if (job.error !== undefined) throw job.error.err;
  };
  let doneAt: number | undefined;
  let attempt = 0;
  let afterJob = 0;
  for (;;) {
    throwIfFailed();
    // A listing that started after the job ended is the one that may time out.
    const listedAfterJob = job.done;
    if (found.size < macs.length) {
      for (const link of await netOps.listLinks(hostNetns)) {
        if (link.mac !== undefined && macs.includes(link.mac)) found.set(link.mac, link);
      }
    }
    throwIfFailed();
    if (job.done && found.size === macs.length) return new Map(found);
    if (listedAfterJob) {
      doneAt ??= clock.now();
      const waited = clock.now() - doneAt;
      if (waited >= timeoutMs) {
        const out: LinkWaitOutcome = new Map();
        for (const mac of macs) out.set(mac, found.get(mac) ?? new LinkWaitTimeoutError(mac, waited, describeHost(hostNetns)));
        return out;
      }
      await clock.sleep(Math.min(backoffDelay(afterJob++, POLL), timeoutMs - waited));
    } else {
      // Job still running: poll on the backoff (not at all once every link is there) and once more the moment it ends.
      await clock.sleep(found.size === macs.length ? LINK_WAIT_MS : backoffDelay(attempt++, POLL), wake.signal).catch(() => undefined);
      wake = new AbortController();
    }
  }
}

function describeHost(hostNetns: NetnsRef | undefined): string {
  return hostNetns === undefined ? 'the host network namespace' : `network namespace ${hostNetns}`;
}
