import type { AddRequest, AddResponse, CheckRequest, DelRequest, GcRequest, ProtocolVerb, StatusResponse } from '../protocol.js';
import { BaseError, type BaseErrorOptions } from '../../shared/errors.js';

/** The plugin's view of hostnic-daemon (protocol.ts); one real adapter: HttpDaemonClient. */
export interface DaemonClient {
  /** Throws DaemonCallError subclasses; resolves with the daemon's 200 answer. */
  add(request: AddRequest): Promise<AddResponse>;
  del(request: DelRequest): Promise<void>;
  check(request: CheckRequest): Promise<void>;
  status(): Promise<StatusResponse>;
  gc(request: GcRequest): Promise<void>;
}

/** Where and how patiently to reach the daemon; built from the plugin config. */
export interface DaemonClientOptions {
  socketPath: string;
  /** Per-verb answer timeouts (protocol.ts DEFAULT_TIMEOUTS_MS). */
  timeoutsMs: Readonly<Record<ProtocolVerb, number>>;
}

/** Makes the client for one plugin run (the socket path comes from the network config on stdin). */
export type DaemonClientFactory = (options: DaemonClientOptions) => DaemonClient;

/** Base of every failed daemon call; `verb` and `socketPath` say which call and where. */
export abstract class DaemonCallError extends BaseError {
  constructor(
    code: string,
    readonly verb: ProtocolVerb,
    readonly socketPath: string,
    message: string,
    options?: BaseErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** Nothing listens on the socket (missing file, refused, no permission): the daemon is down or not started. */
export class DaemonUnreachableError extends DaemonCallError {
  constructor(verb: ProtocolVerb, socketPath: string, reason: string, options?: BaseErrorOptions) {
    super(
      'HOSTNIC_DAEMON_UNREACHABLE',
      verb,
      socketPath,
      `hostnic daemon is not reachable at unix socket ${socketPath} (${reason}): check that the hostnic-daemon pod on this node is running and ready; it creates the socket when it starts`,
      options,
    );
  }
}

/** The daemon accepted the request but did not answer within the verb's timeout. */
export class DaemonTimeoutError extends DaemonCallError {
  constructor(
    verb: ProtocolVerb,
    socketPath: string,
    readonly timeoutMs: number,
  ) {
    super(
      'HOSTNIC_DAEMON_TIMEOUT',
      verb,
      socketPath,
      `hostnic daemon at ${socketPath} did not answer ${verb.toUpperCase()} within ${Math.round(timeoutMs / 1000)} s; it may still be working on it (e.g. a NIC attach): the runtime retries, and the hostnic-daemon log says what it waits for`,
    );
  }
}

/** The daemon answered with a protocol ErrorBody: `cniCode` is the CNI error code it chose. */
export class DaemonAnswerError extends DaemonCallError {
  constructor(
    verb: ProtocolVerb,
    socketPath: string,
    readonly httpStatus: number,
    readonly cniCode: number,
    message: string,
    readonly details?: string,
  ) {
    super('HOSTNIC_DAEMON_ERROR', verb, socketPath, message);
  }
}

/** The daemon's answer is not what protocol.ts describes (wrong version of the daemon, or a bug). */
export class DaemonProtocolError extends DaemonCallError {
  constructor(verb: ProtocolVerb, socketPath: string, problem: string, options?: BaseErrorOptions) {
    super(
      'HOSTNIC_DAEMON_PROTOCOL',
      verb,
      socketPath,
      `hostnic daemon at ${socketPath} answered ${verb.toUpperCase()} with something this plugin does not understand (${problem}): make sure the hostnic plugin in the CNI bin dir and the hostnic-daemon image are the same release`,
      options,
    );
  }
}
