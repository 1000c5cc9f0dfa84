import { Server, ServerCredentials, status as GrpcStatus, type ServerUnaryCall, type sendUnaryData, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { lstat, unlink, chmod } from 'node:fs/promises';
import type { Logger } from '../shared/log.js';
import { isErrno } from '../shared/errors.js';
import { loadCsiPackage, redactCsiMessage } from './proto.js';
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
 * Most UTF-8 bytes of a status message on the wire. grpc-js sends it percent-encoded in an HTTP/2 trailer; one larger
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
  const pkg = loadCsiPackage();
  const server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  server.addService(pkg.identity, wrap('Identity', IDENTITY_METHODS, services.identity, logger, observe));
  server.addService(pkg.controller, wrap('Controller', CONTROLLER_METHODS, services.controller, logger, observe));
  server.addService(pkg.node, wrap('Node', NODE_METHODS, services.node, logger, observe));
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
  });
  // Only root (kubelet, the sidecars) talks to the driver.
  await chmod(socketPath, 0o660);
  logger.info({ socket: socketPath }, 'CSI server listening');
  return {
    socketPath,
    stop: async (graceMs = 30_000) => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
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

function wrap(service: string, methods: readonly string[], handlers: Handlers | undefined, logger: Logger, observe?: RpcObserver): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const method of methods) {
    const fn = handlers?.[method];
    impl[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      if (typeof fn !== 'function') {
        callback({ code: GrpcStatus.UNIMPLEMENTED, details: `${service}.${method} is not served by this plugin instance` });
        return;
      }
      const controller = new AbortController();
      call.on('cancelled', () => controller.abort(new Error(`${method} cancelled by the caller`)));
      const started = Date.now();
      Promise.resolve()
        .then(() => (fn as (req: unknown, ctx: { signal: AbortSignal }) => Promise<unknown>).call(handlers, call.request, { signal: controller.signal }))
        .then(
          (response) => {
            logger.debug({ rpc: method, ms: Date.now() - started }, 'rpc ok');
            observe?.(method, 'OK', (Date.now() - started) / 1000);
            callback(null, response);
          },
          (err: unknown) => {
            const { status, message } = toCsiStatus(err);
            const level = status === 'INTERNAL' ? 'error' : 'warn';
            logger[level]({ rpc: method, status, ms: Date.now() - started, request: redactCsiMessage(call.request), err }, message);
            observe?.(method, status, (Date.now() - started) / 1000);
            callback({ code: grpcCode(status), details: boundedDetails(message) });
          },
        );
    };
  }
  return impl;
}
