import type { Logger } from 'pino';
import { systemClock, type Clock } from '../shared/clock.js';
import { silentLogger } from '../shared/log.js';
import { createApi, type QingCloudApi } from './actions/index.js';
import type { Job } from './actions/jobs.js';
import { MAX_PAGE_SIZE } from './actions/paging.js';
import { TokenBucket, type TokenBucketOptions } from './budget.js';
import { QingCloudClient } from './client.js';
import type { QingCloudConfig } from './config.js';
import { SdkMetrics } from './metrics.js';
import type { RetryPolicy } from './retry.js';
import { NodeHttpTransport, type HttpTransport } from './transport.js';
import { JobWaiter, type JobWaiterOptions } from './waiter.js';

export * from './errors.js';
export * from './config.js';
export * from './transport.js';
export * from './budget.js';
export * from './retry.js';
export * from './params.js';
export * from './envelope.js';
export * from './client.js';
export * from './metrics.js';
export * from './waiter.js';
export * from './coalesce.js';
export * from './ids.js';
export { percentEncode, canonicalQuery, stringToSign, signRequest, formatTimestamp, type SignatureMethod } from './signer.js';
export * from './actions/index.js';
export * from './actions/paging.js';
export * from './actions/context.js';
export * from './actions/common.js';
export * from './actions/jobs.js';
export * from './actions/volumes.js';
export * from './actions/snapshots.js';
export * from './actions/instances.js';
export * from './actions/nics.js';
export * from './actions/vxnets.js';
export * from './actions/tags.js';
export * from './actions/zones.js';
export * from './actions/quotas.js';

/** Options of createQingCloud; only config is required. */
export interface CreateQingCloudOptions {
  config: QingCloudConfig;
  clock?: Clock;
  /** Default: a NodeHttpTransport owned (and closed) by the returned object; a passed transport is the caller's. */
  transport?: HttpTransport;
  logger?: Logger;
  /** Request budget: options, a shared bucket, or null for none. Default DEFAULT_BUDGET. */
  budget?: TokenBucketOptions | TokenBucket | null;
  retry?: Partial<RetryPolicy>;
  waiter?: Omit<JobWaiterOptions, 'clock' | 'logger'>;
  metrics?: SdkMetrics;
  /** Window of coalesced by-id lookups (default 10 ms). */
  coalesceWindowMs?: number;
  /** Jitter source (tests make it constant). */
  random?: () => number;
}

/** A wired SDK: the client, its one job waiter, its metrics and the typed actions. */
export interface QingCloud {
  client: QingCloudClient;
  waiter: JobWaiter;
  metrics: SdkMetrics;
  api: QingCloudApi;
  /** Rejects pending job waits and closes the transport if this object created it; calling it again is a no-op. */
  close(): Promise<void>;
}

/** Builds client, waiter (DescribeJobs through the same client and budget), metrics and typed actions. */
export function createQingCloud(options: CreateQingCloudOptions): QingCloud {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger();
  const ownTransport = options.transport === undefined;
  const transport = options.transport ?? new NodeHttpTransport({ connectTimeoutMs: options.config.connectionTimeoutMs });
  const metrics = options.metrics ?? new SdkMetrics();
  const budget =
    options.budget === null ? null : options.budget instanceof TokenBucket ? options.budget : new TokenBucket(options.budget, clock);
  const client = new QingCloudClient({
    config: options.config,
    transport,
    clock,
    logger,
    budget,
    retry: options.retry,
    metrics,
    random: options.random,
  });
  const waiter = new JobWaiter(
    async (jobIds, signal) => {
      const res = await client.call<{ job_set?: Job[] }>('DescribeJobs', { jobs: jobIds, limit: MAX_PAGE_SIZE }, { signal });
      return res.job_set ?? [];
    },
    { ...options.waiter, clock, logger },
  );
  const api = createApi({ client, waiter, clock, coalesceWindowMs: options.coalesceWindowMs });
  let closed: Promise<void> | undefined;
  return {
    client,
    waiter,
    metrics,
    api,
    // Idempotent: shutdown paths may close twice (a signal handler and a finally block).
    close: () =>
      (closed ??= (async () => {
        waiter.close();
        if (ownTransport) await transport.close?.();
      })()),
  };
}
