import type { Logger } from 'pino';
import { backoffDelay } from '../shared/backoff.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { silentLogger } from '../shared/log.js';
import { ThrottleGate, TokenBucket } from './budget.js';
import { endpointUrl, type QingCloudConfig } from './config.js';
import { parseEnvelope, type ApiEnvelope } from './envelope.js';
import { QingCloudApiError, QingCloudError, QingCloudTransportError, isThrottled } from './errors.js';
import { SdkMetrics } from './metrics.js';
import { flattenParams, type ApiParams } from './params.js';
import { DEFAULT_RETRY_POLICY, classifyFailure, isReadAction, type RetryPolicy } from './retry.js';
import { canonicalQuery, formatTimestamp, signRequest } from './signer.js';
import type { HttpRequest, HttpTransport } from './transport.js';

/** Actions that take no `zone` parameter. */
export const ZONELESS_ACTIONS: ReadonlySet<string> = new Set(['DescribeZones']);

/** Above this many bytes of query the request goes as a POST form body instead of a GET URL. */
export const MAX_GET_QUERY_BYTES = 4096;

const ACTION_NAME = /^[A-Z][A-Za-z0-9]{1,63}$/;

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Repeating this call is harmless, so transport failures may be retried like a read's. */
  idempotent?: boolean;
}

/** The port the typed actions (and other callers) use: one signed API call with the client's retry policy. */
export interface ApiCaller {
  call<T extends object = Record<string, unknown>>(action: string, params?: ApiParams, options?: CallOptions): Promise<T & ApiEnvelope>;
}

/** Options of QingCloudClient; everything but config and transport has a default. */
export interface QingCloudClientOptions {
  config: QingCloudConfig;
  transport: HttpTransport;
  clock?: Clock;
  logger?: Logger;
  /** Request budget; null disables it. Default: DEFAULT_BUDGET. */
  budget?: TokenBucket | null;
  gate?: ThrottleGate;
  retry?: Partial<RetryPolicy>;
  metrics?: SdkMetrics;
  /** Jitter source, injectable so tests are exact. */
  random?: () => number;
  maxGetQueryBytes?: number;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Signed QingCloud API calls with budget, throttle gate and retries (see retry.ts for the policy). */
export class QingCloudClient implements ApiCaller {
  readonly config: QingCloudConfig;
  readonly metrics: SdkMetrics;
  readonly policy: RetryPolicy;
  private readonly transport: HttpTransport;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly budget: TokenBucket | null;
  private readonly gate: ThrottleGate;
  private readonly random: () => number;
  private readonly endpoint: string;
  private readonly path: string;
  private readonly maxGetQueryBytes: number;

  constructor(options: QingCloudClientOptions) {
    this.config = options.config;
    this.transport = options.transport;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.random = options.random ?? Math.random;
    this.budget = options.budget === undefined ? new TokenBucket(undefined, this.clock) : options.budget;
    this.gate = options.gate ?? new ThrottleGate(this.clock, this.policy.throttlePause, this.random);
    this.metrics = options.metrics ?? new SdkMetrics();
    this.endpoint = endpointUrl(this.config);
    this.path = new URL(this.endpoint).pathname;
    this.maxGetQueryBytes = options.maxGetQueryBytes ?? MAX_GET_QUERY_BYTES;
  }

