import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/google/protobuf/descriptor.json' with { type: 'json' };
import { BaseError, messageOf, type BaseErrorOptions } from '../shared/errors.js';

/** Location of the CSI proto inside the repository (and the image). */
export const CSI_PROTO_RELATIVE_PATH = join('proto', 'csi', 'v1', 'csi.proto');

/**
 * How decoded CSI messages look in JS (src/csi/csi-types.ts describes the shapes): int64 and enums as strings,
 * proto3 defaults filled in, oneof names set. Field names stay snake_case (the root is loaded with keepCase).
 */
export const CSI_CONVERSION_OPTIONS: Readonly<protobuf.IConversionOptions> = Object.freeze({
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

/**
 * Fields marked `(csi_secret)` in csi.proto, as `<Message>.<field>`: their values never go to logs,
 * errors or events.
 */
export const CSI_SECRET_FIELDS = [
  'CreateVolumeRequest.secrets',
  'DeleteVolumeRequest.secrets',
  'ControllerPublishVolumeRequest.secrets',
  'ControllerUnpublishVolumeRequest.secrets',
  'ValidateVolumeCapabilitiesRequest.secrets',
  'ControllerModifyVolumeRequest.secrets',
  'CreateSnapshotRequest.secrets',
  'DeleteSnapshotRequest.secrets',
  'ListSnapshotsRequest.secrets',
  'GetSnapshotRequest.secrets',
  'ControllerExpandVolumeRequest.secrets',
  'NodeStageVolumeRequest.secrets',
  'NodePublishVolumeRequest.secrets',
  'NodeExpandVolumeRequest.secrets',
] as const;

/** Every field whose value must not be logged: the secrets plus mount flags (the spec calls them sensitive). */
export const CSI_SENSITIVE_FIELDS = [...CSI_SECRET_FIELDS, 'VolumeCapability.MountVolume.mount_flags'] as const;

/**
 * JS property names (keepCase) of the sensitive fields. In csi.proto every secret field is called
 * `secrets` and only MountVolume has `mount_flags`, so redacting by key name is exact.
 */
export const CSI_SENSITIVE_KEYS: ReadonlySet<string> = new Set(['secrets', 'mount_flags']);

const REDACTED = '[redacted]';

/**
 * A copy of a decoded CSI message safe to log: `secrets` keep their keys with every value replaced,
 * `mount_flags` become one marker. The input is not modified.
 */
export function redactCsiMessage<T>(message: T): T {
  return redactValue(message) as T;
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (!CSI_SENSITIVE_KEYS.has(key)) out[key] = redactValue(inner);
    else if (Array.isArray(inner)) out[key] = inner.length === 0 ? [] : [REDACTED];
    else if (inner !== null && typeof inner === 'object') out[key] = Object.fromEntries(Object.keys(inner).map((k) => [k, REDACTED]));
    else out[key] = inner === undefined || inner === null ? inner : REDACTED;
  }
  return out;
}

/** Failure to find or load the CSI wire definitions; fatal at start-up. */
export class CsiProtoError extends BaseError {
  constructor(code: 'CSI_PROTO_NOT_FOUND' | 'CSI_PROTO_INVALID', message: string, options?: BaseErrorOptions) {
    super(code, message, options);
  }
}

/**
 * The nearest directory at or above `startDir` that contains package.json (the repo root both from
 * src/csi under vitest and from dist/csi after tsc).
 */
export function findPackageRoot(startDir: string): string {
  let dir = startDir;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new CsiProtoError(
        'CSI_PROTO_NOT_FOUND',
        `cannot locate the package root (no package.json in ${startDir} or above): run from a checkout or an image that ships package.json and ${CSI_PROTO_RELATIVE_PATH}`,
      );
    }
    dir = parent;
  }
}

/** Absolute path of csi.proto, found from the location of `moduleUrl` (defaults to this module). */
export function csiProtoPath(moduleUrl: string = import.meta.url): string {
  const root = findPackageRoot(dirname(fileURLToPath(moduleUrl)));
  const path = join(root, CSI_PROTO_RELATIVE_PATH);
  if (!existsSync(path)) {
    throw new CsiProtoError(
      'CSI_PROTO_NOT_FOUND',
      `CSI proto ${path} does not exist: ship the proto/ directory next to package.json`,
    );
  }
  return path;
}

/** Throws CSI_PROTO_INVALID when csi.v1.<service> in `source` does not have exactly the methods csi-types.ts lists. */
export function checkServiceMethods(source: string, service: string, actual: readonly string[], expected: readonly string[]): void {
  const missing = expected.filter((m) => !actual.includes(m));
  const extra = actual.filter((m) => !expected.includes(m));
  if (missing.length > 0 || extra.length > 0) {
    throw new CsiProtoError(
      'CSI_PROTO_INVALID',
      `${source}: service csi.v1.${service} does not match src/csi/csi-types.ts (missing: ${missing.join(', ') || 'none'}; unexpected: ${extra.join(', ') || 'none'}); update both together`,
    );
  }
}

/** Include directories for csi.proto: its own tree. google/protobuf/* imports resolve to the copies bundled with protobufjs. */
export function includeDirsFor(protoPath: string): string[] {
  return [join(dirname(protoPath), '..', '..')];
}

/** Options of loadCsiPackage / loadCsiRoot. */
export interface LoadCsiOptions {
  /** Defaults to csiProtoPath(). */
  protoPath?: string;
}

/**
 * csi.proto as a protobufjs reflection root (snake_case field names, custom options such as
 * `(csi_secret)` kept), for tests and tooling that need field numbers or to encode fixtures.
 */
export function loadCsiRoot(options: LoadCsiOptions = {}): protobuf.Root {
  const protoPath = options.protoPath ?? csiProtoPath();
  // protobufjs ships descriptor.proto only as JSON; csi.proto imports it for its field options.
  protobuf.common('descriptor', (descriptor as { nested: { google: { nested: { protobuf: { nested: protobuf.INamespace['nested'] } } } } }).nested.google.nested.protobuf.nested!);
  try {
    const root = new protobuf.Root();
    const includeDirs = includeDirsFor(protoPath);
    const resolve = root.resolvePath.bind(root);
    // Same lookup as proto-loader's includeDirs, so both views of the file agree.
    root.resolvePath = (origin, target) => {
      if (isAbsolute(target)) return target;
      for (const dir of includeDirs) {
        const candidate = join(dir, target);
        if (existsSync(candidate)) return candidate;
      }
      return resolve(origin, target);
    };
    root.loadSync(protoPath, { keepCase: true });
    root.resolveAll();
    return root;
  } catch (err) {
    throw new CsiProtoError('CSI_PROTO_INVALID', `cannot load CSI proto ${protoPath}: ${messageOf(err)}; fix or restore the file`, {
      cause: err,
    });
  }
}
