/** Options every project error accepts: the underlying cause is always kept. */
export interface BaseErrorOptions {
  cause?: unknown;
}

/** Base of every error this project throws: a stable machine `code`, a `name`, and the `cause` kept. */
export class BaseError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options: BaseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** True when `err` is a Node system error with the given errno code (e.g. 'ENOENT'). */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** The message of anything thrown, for wrapping into a user-facing message. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
