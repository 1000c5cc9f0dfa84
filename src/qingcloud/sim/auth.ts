import { timingSafeEqual } from 'node:crypto';
import { canonicalQuery, hmacBase64, stringToSign } from '../signer.js';
import { invalidParam, SimApiError } from './errors.js';
import type { AccessKey } from './model.js';
import { quote } from './params.js';

/** What verification needs besides the request. */
export interface VerifyContext {
  keys: readonly AccessKey[];
  nowMs: number;
  /** Allowed distance between time_stamp and the server clock (qingcloud-api.md §2.4: 60 s). */
  windowSec: number;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z?$/;

/**
 * Verifies a signature_version 1 request (qingcloud-api.md §2.5) over the decoded params and the path as received.
 * Returns the caller's access key id. Throws 1200 for an unknown key or a bad or missing signature, 1100 for a bad
 * signature_method/version or time format, 1300 for a stale time_stamp or a past `expires`.
 */
export function verifyRequest(method: string, path: string, params: ReadonlyMap<string, string>, ctx: VerifyContext): string {
  const keyId = params.get('access_key_id');
  if (keyId === undefined || keyId === '') throw new SimApiError(1200, 'parameter [access_key_id] is missing; sign every request with your API key');
  const key = ctx.keys.find((k) => k.access_key_id === keyId);
  if (key === undefined) throw new SimApiError(1200, `access key [${keyId.slice(0, 64)}] is unknown; check qy_access_key_id in your config`);

  const methodName = params.get('signature_method') ?? 'HmacSHA256';
  if (methodName !== 'HmacSHA256' && methodName !== 'HmacSHA1') {
    throw invalidParam(`parameter [signature_method] must be HmacSHA256 or HmacSHA1, got ${quote(methodName)}`);
  }
  const version = params.get('signature_version');
  if (version !== undefined && version !== '1') throw invalidParam(`parameter [signature_version] must be 1, got ${quote(version)}`);

  const given = params.get('signature');
  if (given === undefined || given === '') throw new SimApiError(1200, `request by access key [${keyId}] carries no signature; sign it (signature_version 1)`);
  const expected = hmacBase64(key.secret_access_key, stringToSign(method, path, canonicalQuery(Object.fromEntries(params))), methodName);
  if (!sameText(given.trim(), expected)) {
    throw new SimApiError(
      1200,
      `signature mismatch for access key [${keyId}] (method ${method}, path ${path}); sign the sorted, percent-encoded params with the matching secret key`,
    );
  }

  const stamp = params.get('time_stamp');
  if (stamp === undefined || stamp === '') throw invalidParam('parameter [time_stamp] is required (UTC YYYY-MM-DDThh:mm:ssZ)');
  const stampMs = parseTimestamp('time_stamp', stamp);
  if (Math.abs(ctx.nowMs - stampMs) > ctx.windowSec * 1000) {
    throw new SimApiError(
      1300,
      `request expired: time_stamp ${stamp} is more than ${ctx.windowSec} s away from the server time ${new Date(ctx.nowMs).toISOString()}; sync the clock and sign a fresh request`,
    );
  }
  const expires = params.get('expires');
  if (expires !== undefined && expires !== '') {
    const expiresMs = parseTimestamp('expires', expires);
    if (ctx.nowMs > expiresMs) throw new SimApiError(1300, `request expired at ${expires}; sign a fresh request with a later expires`);
  }
  return keyId;
}

function parseTimestamp(name: string, text: string): number {
  const ms = TIMESTAMP.test(text) ? Date.parse(text.endsWith('Z') ? text : `${text}Z`) : Number.NaN;
  if (Number.isNaN(ms)) throw invalidParam(`parameter [${name}] must be UTC YYYY-MM-DDThh:mm:ssZ, got ${quote(text)}`);
  return ms;
}

/** Constant-time comparison of two texts (different lengths compare unequal without leaking where). */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    timingSafeEqual(right, right);
    return false;
  }
  return timingSafeEqual(left, right);
}
