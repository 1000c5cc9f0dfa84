import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QingCloudTransportError } from '../../../src/qingcloud/errors.js';
import { NodeHttpTransport, redactUrl, scrubSignature } from '../../../src/qingcloud/transport.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server;
let origin: string;
let handler: Handler;
let connections: number;
let transport: NodeHttpTransport;

beforeEach(async () => {
  connections = 0;
  handler = (_req, _body, res) => res.end('{}');
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => handler(req, body, res));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  transport = new NodeHttpTransport({ connectTimeoutMs: 1000 });
});

afterEach(async () => {
  await transport.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('NodeHttpTransport', () => {
  it('returns status, body and content type', async () => {
    handler = (req, _body, res) => {
      expect(req.method).toBe('GET');
      expect(req.url).toBe('/iaas/?action=DescribeZones&signature=abc');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ret_code":0}');
    };
    const res = await transport.send({ method: 'GET', url: `${origin}/iaas/?action=DescribeZones&signature=abc`, timeoutMs: 1000 });
    expect(res).toEqual({ status: 200, body: '{"ret_code":0}', contentType: 'application/json' });
  });

  it('sends a POST body with its headers', async () => {
    let seen: { method?: string; body?: string; type?: string } = {};
    handler = (req, body, res) => {
      seen = { method: req.method, body, type: req.headers['content-type'] };
      res.end('{}');
    };
    const res = await transport.send({
      method: 'POST',
      url: `${origin}/iaas/`,
      body: 'a=1&signature=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      timeoutMs: 1000,
    });
    expect(res.status).toBe(200);
    expect(seen).toEqual({ method: 'POST', body: 'a=1&signature=x', type: 'application/x-www-form-urlencoded' });
  });

  it('answers a non-2xx status like any other', async () => {
    handler = (_req, _body, res) => res.writeHead(503).end('busy');
    expect(await transport.send({ method: 'GET', url: `${origin}/iaas/`, timeoutMs: 1000 })).toEqual({ status: 503, body: 'busy', contentType: '' });
  });

  it('fails an answer larger than 32 MiB instead of buffering it', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    handler = (_req, _body, res) => {
      res.writeHead(200);
      let sent = 0;
      const more = (): void => {
        while (sent < 40 && !res.destroyed) {
          sent += 1;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    };
    await expect(transport.send({ method: 'GET', url: `${origin}/iaas/`, timeoutMs: 5000 })).rejects.toThrow(/exceeds 32 MiB/);
  });

  it('keeps the connection for the next request', async () => {
    await transport.send({ method: 'GET', url: `${origin}/iaas/`, timeoutMs: 1000 });
    await transport.send({ method: 'GET', url: `${origin}/iaas/`, timeoutMs: 1000 });
    expect(connections).toBe(1);
  });

  it('turns a socket failure into QingCloudTransportError without the signed query', async () => {
    handler = (req) => req.socket.destroy();
    const err = (await transport
      .send({ method: 'GET', url: `${origin}/iaas/?signature=SIGNATURE-VALUE`, timeoutMs: 1000, action: 'DescribeVolumes' })
      .catch((e: unknown) => e)) as QingCloudTransportError;
    expect(err).toBeInstanceOf(QingCloudTransportError);
    expect(err.action).toBe('DescribeVolumes');
    expect(err.message).toContain(`${origin}/iaas/`);
    expect(err.message).toContain('socket hang up');
    expect((err.cause as { code?: string }).code).toBe('ECONNRESET');
    expect(err.message).not.toContain('SIGNATURE-VALUE');
  });

  it('fails a request that outlives its deadline as a timeout', async () => {
    handler = () => undefined;
    const err = (await transport.send({ method: 'GET', url: `${origin}/iaas/`, timeoutMs: 50, action: 'DescribeJobs' }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(QingCloudTransportError);
    expect(err.message).toContain('timed out after 50 ms');
  });

  it('rethrows the caller abort reason unchanged', async () => {
    handler = () => undefined;
    const controller = new AbortController();
    const pending = transport.send({ method: 'GET', url: `${origin}/iaas/`, timeoutMs: 60_000, signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20));
    const reason = new Error('caller gave up');
    controller.abort(reason);
    expect(await pending).toBe(reason);
  });

  it('does not send a request whose caller already gave up', async () => {
    const controller = new AbortController();
    const reason = new Error('gone');
    controller.abort(reason);
    expect(await transport.send({ method: 'GET', url: `${origin}/iaas/`, timeoutMs: 1000, signal: controller.signal }).catch((e: unknown) => e)).toBe(reason);
    expect(connections).toBe(0);
  });
});

describe('redactUrl', () => {
  it('drops the query, which carries the signature', () => {
    expect(redactUrl('https://h:443/iaas/?a=1&signature=x')).toBe('https://h:443/iaas/');
    expect(redactUrl('https://h:443/iaas/')).toBe('https://h:443/iaas/');
  });
});

describe('scrubSignature', () => {
  it('replaces signature values quoted in free text', () => {
    expect(scrubSignature("request to /iaas/?a=1&signature=SECRET failed")).toBe('request to /iaas/?a=1&signature=[redacted] failed');
  });
});
