import { QingCloudApiError, QingCloudTransportError } from './errors.js';
import type { HttpResponse } from './transport.js';

/** Fields every successful QingCloud answer has, after parseEnvelope's normalisation. */
export interface ApiEnvelope {
  action?: string;
  ret_code: number;
  /** The first job id when the action started a job. */
  job_id?: string;
  /** Every job id the answer carried (CreateSnapshots sends an array; others a string). */
  job_ids?: string[];
}

/** A successful answer: the envelope plus the action's own fields. */
export type ApiResponse = ApiEnvelope & Record<string, unknown>;

/** Job ids of a raw `job_id` value, which is a string, an array of strings, or absent. */
export function normalizeJobIds(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return [];
}

/**
 * Turns an HTTP answer into the action's response: non-200 or a body that is not a JSON object with a
 * numeric ret_code → QingCloudTransportError; ret_code ≠ 0 → QingCloudApiError.
 */
export function parseEnvelope(action: string, res: HttpResponse): ApiResponse {
  if (res.status !== 200) {
    throw new QingCloudTransportError(
      action,
      `HTTP status ${res.status} (body: ${JSON.stringify(res.body.slice(0, 200))}); the endpoint is not answering as the QingCloud API`,
      { status: res.status },
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch (err) {
    throw new QingCloudTransportError(
      action,
      `answer is not JSON (content-type ${JSON.stringify(res.contentType)}, body ${JSON.stringify(res.body.slice(0, 200))}); ` +
        'check that the endpoint is the QingCloud API',
      { cause: err, status: res.status },
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new QingCloudTransportError(action, 'answer is JSON but not an object; check that the endpoint is the QingCloud API');
  }
  const record = body as Record<string, unknown>;
  const retCode = record['ret_code'];
  if (typeof retCode !== 'number') {
    throw new QingCloudTransportError(action, 'answer has no numeric ret_code; check that the endpoint is the QingCloud API');
  }
  if (retCode !== 0) {
    const message = typeof record['message'] === 'string' ? record['message'] : '';
    throw new QingCloudApiError(action, retCode, message);
  }
  if ('job_id' in record) {
    const ids = normalizeJobIds(record['job_id']);
    record['job_ids'] = ids;
    if (ids[0] === undefined) delete record['job_id'];
    else record['job_id'] = ids[0];
  }
  return record as ApiResponse;
}
