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
    if (waited >= timeoutMs) throw new LinkWaitTimeoutError(mac, waited, hostNetns === undefined ? 'the host network namespace' : `network namespace ${hostNetns}`);
    await clock.sleep(Math.min(backoffDelay(attempt, POLL), timeoutMs - waited));
  }
}
