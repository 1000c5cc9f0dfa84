// A unary-only gRPC server on node:http2 (h2c on a unix socket), which is all CSI needs: one length-prefixed message in,
// one out, the status in trailers. It stands in for @grpc/grpc-js's server and proto-loader, which cost the driver
// ~4-5 MiB of its 60 MiB RSS budget; grpc-js stays the client of tests and benches (src/csi/proto-package.ts).
import { createServer, constants, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';

/** gRPC status codes (grpc/doc/statuscodes.md). */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A failed call as it goes on the wire. */
export class GrpcStatusError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(details);
  }
}

/** One unary method: its codec and its implementation. */
export interface UnaryMethod {
  /** Throws on bytes that are not the request message. */
  decode(bytes: Uint8Array): unknown;
  encode(message: unknown): Uint8Array;
  /** The response, or a rejection: a GrpcStatusError is sent as is, anything else as INTERNAL. */
  call(request: unknown, signal: AbortSignal): Promise<unknown>;
}

/** Options of serveUnary. */
export interface UnaryServerOptions {
  /** Largest request message accepted; a larger one is answered RESOURCE_EXHAUSTED. */
  maxReceiveBytes: number;
  /** Told about server-level errors after start (e.g. accept failing with EMFILE); they never end the process. */
  onError?: (err: Error) => void;
}

/** A listening server. */
export interface UnaryServer {
  /** Stops accepting connections and calls, lets running calls finish for up to graceMs, then closes everything. */
  close(graceMs: number): Promise<void>;
}

/** Largest timer delay node accepts; longer grpc-timeouts are simply not enforced (the caller still has its own). */
const MAX_TIMER_MS = 2 ** 31 - 1;
const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/** Milliseconds of a `grpc-timeout` header (1-8 digits and a unit), or undefined when absent or malformed. */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^(\d{1,8})([HMSmun])$/.exec(value);
  if (match === null) return undefined;
  return Number(match[1]) * TIMEOUT_UNIT_MS[match[2]!]!;
}

/** `grpc-message` encoding: percent-encode every byte outside printable ASCII, and '%' itself (gRPC over HTTP/2 spec). */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Serves `methods` (keyed by HTTP/2 path, `/package.Service/Method`) on a unix socket. */
export async function serveUnary(socketPath: string, methods: ReadonlyMap<string, UnaryMethod>, options: UnaryServerOptions): Promise<UnaryServer> {
  const sessions = new Set<Http2Session>();
  const server: Http2Server = createServer();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    // A broken connection only ends its own calls.
    session.on('error', () => undefined);
  });
  server.on('stream', (stream, headers) => handleStream(stream, headers, methods, options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      server.on('error', (err) => options.onError?.(err));
      resolve();
    });
  });
  return {
    close: async (graceMs) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.close();
      let timer: NodeJS.Timeout | undefined;
      const forced = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          for (const session of sessions) session.destroy();
          resolve();
        }, graceMs);
      });
      await Promise.race([closed, forced]);
      clearTimeout(timer);
    },
  };
}

function handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, methods: ReadonlyMap<string, UnaryMethod>, options: UnaryServerOptions): void {
  // A reset from the peer surfaces as 'close'; errors here must not take the process down.
  stream.on('error', () => undefined);
  const contentType = headers[constants.HTTP2_HEADER_CONTENT_TYPE];
  // application/grpc or application/grpc+proto (optionally with parameters); +json and friends are not protobuf.
  if (headers[constants.HTTP2_HEADER_METHOD] !== 'POST' || typeof contentType !== 'string' || !/^application\/grpc(\+proto)?(;|$)/.test(contentType)) {
    stream.respond({ [constants.HTTP2_HEADER_STATUS]: 415 }, { endStream: true });
    return;
  }
  const path = String(headers[constants.HTTP2_HEADER_PATH] ?? '');
  const method = methods.get(path);
  let answered = false;
  let deadlineTimer: NodeJS.Timeout | undefined;
  const answer = (code: number, details: string, body?: Uint8Array): void => {
    if (answered || stream.destroyed || stream.closed) return;
    answered = true;
    clearTimeout(deadlineTimer);
    const head = { [constants.HTTP2_HEADER_STATUS]: 200, [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto' };
    const status = { 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(details) };
    // The peer can reset the stream at any moment; a write that loses that race only ends this call.
    try {
      if (body === undefined) {
        // Trailers-only: one HEADERS frame carries the status.
        stream.respond({ ...head, ...status }, { endStream: true });
        return;
      }
      stream.respond(head, { waitForTrailers: true });
      stream.once('wantTrailers', () => {
        try {
          stream.sendTrailers(status);
        } catch {
          stream.destroy();
        }
      });
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(body.length, 1);
      stream.write(prefix);
      stream.end(body);
    } catch {
      stream.destroy();
    }
  };

  const controller = new AbortController();
  const timeoutMs = parseGrpcTimeout(headers['grpc-timeout'] as string | undefined);
  if (timeoutMs !== undefined && timeoutMs < MAX_TIMER_MS) {
    deadlineTimer = setTimeout(() => {
      controller.abort(new Error(`${path} deadline exceeded`));
      answer(GRPC_STATUS.DEADLINE_EXCEEDED, 'Deadline exceeded');
    }, timeoutMs);
  }
  stream.once('close', () => {
    clearTimeout(deadlineTimer);
    if (!answered) controller.abort(new Error(`${path} cancelled by the caller`));
  });
  if (method === undefined) {
    answer(GRPC_STATUS.UNIMPLEMENTED, `The server does not implement the method ${path}`);
    return;
  }

  const chunks: Buffer[] = [];
  let received = 0;
  stream.on('data', (chunk: Buffer) => {
    if (answered) return;
    received += chunk.length;
    if (received > options.maxReceiveBytes + 5) {
      // The rest is read and dropped: resetting the stream would reach the caller as CANCELLED instead of this status.
      chunks.length = 0;
      answer(GRPC_STATUS.RESOURCE_EXHAUSTED, `Received message larger than max (${received - 5} vs. ${options.maxReceiveBytes})`);
      return;
    }
    chunks.push(chunk);
  });
  stream.once('end', () => {
    if (answered) return;
    const frame = Buffer.concat(chunks);
    if (frame.length < 5 || frame.readUInt32BE(1) !== frame.length - 5) {
      answer(GRPC_STATUS.INTERNAL, 'A unary call carries exactly one length-prefixed message');
      return;
    }
    if (frame[0] !== 0) {
      answer(GRPC_STATUS.UNIMPLEMENTED, 'Compressed messages are not supported');
      return;
    }
    let request: unknown;
    try {
      request = method.decode(frame.subarray(5));
    } catch (err) {
      answer(GRPC_STATUS.INTERNAL, `Error deserializing request: ${(err as Error).message}`);
      return;
    }
    method.call(request, controller.signal).then(
      (response) => {
        let body: Uint8Array;
        try {
          body = method.encode(response);
        } catch (err) {
          answer(GRPC_STATUS.INTERNAL, `Error serializing response: ${(err as Error).message}`);
          return;
        }
        answer(GRPC_STATUS.OK, '', body);
      },
      (err: unknown) => {
        if (err instanceof GrpcStatusError) answer(err.code, err.details);
        else answer(GRPC_STATUS.INTERNAL, err instanceof Error ? err.message : String(err));
      },
    );
  });
}
