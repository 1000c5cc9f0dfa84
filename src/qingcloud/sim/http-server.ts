import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../shared/log.js';
import { messageOf } from '../../shared/errors.js';
import type { Dispatcher } from './dispatch.js';
import { MAX_BODY_BYTES } from './wire.js';

/** The simulator's node:http front: every answer is HTTP 200 with a JSON body, whatever arrives. */
export class SimHttpServer {
  private readonly server: Server;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly dispatcher: Dispatcher,
    /** The API path, e.g. `/iaas/`; `/iaas`, `/iaas/` and anything below are served. */
    private readonly uri: string,
    private readonly logger: Logger,
  ) {
    // A large header limit so an over-long GET query reaches us and gets a JSON 1100, not Node's bare 431.
    this.server = createServer({ maxHeaderSize: MAX_BODY_BYTES + 64 * 1024 }, (req, res) => {
      const done = this.serve(req, res).catch((err: unknown) => this.logger.error({ err: messageOf(err) }, 'could not answer a request'));
      this.pending.add(done);
      void done.finally(() => this.pending.delete(done));
    });
  }

  /** Listens; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /** Stops accepting connections and waits for requests being answered. */
  async drain(): Promise<void> {
    this.server.close();
    this.server.closeIdleConnections();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Drops every connection and resolves when the server is closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    const { body, oversized } = await readBody(req);
    let answer: Record<string, unknown>;
    if (!this.servesPath(path)) {
      answer = { ret_code: 1100, message: `InvalidParameter, path ${JSON.stringify(path.slice(0, 128))} is not the API endpoint; send requests to ${this.uri}` };
    } else {
      answer = await this.dispatcher.handle({ method: req.method ?? 'GET', path, query, body, oversized: oversized || url.length > MAX_BODY_BYTES });
    }
    const text = JSON.stringify(answer);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private servesPath(path: string): boolean {
    const base = this.uri.replace(/\/+$/, '');
    return path === base || path.startsWith(`${base}/`);
  }
}

/** Reads the body up to the cap; the rest is drained and dropped so the client still gets its JSON answer. */
function readBody(req: IncomingMessage): Promise<{ body: string; oversized: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let oversized = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) oversized = true;
      else chunks.push(chunk);
    });
    const finish = (): void => resolve({ body: oversized ? '' : Buffer.concat(chunks).toString('utf8'), oversized });
    req.on('end', finish);
    req.on('error', finish);
    req.on('close', finish);
  });
}
