import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { messageOf } from '../shared/errors.js';
import { QingCloudTransportError } from './errors.js';

/** One HTTP exchange as the client needs it. */
export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Absolute URL including the query. It carries the signature: never put it in a log or an error. */
  url: string;
  body?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs: number;
  /** The API action, for error messages only. */
  action?: string;
}

/** The answer, whatever its status. */
export interface HttpResponse {
  status: number;
  body: string;
  contentType: string;
}

/** The HTTP port of the SDK: send one request; failures below HTTP become QingCloudTransportError. */
export interface HttpTransport {
  send(req: HttpRequest): Promise<HttpResponse>;
  close?(): Promise<void>;
}

/** Options of NodeHttpTransport. */
export interface NodeHttpTransportOptions {
  connectTimeoutMs?: number;
  /** How long an idle keep-alive socket is kept. */
  keepAliveTimeoutMs?: number;
  /** Sockets per origin. */
  connections?: number;
}

/** The URL without its query, which holds the signature. */
export function redactUrl(url: string): string {
  const cut = url.indexOf('?');
  return cut === -1 ? url : url.slice(0, cut);
}

/** Replaces signature values in free text (socket error messages may quote the request path). */
export function scrubSignature(text: string): string {
  return text.replace(/signature=[^&\s'"]*/g, 'signature=[redacted]');
}

/** A copy of a lower-level error whose message cannot leak the signature; name and code are kept. */
function scrubbedCause(err: unknown): unknown {
  if (!(err instanceof Error) || !/signature=/.test(err.message)) return err;
  const copy = new Error(scrubSignature(err.message));
  copy.name = err.name;
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) Object.assign(copy, { code });
  return copy;
}

/** Largest response body accepted. */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** Why a request was cut short by one of the transport's own timers. */
class TransportTimeout extends Error {}

/**
 * The real HttpTransport: node:http(s) with keep-alive agents, a connect timeout, one deadline per request, abortable.
 * Node's built-in client rather than undici: undici parses HTTP in WebAssembly, whose compilation peaked at ~35 MiB
 * and kept ~10 MiB resident, and its code was 40% of each bundle; the driver and daemon have 60 MiB budgets.
 */
export class NodeHttpTransport implements HttpTransport {
  private readonly agents: { http: HttpAgent; https: HttpsAgent };
  private readonly connectTimeoutMs: number;

  constructor(options: NodeHttpTransportOptions = {}) {
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.connections ?? 16,
      // Idle sockets close after this; sockets of running requests only get the request deadline.
      timeout: options.keepAliveTimeoutMs ?? 30_000,
      scheduling: 'lifo' as const,
    };
    this.agents = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const action = req.action ?? 'API';
    const target = new URL(req.url);
    const https = target.protocol === 'https:';
    // One deadline for connect + headers + body. The caller's signal is linked by hand and unlinked afterwards:
    // AbortSignal.any would leave a listener per request on a long-lived signal.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new TransportTimeout(`timed out after ${req.timeoutMs} ms`)), req.timeoutMs);
    const onCallerAbort = (): void => deadline.abort(req.signal?.reason);
    if (req.signal?.aborted === true) onCallerAbort();
    else req.signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      return await new Promise<HttpResponse>((resolve, reject) => {
        const options = {
          method: req.method,
          headers: req.body === undefined ? req.headers : { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
          signal: deadline.signal,
        };
        const onResponse = (res: IncomingMessage): void => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            // A page of 100 resources is tens of KiB; an endless body must not grow the process until the deadline.
            if (size > MAX_RESPONSE_BYTES) request.destroy(new Error(`the answer exceeds ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`));
            else chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            const contentType = res.headers['content-type'];
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), contentType: contentType ?? '' });
          });
        };
        const request = https
          ? httpsRequest(target, { ...options, agent: this.agents.https }, onResponse)
          : httpRequest(target, { ...options, agent: this.agents.http }, onResponse);
        request.on('error', reject);
        request.on('socket', (socket) => {
          if (!socket.connecting) return;
          const connectTimer = setTimeout(
            () => request.destroy(new TransportTimeout(`connect timed out after ${this.connectTimeoutMs} ms`)),
            this.connectTimeoutMs,
          );
          socket.once(https ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
          socket.once('close', () => clearTimeout(connectTimer));
        });
        request.end(req.body);
      });
    } catch (err) {
      // A caller's abort is not a transport failure: surface the caller's reason unchanged.
      if (req.signal?.aborted === true) throw req.signal.reason;
      const reason: unknown = deadline.signal.aborted ? deadline.signal.reason : err;
      const what = reason instanceof TransportTimeout ? reason.message : scrubSignature(messageOf(err));
      throw new QingCloudTransportError(
        action,
        `${req.method} ${redactUrl(req.url)}: ${what}; check the endpoint, the network and the connection timeout`,
        { cause: scrubbedCause(err) },
      );
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  async close(): Promise<void> {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
