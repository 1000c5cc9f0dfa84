import { OperationConflictError, OperationDetachedError } from '../shared/inflight.js';
import { CsiError, type CsiStatus } from './errors.js';
import { GRPC_STATUS } from './grpc-unary.js';
import { MountError, type MountErrorKind } from './mount/mount-error.js';
import { StorageError, type StorageErrorKind } from './storage/block-storage.js';

const STORAGE_STATUS: Readonly<Record<StorageErrorKind, CsiStatus>> = {
  NotFound: 'NOT_FOUND',
  AlreadyExists: 'ALREADY_EXISTS',
  InvalidArgument: 'INVALID_ARGUMENT',
  OutOfRange: 'OUT_OF_RANGE',
  LimitExceeded: 'RESOURCE_EXHAUSTED',
  FailedPrecondition: 'FAILED_PRECONDITION',
  // Busy covers cloud throttling, "please try later" and transport trouble: the sidecars retry UNAVAILABLE.
  Busy: 'UNAVAILABLE',
  Unauthorized: 'PERMISSION_DENIED',
  Internal: 'INTERNAL',
};

const MOUNT_STATUS: Readonly<Record<MountErrorKind, CsiStatus>> = {
  NotFound: 'NOT_FOUND',
  InvalidArgument: 'INVALID_ARGUMENT',
  FailedPrecondition: 'FAILED_PRECONDITION',
  Busy: 'UNAVAILABLE',
  Internal: 'INTERNAL',
};

/** The CSI status and user-facing message of anything a handler threw: the one place errors become statuses. */
export function toCsiStatus(err: unknown): { status: CsiStatus; message: string } {
  if (err instanceof CsiError) return { status: err.status, message: err.message };
  if (err instanceof StorageError) return { status: STORAGE_STATUS[err.kind], message: err.message };
  if (err instanceof MountError) return { status: MOUNT_STATUS[err.kind], message: err.message };
  // A different operation holds the volume: ABORTED tells the CO to retry with backoff (spec, general error table).
  if (err instanceof OperationConflictError) return { status: 'ABORTED', message: err.message };
  // The caller's deadline passed while the cloud job goes on; the retry joins it.
  if (err instanceof OperationDetachedError) return { status: 'DEADLINE_EXCEEDED', message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { status: 'INTERNAL', message: `internal error: ${message}` };
}

/** The numeric gRPC code of a CSI status. */
export function grpcCode(status: CsiStatus): number {
  return GRPC_STATUS[status];
}
