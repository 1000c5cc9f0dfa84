import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { BaseError, isErrno, messageOf } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { PROTOCOL_PATHS, PROTOCOL_VERSION, type AddRequest, type CheckRequest, type DelRequest, type ErrorBody, type GcRequest } from '../protocol.js';
import { CNI_ERROR, CniError } from '../types.js';
import type { HostnicService } from './daemon.js';

/** Path of the introspection view (GET; not part of the plugin protocol). */
export const INTROSPECT_PATH = '/v1/introspect';
/** Request bodies above this size are refused (a request is a few KB). */
const MAX_BODY_BYTES = 1024 * 1024;

/** The socket could not be set up. */
export class ServerStartError extends BaseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HOSTNIC_SOCKET', message, options);
  }
}

/** HTTP status for a CNI code (informational: the plugin reads `code`). */
export function httpStatusFor(code: number): number {
  switch (code) {
    case CNI_ERROR.IncompatibleVersion:
    case CNI_ERROR.InvalidEnvironment:
    case CNI_ERROR.DecodingFailure:
    case CNI_ERROR.InvalidNetworkConfig:
      return 400;
    case CNI_ERROR.UnknownContainer:
      return 404;
    case CNI_ERROR.NodePodLimit:
      return 409;
    case CNI_ERROR.TryAgainLater:
    case CNI_ERROR.NoFreeAddress:
      return 503;
    case CNI_ERROR.CloudError:
      return 502;
    default:
      return 500;
  }
}

/**
 * protocol.ts's server side over node:http on a unix socket (mode 0600: only root's runtime may call it), plus
 * GET /v1/introspect. Every error answer is an ErrorBody {code, msg, details}; a POST with another protocolVersion
 * gets 400 and code 1.
 */
export class HostnicServer {
  private readonly server: Server;

  constructor(
    private readonly socketPath: string,
    private readonly service: HostnicService,
    private readonly logger: Logger,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Removes a stale socket file, listens, and restricts the socket to its owner. */
  async listen(): Promise<void> {
    try {
      await mkdir(dirname(this.socketPath), { recursive: true, mode: 0o755 });
      const st = await lstat(this.socketPath).catch((err: unknown) => {
        if (isErrno(err, 'ENOENT')) return undefined;
        throw err;
      });
      if (st !== undefined) {
        if (!st.isSocket()) throw new Error(`${this.socketPath} exists and is not a socket`);
        // a socket file left by a previous daemon: nobody listens on it any more (one daemon per node)
        await unlink(this.socketPath);
      }
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(this.socketPath, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
      await chmod(this.socketPath, 0o600);
    } catch (err) {
      throw new ServerStartError(`hostnic-daemon cannot listen on ${this.socketPath}: ${messageOf(err)}; check the directory and that no other daemon runs`, { cause: err });
    }
    this.logger.info({ socket: this.socketPath }, 'hostnic-daemon listening');
  }

  /** Stops accepting, waits for open requests to finish, removes the socket file. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
    await unlink(this.socketPath).catch(() => undefined);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const answer = await this.route(req);
      send(res, 200, answer);
    } catch (err) {
      const cniErr =
        err instanceof CniError ? err : new CniError(CNI_ERROR.Internal, `hostnic-daemon failed on ${req.method ?? '?'} ${req.url ?? '?'}: ${messageOf(err)}`, undefined, { cause: err });
      if (!(err instanceof CniError)) this.logger.error({ err }, 'unexpected daemon failure');
      const body: ErrorBody = { code: cniErr.cniCode, msg: cniErr.message };
      if (cniErr.details !== undefined) body.details = cniErr.details;
      send(res, httpStatusFor(cniErr.cniCode), body);
    }
  }

  private async route(req: IncomingMessage): Promise<unknown> {
    const method = req.method ?? '';
    const path = (req.url ?? '').split('?')[0];
    if (method === 'GET' && path === PROTOCOL_PATHS.status) return this.service.status();
    if (method === 'GET' && path === INTROSPECT_PATH) return this.service.introspect();
    const verbs: Record<string, (body: unknown) => Promise<unknown>> = {
      [PROTOCOL_PATHS.add]: (b) => this.service.add(b as AddRequest),
      [PROTOCOL_PATHS.del]: async (b) => {
        await this.service.del(b as DelRequest);
        return {};
      },
      [PROTOCOL_PATHS.check]: async (b) => {
        await this.service.check(b as CheckRequest);
        return {};
      },
      [PROTOCOL_PATHS.gc]: async (b) => {
        await this.service.gc(b as GcRequest);
        return {};
      },
    };
    const verb = path === undefined ? undefined : verbs[path];
    if (verb === undefined || method !== 'POST') {
      throw new CniError(CNI_ERROR.Internal, `${method} ${path ?? ''} is not part of the hostnic protocol (POST ${Object.keys(verbs).join(', ')}; GET ${PROTOCOL_PATHS.status}, ${INTROSPECT_PATH})`);
    }
    const body = await readJson(req);
    const version = (body as { protocolVersion?: unknown }).protocolVersion;
    if (version !== PROTOCOL_VERSION) {
      throw new CniError(
        CNI_ERROR.IncompatibleVersion,
        `hostnic protocol version ${JSON.stringify(version)} is not spoken by this daemon (it speaks ${PROTOCOL_VERSION}); install the plugin that ships with this daemon`,
      );
    }
    return verb(body);
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new CniError(CNI_ERROR.DecodingFailure, `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new CniError(CNI_ERROR.DecodingFailure, `request body is not JSON: ${messageOf(err)}`, undefined, { cause: err });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new CniError(CNI_ERROR.DecodingFailure, 'request body must be a JSON object');
  return body as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' }).end(text);
}
