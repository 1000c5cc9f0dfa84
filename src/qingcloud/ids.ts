import { InvalidIdError } from './errors.js';

/**
 * Shapes of QingCloud resource ids (qingcloud-api.md §5). Lenient on length and case, strict on the prefix
 * and charset, so nothing with separators or whitespace reaches a request.
 */
export const ID_PATTERNS = {
  volume: /^vol-[A-Za-z0-9]+$/,
  instance: /^i-[A-Za-z0-9]+$/,
  snapshot: /^ss-[A-Za-z0-9]+$/,
  job: /^j-[A-Za-z0-9]+$/,
  /** NIC ids are MAC addresses. */
  nic: /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/,
  vxnet: /^vxnet-[A-Za-z0-9]+$/,
  tag: /^tag-[A-Za-z0-9]+$/,
  zone: /^[a-z0-9-]+$/,
} as const;

/** A kind of resource id. */
export type IdKind = keyof typeof ID_PATTERNS;

/** Throws InvalidIdError (naming the action) for the first id that does not match its kind. */
export function checkIds(action: string, kind: IdKind, ids: readonly string[] | string | undefined): void {
  if (ids === undefined) return;
  for (const id of typeof ids === 'string' ? [ids] : ids) {
    if (typeof id !== 'string' || !ID_PATTERNS[kind].test(id)) throw new InvalidIdError(action, `${kind} id`, String(id));
  }
}
