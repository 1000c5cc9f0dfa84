import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GRPC_STATUS, GrpcStatusError, encodeGrpcMessage, parseGrpcTimeout, serveUnary, type UnaryMethod, type UnaryServer } from '../../../src/csi/grpc-unary.js';

let dir: string;
let socket: string;
let server: UnaryServer | undefined;
let client: Client | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'grpc-unary-'));
  socket = join(dir, 's.sock');
});

afterEach(async () => {
  client?.close();
  client = undefined;
  await server?.close(0);
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A method whose messages are raw bytes, answered by `call`. */
function method(call: UnaryMethod['call']): UnaryMethod {
  return { decode: (bytes) => Buffer.from(bytes), encode: (message) => message as Buffer, call };
}

/** A method that never answers; `started` resolves when it is called, `aborted` with its signal once that aborts. */
function hanging(): { method: UnaryMethod; started: Promise<void>; aborted: Promise<AbortSignal> } {
  let onStart: () => void = () => undefined;
  let onAbort: (signal: AbortSignal) => void = () => undefined;
  const started = new Promise<void>((resolve) => (onStart = resolve));
  const aborted = new Promise<AbortSignal>((resolve) => (onAbort = resolve));
  return {
    started,
    aborted,
    method: method(async (_req, signal) => {
      signal.addEventListener('abort', () => onAbort(signal), { once: true });
      onStart();
      return new Promise(() => undefined);
    }),
  };
}

async function serve(methods: Record<string, UnaryMethod>, maxReceiveBytes = 1024): Promise<void> {
  server = await serveUnary(socket, new Map(Object.entries(methods)), { maxReceiveBytes });
  client = new Client(`unix://${socket}`, credentials.createInsecure());
}

function call(path: string, request: Buffer, deadlineMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client!.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      request,
      new Metadata(),
      { deadline: Date.now() + deadlineMs },
      (err: ServiceError | null, res?: Buffer) => (err ? reject(err) : resolve(res!)),
    );
  });
}