  /**
   * Calls `action` and returns its parsed answer (job_id normalised, job_ids added). Throws
   * QingCloudApiError for ret_code ≠ 0 after retries, QingCloudTransportError, or the signal's reason.
   */
  async call<T extends object = Record<string, unknown>>(
    action: string,
    params: ApiParams = {},
    options: CallOptions = {},
  ): Promise<T & ApiEnvelope> {
    if (!ACTION_NAME.test(action)) {
      throw new QingCloudError('QC_INVALID_ACTION', `QingCloud action name ${JSON.stringify(action)} is malformed; use e.g. DescribeVolumes`);
    }
    const wire = flattenParams(params);
    const { signal } = options;
    const transportRetryable = options.idempotent === true || isReadAction(action, this.policy);
    let busy = 0;
    let throttled = 0;
    let transport = 0;
    for (let attempt = 1; ; attempt += 1) {
      const result = await this.attempt(action, wire, attempt, signal);
      if (result.ok) return result.value as T & ApiEnvelope;
      const error = result.error;
      if (signal?.aborted === true) throw error;
      let delayMs: number;
      switch (classifyFailure(error)) {
        case 'throttled':
          throttled += 1;
          this.metrics.recordThrottle(action);
          if (throttled >= this.policy.maxThrottledAttempts) throw error;
          // The gate holds the next attempt back until its pause ends and a probe succeeds.
          this.logger.warn({ action, attempt, retCode: 2500 }, 'QingCloud API throttled; pausing the client');
          continue;
        case 'retryable':
          busy += 1;
          if (busy >= this.policy.maxAttempts) throw error;
          delayMs = backoffDelay(busy - 1, this.policy.backoff, this.random);
          break;
        case 'transport':
          transport += 1;
          if (!transportRetryable || transport > this.config.connectionRetries) throw error;
          delayMs = backoffDelay(transport - 1, this.policy.transportBackoff, this.random);
          break;
        default:
          throw error;
      }
      this.metrics.recordRetry(action);
      this.logger.debug(
        { action, attempt, delayMs, retCode: error instanceof QingCloudApiError ? error.retCode : undefined },
        'retrying QingCloud call',
      );
      await this.clock.sleep(delayMs, signal);
    }
  }

  /** One pass through gate, budget and transport; never throws except for aborts before sending. */
  private async attempt(action: string, wire: Record<string, string>, attempt: number, signal?: AbortSignal): Promise<Attempt<unknown>> {
    const ticket = await this.gate.enter(signal);
    let outcome: 'answered' | 'throttled' | 'failed' = 'failed';
    try {
      await this.budget?.take(signal);
      const started = this.clock.now();
      try {
        const res = await this.transport.send(this.buildRequest(action, wire, signal));
        const value = parseEnvelope(action, res);
        outcome = 'answered';
        this.metrics.recordCall({ action, outcome: 'ok', retCode: 0, durationMs: this.clock.now() - started, attempt });
        return { ok: true, value };
      } catch (error) {
        const durationMs = this.clock.now() - started;
        if (error instanceof QingCloudApiError) {
          outcome = isThrottled(error) ? 'throttled' : 'answered';
          this.metrics.recordCall({ action, outcome: 'apiError', retCode: error.retCode, durationMs, attempt });
        } else if (error instanceof QingCloudTransportError) {
          this.metrics.recordCall({ action, outcome: 'transportError', retCode: undefined, durationMs, attempt });
        }
        return { ok: false, error };
      }
    } catch (error) {
      return { ok: false, error };
    } finally {
      this.gate.leave(ticket, outcome);
    }
  }

  /** Common params, signature, and GET or (for long queries) POST. A fresh time_stamp per attempt. */
  private buildRequest(action: string, wire: Record<string, string>, signal?: AbortSignal): HttpRequest {
    const params: Record<string, string> = {
      ...wire,
      action,
      access_key_id: this.config.accessKeyId,
      signature_method: this.config.signatureMethod ?? 'HmacSHA256',
      signature_version: '1',
      version: '1',
      time_stamp: formatTimestamp(this.clock.now()),
    };
    if (ZONELESS_ACTIONS.has(action)) {
      if (wire['zone'] === undefined) delete params['zone'];
    } else {
      params['zone'] = wire['zone'] ?? this.config.zone;
    }
    // The encoded query is ASCII; the appended "&signature=" plus an encoded SHA-256 is under 70 bytes.
    const method = canonicalQuery(params).length + 70 > this.maxGetQueryBytes ? 'POST' : 'GET';
    const signed = signRequest(method, this.path, params, this.config.secretAccessKey);
    const base = { action, signal, timeoutMs: this.config.connectionTimeoutMs };
    if (method === 'GET') return { ...base, method, url: `${this.endpoint}?${signed.encoded}` };
    return {
      ...base,
      method,
      url: this.endpoint,
      body: signed.encoded,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    };
  }
}
