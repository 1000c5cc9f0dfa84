import type { HttpRequest, HttpResponse, HttpTransport } from '../../../src/qingcloud/transport.js';

/** A request the fake saw, with its params decoded (from the query for GET, the body for POST). */
export interface SeenRequest {
  req: HttpRequest;
  action: string;
  params: Record<string, string>;
}

/** Answers one request: a response, a JSON body for a 200, or throws. */
export type FakeHandler = (seen: SeenRequest) => HttpResponse | Record<string, unknown> | Promise<HttpResponse | Record<string, unknown>>;

/** JSON 200 answer. */
export function json(body: Record<string, unknown>): HttpResponse {
  return { status: 200, body: JSON.stringify(body), contentType: 'application/json' };
}

function decode(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    params[decodeURIComponent(pair.slice(0, eq))] = decodeURIComponent(pair.slice(eq + 1));
  }
  return params;
}

/** An in-memory HttpTransport that records requests and answers through `handler`. */
export class FakeTransport implements HttpTransport {
  readonly seen: SeenRequest[] = [];
  closed = false;

  constructor(public handler: FakeHandler = () => ({ ret_code: 0 })) {}

  async send(req: HttpRequest): Promise<HttpResponse> {
    const query = req.method === 'GET' ? (req.url.split('?')[1] ?? '') : (req.body ?? '');
    const params = decode(query);
    const seen: SeenRequest = { req, action: params['action'] ?? '', params };
    this.seen.push(seen);
    const out = await this.handler(seen);
    if (typeof out['status'] === 'number' && typeof out['body'] === 'string') return out as HttpResponse;
    return json({ action: `${seen.action}Response`, ret_code: 0, ...out });
  }

  /** Requests of one action. */
  calls(action: string): SeenRequest[] {
    return this.seen.filter((s) => s.action === action);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