describe('serveUnary', () => {
  it('answers a call with the encoded response', async () => {
    await serve({ '/t.S/Echo': method(async (req) => Buffer.concat([Buffer.from('re:'), req as Buffer])) });
    expect((await call('/t.S/Echo', Buffer.from('hi'))).toString()).toBe('re:hi');
  });

  it('answers an empty message', async () => {
    await serve({ '/t.S/Empty': method(async () => Buffer.alloc(0)) });
    expect((await call('/t.S/Empty', Buffer.alloc(0))).length).toBe(0);
  });

  it('sends a GrpcStatusError as its code and details, any text intact', async () => {
    const details = 'volume "vol-1" 100% gone — ünïcode\nsecond line';
    await serve({ '/t.S/Fail': method(async () => Promise.reject(new GrpcStatusError(GRPC_STATUS.NOT_FOUND, details))) });
    await expect(call('/t.S/Fail', Buffer.from('x'))).rejects.toMatchObject({ code: status.NOT_FOUND, details });
  });

  it('sends any other rejection as INTERNAL', async () => {
    await serve({ '/t.S/Boom': method(async () => Promise.reject(new Error('boom'))) });
    await expect(call('/t.S/Boom', Buffer.from('x'))).rejects.toMatchObject({ code: status.INTERNAL, details: 'boom' });
  });

  it('answers HTTP 415 to a request that is not application/grpc(+proto), such as +json', async () => {
    await serve({ '/t.S/Echo': method(async (req) => req) });
    const session = connect(`http://localhost`, { createConnection: () => netConnect(socket) });
    const statusOf = (contentType: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = session.request({ ':method': 'POST', ':path': '/t.S/Echo', 'content-type': contentType });
        req.on('response', (headers) => resolve(Number(headers[':status'])));
        req.on('error', reject);
        req.end(Buffer.from([0, 0, 0, 0, 0]));
      });
    try {
      expect(await statusOf('application/grpc+json')).toBe(415);
      expect(await statusOf('application/grpcfoo')).toBe(415);
      expect(await statusOf('application/grpc+proto')).toBe(200);
      expect(await statusOf('application/grpc; charset=utf-8')).toBe(200);
    } finally {
      session.close();
    }
  });

  it('answers an unknown method UNIMPLEMENTED', async () => {
    await serve({});
    await expect(call('/t.S/Nope', Buffer.from('x'))).rejects.toMatchObject({ code: status.UNIMPLEMENTED });
  });

  it('answers a request that does not decode INTERNAL without calling the method', async () => {
    let called = false;
    await serve({
      '/t.S/Strict': {
        decode: () => {
          throw new Error('bad wire');
        },
        encode: (m) => m as Buffer,
        call: async () => {
          called = true;
          return Buffer.alloc(0);
        },
      },
    });
    await expect(call('/t.S/Strict', Buffer.from('x'))).rejects.toMatchObject({ code: status.INTERNAL });
    expect(called).toBe(false);
  });

  it('refuses a request larger than maxReceiveBytes with RESOURCE_EXHAUSTED', async () => {
    await serve({ '/t.S/Echo': method(async (req) => req) }, 16);
    await expect(call('/t.S/Echo', Buffer.alloc(64))).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
  });

  it("turns the caller's deadline into an aborted signal and DEADLINE_EXCEEDED", async () => {
    const slow = hanging();
    await serve({ '/t.S/Slow': slow.method });
    await expect(call('/t.S/Slow', Buffer.from('x'), 100)).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
    const seen = await slow.aborted;
    expect(seen?.aborted).toBe(true);
  });

  it('aborts the signal when the caller cancels', async () => {
    const slow = hanging();
    await serve({ '/t.S/Slow': slow.method });
    const pending = new Promise<ServiceError>((resolve) => {
      const c = client!.makeUnaryRequest('/t.S/Slow', (b: Buffer) => b, (b: Buffer) => b, Buffer.from('x'), new Metadata(), {}, (err) => resolve(err!));
      void slow.started.then(() => c.cancel());
    });
    expect((await pending).code).toBe(status.CANCELLED);
    const seen = await slow.aborted;
    expect(seen?.aborted).toBe(true);
    expect(String((seen?.reason as Error).message)).toContain('cancelled by the caller');
  });

  it('lets a running call finish on close and refuses new ones', async () => {
    let release: () => void = () => undefined;
    let onStart: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (onStart = resolve));
    await serve({
      '/t.S/Wait': method(async () => {
        onStart();
        return new Promise<Buffer>((resolve) => (release = () => resolve(Buffer.from('done'))));
      }),
    });
    const running = call('/t.S/Wait', Buffer.from('x'));
    await started;
    const closing = server!.close(5000);
    server = undefined;
    release();
    expect((await running).toString()).toBe('done');
    await closing;
    client!.close();
    client = new Client(`unix://${socket}`, credentials.createInsecure());
    await expect(call('/t.S/Wait', Buffer.from('x'), 300)).rejects.toMatchObject({ code: expect.any(Number) });
  });
});

describe('parseGrpcTimeout', () => {
  it('reads every unit', () => {
    expect(parseGrpcTimeout('2H')).toBe(7_200_000);
    expect(parseGrpcTimeout('3M')).toBe(180_000);
    expect(parseGrpcTimeout('4S')).toBe(4000);
    expect(parseGrpcTimeout('250m')).toBe(250);
    expect(parseGrpcTimeout('5000u')).toBe(5);
    expect(parseGrpcTimeout('7000000n')).toBe(7);
  });

  it('ignores an absent or malformed header', () => {
    expect(parseGrpcTimeout(undefined)).toBeUndefined();
    expect(parseGrpcTimeout('10')).toBeUndefined();
    expect(parseGrpcTimeout('123456789S')).toBeUndefined();
    expect(parseGrpcTimeout('1.5S')).toBeUndefined();
  });
});

describe('encodeGrpcMessage', () => {
  it('percent-encodes "%" and bytes outside printable ASCII only', () => {
    expect(encodeGrpcMessage('a b/c')).toBe('a b/c');
    expect(encodeGrpcMessage('100%\n')).toBe('100%25%0A');
    expect(encodeGrpcMessage('é')).toBe('%C3%A9');
  });
});
