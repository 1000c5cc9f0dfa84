import { describe, expect, it } from 'vitest';
import { formatRequest, HttpAnswerError, parseAnswer } from '../../../../src/cni/plugin/http1.js';

const answer = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('formatRequest', () => {
  it('writes a POST with Host, connection: close and the body length in bytes', () => {
    expect(formatRequest('POST', '/v1/cni/add', '{"a":"é"}').toString('utf8')).toBe(
      'POST /v1/cni/add HTTP/1.1\r\nhost: localhost\r\naccept: application/json\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: 10\r\n\r\n{"a":"é"}',
    );
  });

  it('writes a GET without a body or content headers', () => {
    expect(formatRequest('GET', '/v1/cni/status').toString('utf8')).toBe('GET /v1/cni/status HTTP/1.1\r\nhost: localhost\r\naccept: application/json\r\nconnection: close\r\n\r\n');
  });
});

describe('parseAnswer', () => {
  it('reads the status and a body delimited by content-length (in bytes, ignoring anything after it)', () => {
    expect(parseAnswer(answer('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"x":"é"}\r\njunk'))).toEqual({ status: 200, body: '{"x":"é"}' });
  });

  it('decodes the chunked transfer coding, extensions and trailers included', () => {
    const text = 'HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{"co\r\nA\r\nde":102,"m\r\n7\r\nsg":""}\r\n0\r\nX-Trailer: 1\r\n\r\n';
    expect(parseAnswer(answer(text))).toEqual({ status: 503, body: '{"code":102,"msg":""}' });
  });

  it('takes the rest of the connection as the body when neither length nor chunking is given', () => {
    expect(parseAnswer(answer('HTTP/1.0 500 Internal Server Error\r\n\r\ninternal error'))).toEqual({ status: 500, body: 'internal error' });
  });

  it.each([
    ['headers that never end', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n'],
    ['a body shorter than its content-length', 'HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n{"result":'],
    ['a chunk cut short', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"res'],
    ['no last chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n'],
  ])('reports %s as truncated', (_what, text) => {
    const err = (() => {
      try {
        parseAnswer(answer(text));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(HttpAnswerError);
    expect((err as HttpAnswerError).truncated).toBe(true);
  });

  it.each([
    ['a status line that is not HTTP/1.x', 'SSH-2.0-OpenSSH\r\n\r\n', /not an HTTP\/1\.x status line/],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nbroken\r\n\r\n', /malformed header line "broken"/],
    ['a content-length that is not a number', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /content-length "-1"/],
    ['a chunk size that is not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /malformed chunk size "zz"/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseAnswer(answer(text))).toThrow(message);
    expect(() => parseAnswer(answer(text))).toThrow(expect.objectContaining({ truncated: false }) as Error);
  });
});
