import { CsiError } from './errors.js';

/** Size rules of one volume type (or of a StorageClass's legacy minSize/maxSize/stepSize), in GiB. */
export interface SizeRule {
  minGiB: number;
  maxGiB: number;
  stepGiB: number;
}

/** A CSI CapacityRange in bytes; 0 means "not set" (proto3 defaults). */
export interface ByteRange {
  requiredBytes: number;
  limitBytes: number;
}

export const GiB = 1024 ** 3;

/**
 * The volume size in GiB for a capacity range: the smallest size the rule allows that is ≥ required_bytes,
 * rounded up to the step. A range the rule cannot satisfy is OUT_OF_RANGE — never silently clamped
 * (qingcloud-anchors.md A.16 #1).
 */
export function resolveSizeGiB(range: ByteRange | undefined, rule: SizeRule, what: string): number {
  const required = range?.requiredBytes ?? 0;
  const limit = range?.limitBytes ?? 0;
  if (required < 0 || limit < 0) throw new CsiError('INVALID_ARGUMENT', `capacity_range must not be negative (required_bytes ${required}, limit_bytes ${limit})`);
  if (limit > 0 && required > limit) {
    throw new CsiError('INVALID_ARGUMENT', `capacity_range.required_bytes ${required} is larger than limit_bytes ${limit}`);
  }
  const wantedGiB = Math.max(rule.minGiB, Math.ceil(required / GiB));
  const sizeGiB = roundUpToStep(wantedGiB, rule.stepGiB);
  const allowed = `${what} takes sizes from ${rule.minGiB} to ${rule.maxGiB} GiB in steps of ${rule.stepGiB} GiB`;
  if (sizeGiB > rule.maxGiB) {
    throw new CsiError('OUT_OF_RANGE', `requested ${describeRange(required, limit)} but ${allowed}; request at most ${rule.maxGiB} GiB or use another volume type`);
  }
  if (limit > 0 && sizeGiB * GiB > limit) {
    throw new CsiError('OUT_OF_RANGE', `requested ${describeRange(required, limit)} but ${allowed}, so the smallest fitting size is ${sizeGiB} GiB; raise limit_bytes`);
  }
  return sizeGiB;
}

/** Rounds up to a multiple of the step (a step ≤ 0 means any whole GiB). */
export function roundUpToStep(sizeGiB: number, stepGiB: number): number {
  if (stepGiB <= 0) return Math.ceil(sizeGiB);
  return Math.ceil(sizeGiB / stepGiB) * stepGiB;
}

/** True when `sizeGiB` satisfies the range (used to check an existing volume against a repeated request). */
export function sizeFitsRange(sizeGiB: number, range: ByteRange | undefined): boolean {
  const bytes = sizeGiB * GiB;
  if (range === undefined) return true;
  if (range.requiredBytes > 0 && bytes < range.requiredBytes) return false;
  if (range.limitBytes > 0 && bytes > range.limitBytes) return false;
  return true;
}

function describeRange(required: number, limit: number): string {
  const parts: string[] = [];
  if (required > 0) parts.push(`at least ${formatBytes(required)}`);
  if (limit > 0) parts.push(`at most ${formatBytes(limit)}`);
  return parts.length > 0 ? parts.join(' and ') : 'the default size';
}

function formatBytes(bytes: number): string {
  return bytes % GiB === 0 ? `${bytes / GiB} GiB` : `${bytes} bytes`;
}
