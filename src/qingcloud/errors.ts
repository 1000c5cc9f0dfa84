import { BaseError } from '../shared/errors.js';

/** What a ret_code means to a caller; predicates and the retry policy branch on this, never on message text. */
export type ApiErrorKind =
  | 'invalid'
  | 'auth'
  | 'permission'
  | 'notFound'
  | 'alreadyExists'
  | 'quota'
  | 'busy'
  | 'unavailable'
  | 'unsupported'
  | 'balance'
  | 'other';

/** The one ret_code table (qingcloud-api.md §3.2): code → kind and the short label used in messages. */
export const RET_CODES: ReadonlyMap<number, { readonly kind: ApiErrorKind; readonly label: string }> = new Map([
  [1100, { kind: 'invalid', label: 'malformed request' }],
  [1101, { kind: 'invalid', label: 'bad action or parameter' }],
  [1200, { kind: 'auth', label: 'authentication failed' }],
  [1300, { kind: 'auth', label: 'request expired' }],
  [1400, { kind: 'permission', label: 'permission denied' }],
  [2100, { kind: 'notFound', label: 'not found' }],
  [2110, { kind: 'alreadyExists', label: 'already exists' }],
  [2400, { kind: 'balance', label: 'insufficient balance' }],
  [2500, { kind: 'quota', label: 'quota exceeded' }],
  [5000, { kind: 'busy', label: 'internal error' }],
  [5100, { kind: 'busy', label: 'server busy' }],
  [5200, { kind: 'unavailable', label: 'insufficient backend resources' }],
  [5300, { kind: 'unavailable', label: 'service updating' }],
  [5600, { kind: 'unsupported', label: 'unsupported' }],
] as const);

/** ret_code 2500: resource quota or API-call quota exceeded; the client treats it as throttling. */
export const THROTTLED_RET_CODE = 2500;

/** The kind of a ret_code; codes missing from RET_CODES are 'other'. */
export function kindOf(retCode: number): ApiErrorKind {
  return RET_CODES.get(retCode)?.kind ?? 'other';
}

/** Base of every SDK error; `code` starts with `QC_`. */
export class QingCloudError extends BaseError {}

/** The API answered with ret_code ≠ 0. */
export class QingCloudApiError extends QingCloudError {
  readonly retCode: number;
  /** The server's own message text, unchanged. */
  readonly apiMessage: string;
  readonly action: string;
  readonly kind: ApiErrorKind;

  constructor(action: string, retCode: number, apiMessage: string) {
    const label = RET_CODES.get(retCode)?.label ?? 'error';
    super('QC_API_ERROR', `QingCloud ${action} failed: ret_code ${retCode} (${label}): ${apiMessage}`);
    this.action = action;
    this.retCode = retCode;
    this.apiMessage = apiMessage;
    this.kind = kindOf(retCode);
  }
}

/** The request never produced a usable API answer: socket error, timeout, non-200 status or a non-JSON body. */
export class QingCloudTransportError extends QingCloudError {
  readonly action: string;
  /** The HTTP status when the server answered with one other than 200. */
  readonly status: number | undefined;

  constructor(action: string, message: string, options: { cause?: unknown; status?: number } = {}) {
    super('QC_TRANSPORT', `QingCloud ${action} request failed: ${message}`, { cause: options.cause });
    this.action = action;
    this.status = options.status;
  }
}

/** A job ended in status `failed` (or another terminal non-success status). */
export class JobFailedError extends QingCloudError {
  readonly jobId: string;
  readonly jobAction: string;
  readonly resourceIds: readonly string[];
  readonly status: string;

  constructor(jobId: string, jobAction: string, resourceIds: readonly string[], status: string) {
    super(
      'QC_JOB_FAILED',
      `QingCloud job ${jobId} (${jobAction || 'unknown action'} on ${describeResources(resourceIds)}) ended with status ` +
        `"${status}"; inspect the resources' state before retrying the action`,
    );
    this.jobId = jobId;
    this.jobAction = jobAction;
    this.resourceIds = resourceIds;
    this.status = status;
  }
}

/** Waiting for a job passed its deadline; the job itself may still finish later. */
export class JobTimeoutError extends QingCloudError {
  readonly jobId: string;
  readonly jobAction: string;
  readonly resourceIds: readonly string[];
  readonly waitedMs: number;
  /** The last status DescribeJobs reported, or undefined when it never reported the job. */
  readonly lastStatus: string | undefined;

  constructor(jobId: string, jobAction: string, resourceIds: readonly string[], waitedMs: number, lastStatus?: string) {
    super(
      'QC_JOB_TIMEOUT',
      `QingCloud job ${jobId} (${jobAction || 'unknown action'} on ${describeResources(resourceIds)}) did not finish ` +
        `within ${waitedMs} ms (last status: ${lastStatus ?? 'never reported'}); wait again on the same job id ` +
        `or check it with DescribeJobs`,
    );
    this.jobId = jobId;
    this.jobAction = jobAction;
    this.resourceIds = resourceIds;
    this.waitedMs = waitedMs;
    this.lastStatus = lastStatus;
  }
}

/** The SDK configuration (file, environment or instance-id file) is missing or malformed. */
export class ConfigError extends QingCloudError {
  /** The keys that were missing or malformed. */
  readonly keys: readonly string[];

  constructor(message: string, keys: readonly string[] = [], options: { cause?: unknown } = {}) {
    super('QC_CONFIG_INVALID', message, options);
    this.keys = keys;
  }
}

/** A caller passed a resource id that does not have the shape QingCloud uses; nothing was sent. */
export class InvalidIdError extends QingCloudError {
  constructor(action: string, what: string, id: string) {
    super(
      'QC_INVALID_ID',
      `QingCloud ${action} not sent: ${JSON.stringify(id)} is not a valid ${what}; pass ids as QingCloud returns them`,
    );
  }
}

/** The client or waiter was closed while the call or wait was still pending. */
export class ClientClosedError extends QingCloudError {
  constructor(what: string) {
    super('QC_CLOSED', `QingCloud ${what} abandoned: the SDK client was closed; create a new one to continue`);
  }
}

function describeResources(ids: readonly string[]): string {
  return ids.length === 0 ? 'unknown resources' : ids.join(', ');
}

/** True for ret_code 2100 (resource not found). */
export function isNotFound(err: unknown): boolean {
  return err instanceof QingCloudApiError && err.kind === 'notFound';
}

/** True for ret_code 2500 (quota exceeded, which includes the API-call quota). */
export function isThrottled(err: unknown): boolean {
  return err instanceof QingCloudApiError && err.retCode === THROTTLED_RET_CODE;
}

/**
 * True for a 1400 whose message says "please try later" (resource mid-transition, lease not ready).
 * 1400 is overloaded (qingcloud-api.md §3.3); this substring is the one documented retryable case, so it is
 * the only place the SDK reads message text.
 */
export function isTryLater(err: unknown): boolean {
  return err instanceof QingCloudApiError && err.retCode === 1400 && /please try later/i.test(err.apiMessage);
}

/** True for errors worth retrying after a backoff: server busy/internal (5000, 5100) and 1400 "please try later". */
export function isRetryable(err: unknown): boolean {
  return (err instanceof QingCloudApiError && err.kind === 'busy') || isTryLater(err);
}
