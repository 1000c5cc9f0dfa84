// The little of HTTP/1.1 the plugin needs to talk to the daemon: one request per connection, answered and closed by
// the server (protocol.ts). Hand-written over node:net because loading and setting up node:http costs the exec'd
// plugin ≈ 10 ms per pod verb, about a third of its own run.

/** A complete answer: the status code and the body as text. */
export interface HttpAnswer {
  status: number;
  body: string;
}

/** The answer bytes are not an HTTP/1.x answer; `truncated` when they stop before the answer is complete. */
export class HttpAnswerError extends Error {
  constructor(
    message: string,
    readonly truncated: boolean,
  ) {
    super(message);
    this.name = 'HttpAnswerError';
  }
}

const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** The bytes of one request asking the server to close the connection after answering (Host as node:http sends it). */
export function formatRequest(method: 'GET' | 'POST', path: string, body?: string): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, 'host: localhost', 'accept: application/json', 'connection: close'];
  if (body !== undefined) lines.push('content-type: application/json', `content-length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`, 'utf8');
}

/**
 * Parses everything the server sent before closing: status line, headers, and a body delimited by content-length,
 * the chunked transfer coding or the end of the connection. Throws HttpAnswerError.
 */
export function parseAnswer(bytes: Buffer): HttpAnswer {
  const headEnd = bytes.indexOf(HEAD_END);
  if (headEnd < 0) throw new HttpAnswerError(`the connection closed after ${bytes.length} bytes, before the end of the answer's headers`, true);
  const [statusLine = '', ...headerLines] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
  if (status === null) throw new HttpAnswerError(`not an HTTP/1.x status line: ${JSON.stringify(statusLine.slice(0, 100))}`, false);
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpAnswerError(`malformed header line ${JSON.stringify(line.slice(0, 100))}`, false);
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const rest = bytes.subarray(headEnd + HEAD_END.length);
  let body: Buffer;
  if (/(^|,)\s*chunked\s*$/i.test(headers.get('transfer-encoding') ?? '')) body = dechunk(rest);
  else if (headers.has('content-length')) {
    const length = headers.get('content-length')!;
    if (!/^\d+$/.test(length)) throw new HttpAnswerError(`content-length ${JSON.stringify(length)} is not a byte count`, false);
    if (rest.length < Number(length)) throw new HttpAnswerError(`the connection closed after ${rest.length} of ${length} body bytes`, true);
    body = rest.subarray(0, Number(length));
  } else body = rest;
  return { status: Number(status[1]), body: body.toString('utf8') };
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf(CRLF, at);
    if (lineEnd < 0) throw new HttpAnswerError('the connection closed inside a chunk header', true);
    const sizeText = bytes.subarray(at, lineEnd).toString('latin1').split(';')[0]!.trim();
    if (!/^[0-9a-f]+$/i.test(sizeText)) throw new HttpAnswerError(`malformed chunk size ${JSON.stringify(sizeText.slice(0, 20))}`, false);
    const size = parseInt(sizeText, 16);
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + CRLF.length;
    if (bytes.length < start + size + CRLF.length) throw new HttpAnswerError('the connection closed inside a chunk', true);
    parts.push(bytes.subarray(start, start + size));
    at = start + size + CRLF.length;
  }
}
