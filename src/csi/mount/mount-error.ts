import { BaseError, type BaseErrorOptions } from '../../shared/errors.js';

/** The closed set of mount-layer failures the node service branches on. */
export type MountErrorKind = 'NotFound' | 'InvalidArgument' | 'FailedPrecondition' | 'Busy' | 'Internal';

const CODES: Readonly<Record<MountErrorKind, string>> = {
  NotFound: 'MOUNT_NOT_FOUND',
  InvalidArgument: 'MOUNT_INVALID_ARGUMENT',
  FailedPrecondition: 'MOUNT_FAILED_PRECONDITION',
  Busy: 'MOUNT_BUSY',
  Internal: 'MOUNT_INTERNAL',
};

/**
 * A device, mount or path operation failed. `kind` is what callers branch on; `code` is stable per kind.
 * Messages name the device/path and the next step, and never contain mount flags.
 */
export class MountError extends BaseError {
  constructor(
    readonly kind: MountErrorKind,
    message: string,
    options: BaseErrorOptions = {},
  ) {
    super(CODES[kind], message, options);
  }
}

/** True when `err` is a MountError (of `kind`, when given). */
export function isMountError(err: unknown, kind?: MountErrorKind): err is MountError {
  return err instanceof MountError && (kind === undefined || err.kind === kind);
}
