import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { PROTOCOL_PATHS, PROTOCOL_VERSION, type AddRequest, type CheckRequest, type DelRequest, type GcRequest } from '../../../../src/cni/protocol.js';
import { DaemonAnswerError } from '../../../../src/cni/plugin/daemon.js';
import { FakeDaemonClient } from '../../../unit/cni/plugin/fake-daemon-client.js';

/** How the fake answers, beyond the protocol: for failure tests. */
export type FakeDaemonMode = 'normal' | 'not-json' | 'hang';

/** One request the fake HTTP daemon received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/**
 * hostnic-daemon's side of protocol.ts on a unix socket, backed by the stateful FakeDaemonClient: what a real
 * daemon answers, minus the NICs.
 */
export class FakeHttpDaemon {
  readonly state: FakeDaemonClient;
  readonly received: ReceivedRequest[] = [];
  mode: FakeDaemonMode = 'normal';
  private readonly server: Server;
  private readonly hanging = new Set<ServerResponse>();

  constructor(readonly socketPath: string) {
    this.state = new FakeDaemonClient(socketPath);
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => resolve());
    });
  }

  /** Stops listening and drops open connections (hanging requests included); removes the socket file. */
  close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body: unknown = text === '' ? undefined : JSON.parse(text);
    this.received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
    if (this.mode === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (this.mode === 'not-json') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal server error');
      return;
    }
    try {
      const answer = await this.route(req.method ?? '', req.url ?? '', body);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    } catch (err) {
      if (!(err instanceof DaemonAnswerError)) throw err;
      const errorBody = { code: err.cniCode, msg: err.message, ...(err.details === undefined ? {} : { details: err.details }) };
      res.writeHead(err.httpStatus, { 'content-type': 'application/json' }).end(JSON.stringify(errorBody));
    }
  }

  private async route(method: string, path: string, body: unknown): Promise<unknown> {
    if (method === 'GET' && path === PROTOCOL_PATHS.status) return this.state.status();
    if (method !== 'POST') throw new DaemonAnswerError('status', this.socketPath, 405, 999, `${method} ${path} is not part of the protocol`);
    const version = (body as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    if (version !== PROTOCOL_VERSION) {
      throw new DaemonAnswerError('add', this.socketPath, 400, 1, `protocol version ${JSON.stringify(version)} is not ${PROTOCOL_VERSION}`);
    }
    switch (path) {
      case PROTOCOL_PATHS.add:
        return this.state.add(body as AddRequest);
      case PROTOCOL_PATHS.del:
        await this.state.del(body as DelRequest);
        return {};
      case PROTOCOL_PATHS.check:
        await this.state.check(body as CheckRequest);
        return {};
      case PROTOCOL_PATHS.gc:
        await this.state.gc(body as GcRequest);
        return {};
      default:
        throw new DaemonAnswerError('add', this.socketPath, 404, 999, `${path} is not part of the protocol`);
    }
  }
}
