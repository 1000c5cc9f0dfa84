import { invalidParam } from './errors.js';
import { PARAM_LIMITS, quote } from './params.js';

/** Largest request body (and query) the simulator reads; beyond it the request is answered with 1100. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Most parameters one request may carry. */
export const MAX_PARAMS = 5000;

/**
 * Decodes `a=1&b=x%20y` (query string or x-www-form-urlencoded body): `%XX` and `+` (as space, because clients
 * differ; qingcloud-api.md §2.5). Malformed escapes, invalid UTF-8, or a repeated name → 1100.
 */
export function parseForm(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (text === '') return out;
  const pairs = text.split('&');
  if (pairs.length > MAX_PARAMS) throw invalidParam(`the request has more than ${MAX_PARAMS} parameters`);
  for (const pair of pairs) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = decode(eq < 0 ? '' : pair.slice(eq + 1));
    if (name === '') throw invalidParam('the request has a parameter with an empty name');
    if (name.length > 256) throw invalidParam(`parameter name ${quote(name)} is longer than 256 characters`);
    if (value.length > PARAM_LIMITS.maxStringLength * 4) throw invalidParam(`parameter [${name}] is too long`);
    if (out.has(name)) throw invalidParam(`parameter [${name}] is given twice; send each name once`);
    out.set(name, value);
  }
  return out;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw invalidParam(`the request holds a malformed percent-encoding near ${quote(text)}; encode per RFC 3986`);
  }
}
