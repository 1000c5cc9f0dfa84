import { createHmac } from 'node:crypto';

/** Signature algorithms QingCloud's signature_version 1 accepts. */
export type SignatureMethod = 'HmacSHA256' | 'HmacSHA1';

/** Request parameters as sent on the wire: every value already a string. */
export type WireParams = Readonly<Record<string, string>>;

/**
 * Percent-encodes per qingcloud-api.md §2.2: only RFC 3986 unreserved characters stay, hex is upper-case,
 * a space is %20. encodeURIComponent leaves `! ' ( ) *` alone, so those are escaped here.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Byte-wise ascending order of UTF-8 names (`volumes.1 < volumes.10 < volumes.2`). */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The canonical query string: every param but `signature`, sorted by name, encoded, joined with `&`. */
export function canonicalQuery(params: WireParams): string {
  return Object.keys(params)
    .filter((name) => name !== 'signature')
    .sort(compareBytes)
    .map((name) => `${percentEncode(name)}=${percentEncode(params[name] ?? '')}`)
    .join('&');
}

/** `METHOD\nPATH\ncanonical` — the exact text that is signed. */
export function stringToSign(method: string, path: string, canonical: string): string {
  return `${method.toUpperCase()}\n${path}\n${canonical}`;
}

/** Standard base64 of the HMAC of `text` keyed by the secret access key. */
export function hmacBase64(secret: string, text: string, method: SignatureMethod = 'HmacSHA256'): string {
  const algorithm = method === 'HmacSHA1' ? 'sha1' : 'sha256';
  return createHmac(algorithm, Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('base64').trim();
}

/** The signed request: the canonical query with `&signature=` appended (query for GET, body for POST). */
export interface SignedRequest {
  canonical: string;
  signature: string;
  /** canonical + "&signature=<url-encoded signature>". */
  encoded: string;
}

/** Signs `params` (which must already hold access_key_id, signature_method, signature_version, time_stamp). */
export function signRequest(method: string, path: string, params: WireParams, secret: string): SignedRequest {
  const canonical = canonicalQuery(params);
  const signatureMethod: SignatureMethod = params['signature_method'] === 'HmacSHA1' ? 'HmacSHA1' : 'HmacSHA256';
  const signature = hmacBase64(secret, stringToSign(method, path, canonical), signatureMethod);
  return { canonical, signature, encoded: `${canonical}&signature=${percentEncode(signature)}` };
}

/** UTC `YYYY-MM-DDThh:mm:ssZ` as QingCloud wants it (no fractional seconds). */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
