import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
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

/** Options of UndiciTransport. */
export interface UndiciTransportOptions {
  connectTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** Sockets per origin. */
  connections?: number;
  /** Use this dispatcher (e.g. a MockAgent in tests) instead of creating an Agent; close() closes it. */
  dispatcher?: Dispatcher;
}

/** The URL without its query, which holds the signature. */
export function redactUrl(url: string): string {
  const cut = url.indexOf('?');
  return cut === -1 ? url : url.slice(0, cut);
}

/** Replaces signature values in free text (undici error messages may quote the request path). */
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

/** The real HttpTransport: keep-alive undici Agent, connect/header/body timeouts, abortable. */
export class UndiciTransport implements HttpTransport {
  private readonly agent: Dispatcher;

  constructor(options: UndiciTransportOptions = {}) {
    this.agent =
      options.dispatcher ??
      new Agent({
        connect: { timeout: options.connectTimeoutMs ?? 10_000 },
        keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
        connections: options.connections ?? 16,
      });
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const action = req.action ?? 'API';
    const target = new URL(req.url);
    // One deadline for connect + headers + body; undici's own timeouts only cover each phase. The caller's signal is
    // linked by hand and unlinked afterwards: AbortSignal.any would leave a listener per request on a long-lived signal.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error(`timed out after ${req.timeoutMs} ms`)), req.timeoutMs);
    const onCallerAbort = (): void => deadline.abort(req.signal?.reason);
    if (req.signal?.aborted === true) onCallerAbort();
    else req.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const signal = deadline.signal;
    try {
      const res = await this.agent.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const body = await res.body.text();
      const contentType = res.headers['content-type'];
      return {
        status: res.statusCode,
        body,
        contentType: Array.isArray(contentType) ? (contentType[0] ?? '') : (contentType ?? ''),
      };
    } catch (err) {
      // A caller's abort is not a transport failure: surface the caller's reason unchanged.
      if (req.signal?.aborted === true) throw req.signal.reason;
      const timedOut =
        deadline.signal.aborted ||
        err instanceof undiciErrors.ConnectTimeoutError ||
        err instanceof undiciErrors.HeadersTimeoutError ||
        err instanceof undiciErrors.BodyTimeoutError;
      const what = timedOut ? `timed out after ${req.timeoutMs} ms` : scrubSignature(messageOf(err));
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
    await this.agent.close();
  }
}
