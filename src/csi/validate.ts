import type { AccessModeName, CapacityRange, VolumeCapability } from './csi-types.js';
import { CsiError } from './errors.js';
import type { ByteRange } from './capacity.js';
import { FS_TYPES } from './params.js';

/** Access modes a QingCloud block volume supports: one node at a time. */
export const SUPPORTED_ACCESS_MODES: readonly AccessModeName[] = ['SINGLE_NODE_WRITER', 'SINGLE_NODE_READER_ONLY'];

/** Volume, snapshot and instance ids as QingCloud issues them. */
export const VOLUME_ID = /^vol-[a-z0-9]{8}$/;
export const SNAPSHOT_ID = /^ss-[a-z0-9]{8}$/;
export const INSTANCE_ID = /^i-[a-z0-9]{8}$/;

const MAX_NAME_BYTES = 128;
// Control characters the spec forbids in names: U+0000–0008, U+000B, U+000C, U+000E–001F, U+007F–009F.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_NAME_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** Throws INVALID_ARGUMENT naming the field when a required string is empty. */
export function requireField(value: string | undefined | null, field: string, rpc: string): string {
  if (value === undefined || value === null || value === '') throw new CsiError('INVALID_ARGUMENT', `${rpc}: ${field} is required`);
  return value;
}

/** Checks a CO-chosen name (volume or snapshot) against the spec's size and character rules. */
export function validateName(name: string, field: string, rpc: string): string {
  requireField(name, field, rpc);
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    throw new CsiError('INVALID_ARGUMENT', `${rpc}: ${field} is longer than ${MAX_NAME_BYTES} bytes`);
  }
  if (FORBIDDEN_NAME_CHARS.test(name)) throw new CsiError('INVALID_ARGUMENT', `${rpc}: ${field} contains control characters`);
  return name;
}

/** Why a capability cannot be served, or undefined when it can. */
export function capabilityProblem(cap: VolumeCapability): string | undefined {
  const mode = cap.access_mode?.mode;
  if (mode === undefined || mode === 'UNKNOWN' || mode === 0) return 'access_mode is required';
  if (typeof mode === 'number' || !SUPPORTED_ACCESS_MODES.includes(mode)) {
    return `access mode ${String(mode)} is not supported: a QingCloud disk attaches to one node at a time (use ReadWriteOnce)`;
  }
  if (cap.access_type === 'mount' || cap.mount !== undefined) {
    const fs = cap.mount?.fs_type ?? '';
    if (fs !== '' && !(FS_TYPES as readonly string[]).includes(fs)) return `fs_type ${fs} is not supported; use ${FS_TYPES.join(', ')}`;
    return undefined;
  }
  if (cap.access_type === 'block' || cap.block !== undefined) return undefined;
  return 'access_type (block or mount) is required';
}

/** Throws INVALID_ARGUMENT when the list is empty or any capability cannot be served. */
export function validateCapabilities(caps: readonly VolumeCapability[] | undefined, field: string, rpc: string): void {
  if (caps === undefined || caps.length === 0) throw new CsiError('INVALID_ARGUMENT', `${rpc}: ${field} is required`);
  for (const cap of caps) {
    const problem = capabilityProblem(cap);
    if (problem !== undefined) throw new CsiError('INVALID_ARGUMENT', `${rpc}: ${problem}`);
  }
}

/** Throws INVALID_ARGUMENT when the single capability is missing or cannot be served. */
export function validateCapability(cap: VolumeCapability | null | undefined, field: string, rpc: string): VolumeCapability {
  if (cap === null || cap === undefined) throw new CsiError('INVALID_ARGUMENT', `${rpc}: ${field} is required`);
  validateCapabilities([cap], field, rpc);
  return cap;
}

/** True when the capability asks for a raw block device. */
export function isBlock(cap: VolumeCapability | null | undefined): boolean {
  return cap !== null && cap !== undefined && (cap.access_type === 'block' || (cap.block !== undefined && cap.mount === undefined));
}

/** CapacityRange (int64 strings) → numbers; bytes stay exact up to 2^53 (8 PiB), far above any disk. */
export function toByteRange(range: CapacityRange | null | undefined): ByteRange | undefined {
  if (range === null || range === undefined) return undefined;
  return { requiredBytes: parseInt64(range.required_bytes, 'required_bytes'), limitBytes: parseInt64(range.limit_bytes, 'limit_bytes') };
}

function parseInt64(value: string, field: string): number {
  if (!/^-?\d{1,19}$/.test(value)) throw new CsiError('INVALID_ARGUMENT', `capacity_range.${field} "${value}" is not an integer`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new CsiError('OUT_OF_RANGE', `capacity_range.${field} ${value} is beyond any volume size`);
  return n;
}
