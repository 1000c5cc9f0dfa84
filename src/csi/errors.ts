import { BaseError, type BaseErrorOptions } from '../shared/errors.js';

/** The gRPC status names a CSI service may answer with (mapped to numbers once, in status.ts). */
export type CsiStatus =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED';

/** An error whose CSI status is already decided; `message` is shown to users (kubectl describe). */
export class CsiError extends BaseError {
  constructor(
    readonly status: CsiStatus,
    message: string,
    options?: BaseErrorOptions,
  ) {
    super(`CSI_${status}`, message, options);
  }
}

/** Shorthand for the most common case: a request field is missing or wrong. */
export function invalidArgument(message: string): CsiError {
  return new CsiError('INVALID_ARGUMENT', message);
}
