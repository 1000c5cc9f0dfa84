import { BaseError, type BaseErrorOptions } from '../../shared/errors.js';

/** The closed set of network-namespace failures the hostnic daemon branches on. */
export type NetOpsErrorKind = 'NotFound' | 'AlreadyExists' | 'InvalidArgument' | 'Busy' | 'Internal';

const CODES: Readonly<Record<NetOpsErrorKind, string>> = {
  NotFound: 'NET_NOT_FOUND',
  AlreadyExists: 'NET_ALREADY_EXISTS',
  InvalidArgument: 'NET_INVALID_ARGUMENT',
  Busy: 'NET_BUSY',
  Internal: 'NET_INTERNAL',
};

/**
 * A link, address, route or namespace operation failed. `kind` is what callers branch on; `code` is stable per kind.
 * Messages name the namespace and link involved and the next step.
 */
export class NetOpsError extends BaseError {
  constructor(
    readonly kind: NetOpsErrorKind,
    message: string,
    options: BaseErrorOptions = {},
  ) {
    super(CODES[kind], message, options);
  }
}

/** True when `err` is a NetOpsError (of `kind`, when given). */
export function isNetOpsError(err: unknown, kind?: NetOpsErrorKind): err is NetOpsError {
  return err instanceof NetOpsError && (kind === undefined || err.kind === kind);
}
