import { lstat, unlink, chmod } from 'node:fs/promises';
import type protobuf from 'protobufjs';
import type { Logger } from '../shared/log.js';
import { isErrno } from '../shared/errors.js';
import { GRPC_STATUS, GrpcStatusError, serveUnary, type UnaryMethod } from './grpc-unary.js';
import { CSI_CONVERSION_OPTIONS, checkServiceMethods, loadCsiRoot, redactCsiMessage } from './proto.js';
import { CONTROLLER_METHODS, IDENTITY_METHODS, NODE_METHODS } from './csi-types.js';
import { grpcCode, toCsiStatus } from './status.js';
import { CsiError, type CsiStatus } from './errors.js';

/** A handler object: methods named like the RPCs, taking (request, {signal}). */
type Handlers = Record<string, unknown>;

/** The services this process serves; a missing one answers UNIMPLEMENTED. */
export interface CsiServices {
  identity: Handlers;
  controller?: Handlers;
  node?: Handlers;
}

/** Hears about every answered RPC (metrics). */
export type RpcObserver = (method: string, code: CsiStatus | 'OK', seconds: number) => void;

/** A running CSI gRPC server. */
export interface RunningCsiServer {
  socketPath: string;
  /** Stops accepting calls, lets in-flight calls finish (up to graceMs), then closes. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Most UTF-8 bytes of a status message on the wire. It goes percent-encoded in an HTTP/2 trailer; one larger
 * than the peer's header limit (8 KiB by default) does not fail the call but stalls it and the connection until the
 * caller's deadline. Messages can quote request values (paths, parameter lists), so they are cut here.
 */
export const MAX_STATUS_DETAILS_BYTES = 1500;

/** `message` cut to MAX_STATUS_DETAILS_BYTES (whole code points), saying how much was left out. */
export function boundedDetails(message: string): string {
  if (Buffer.byteLength(message) <= MAX_STATUS_DETAILS_BYTES) return message;
  let bytes = 0;
  let out = '';
  for (const ch of message) {
    bytes += Buffer.byteLength(ch);
    if (bytes > MAX_STATUS_DETAILS_BYTES - 40) break;
    out += ch;
  }
  return `${out}... (${Buffer.byteLength(message) - Buffer.byteLength(out)} more bytes)`;
}

/** Parses `unix:///abs/path.sock` (or a bare absolute path) into the socket path. */
export function socketPathOf(endpoint: string): string {
  const path = endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : endpoint;
  if (!path.startsWith('/') || path.includes('\0')) {
    throw new CsiError('INVALID_ARGUMENT', `CSI endpoint ${endpoint} must be unix:///absolute/path.sock`);
  }
  return path;
}

/**
 * Serves the CSI services on a unix socket. A stale socket left by a crashed process is removed first (only a
 * socket, never another kind of file). Every handler error is mapped to a gRPC status here, once, and logged once.
 */
export async function startCsiServer(endpoint: string, services: CsiServices, logger: Logger, observe?: RpcObserver): Promise<RunningCsiServer> {
  const socketPath = socketPathOf(endpoint);
  await removeStaleSocket(socketPath);
  const root = loadCsiRoot();
  const methods = new Map<string, UnaryMethod>();
  const table: [string, readonly string[], Handlers | undefined][] = [
    ['Identity', IDENTITY_METHODS, services.identity],
    ['Controller', CONTROLLER_METHODS, services.controller],
    ['Node', NODE_METHODS, services.node],
  ];
  for (const [name, names, handlers] of table) {
    for (const [method, rpc] of serviceMethods(root, name, names)) {
      methods.set(`/csi.v1.${name}/${method}`, { ...codec(rpc), call: wrap(name, method, handlers, logger, observe) });
    }
  }
  const server = await serveUnary(socketPath, methods, { maxReceiveBytes: 4 * 1024 * 1024, onError: (err) => logger.error({ err: err.message }, 'CSI server error; calls go on') });
  // Only root (kubelet, the sidecars) talks to the driver.
  await chmod(socketPath, 0o660);
  logger.info({ socket: socketPath }, 'CSI server listening');
  return {
    socketPath,
    stop: async (graceMs = 30_000) => {
      await server.close(graceMs);
      await unlink(socketPath).catch(() => undefined);
    },
  };
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (!st.isSocket()) throw new CsiError('FAILED_PRECONDITION', `${path} exists and is not a socket; remove it or choose another --endpoint`);
    await unlink(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}

/** The methods of csi.v1.<name>, checked against the list src/csi/csi-types.ts describes. */
function serviceMethods(root: protobuf.Root, name: string, expected: readonly string[]): [string, protobuf.Method][] {
  const service = root.lookupService(`csi.v1.${name}`);
  checkServiceMethods('CSI proto', name, Object.keys(service.methods), expected);
  return expected.map((m) => [m, service.methods[m]!.resolve() as protobuf.Method]);
}

/** Wire codec of one method, converting like the clients' proto-loader (CSI_CONVERSION_OPTIONS). */
function codec(rpc: protobuf.Method): Pick<UnaryMethod, 'decode' | 'encode'> {
  const request = rpc.resolvedRequestType!;
  const response = rpc.resolvedResponseType!;
  return {
    decode: (bytes) => request.toObject(request.decode(bytes), CSI_CONVERSION_OPTIONS),
    encode: (message) => response.encode(response.fromObject(message as Record<string, unknown>)).finish(),
  };
}

/** One RPC: runs the handler, maps its error to a status once, logs it once and reports it to the observer. */
function wrap(service: string, method: string, handlers: Handlers | undefined, logger: Logger, observe?: RpcObserver): UnaryMethod['call'] {
  const fn = handlers?.[method];
  return async (request, signal) => {
    if (typeof fn !== 'function') {
      throw new GrpcStatusError(GRPC_STATUS.UNIMPLEMENTED, `${service}.${method} is not served by this plugin instance`);
    }
    const started = Date.now();
    try {
      const response = await (fn as (req: unknown, ctx: { signal: AbortSignal }) => Promise<unknown>).call(handlers, request, { signal });
      logger.debug({ rpc: method, ms: Date.now() - started }, 'rpc ok');
      observe?.(method, 'OK', (Date.now() - started) / 1000);
      return response;
    } catch (err) {
      const { status, message } = toCsiStatus(err);
      const level = status === 'INTERNAL' ? 'error' : 'warn';
      logger[level]({ rpc: method, status, ms: Date.now() - started, request: redactCsiMessage(request), err }, message);
      observe?.(method, status, (Date.now() - started) / 1000);
      throw new GrpcStatusError(grpcCode(status), boundedDetails(message));
    }
  };
}
