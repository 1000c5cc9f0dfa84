import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS_MS, PROTOCOL_VERSION, type AddRequest } from '../../../../src/cni/protocol.js';
import { CNI_ERROR } from '../../../../src/cni/types.js';
import { DaemonAnswerError, DaemonProtocolError, DaemonTimeoutError, DaemonUnreachableError } from '../../../../src/cni/plugin/daemon.js';
import { HttpDaemonClient } from '../../../../src/cni/plugin/daemon-client.js';
import { ManualClock } from '../../../fakes/manual-clock.js';
import { FakeHttpDaemon } from './fake-daemon.js';

const NETNS = '/var/run/netns/pod1';
const ADD: AddRequest = { protocolVersion: PROTOCOL_VERSION, containerId: 'ctr1', netns: NETNS, ifName: 'eth0', args: { K8S_POD_NAME: 'web-0' } };

let dir: string;
let daemon: FakeHttpDaemon;
let extraServer: Server | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostnic-client-'));
  daemon = new FakeHttpDaemon(join(dir, 'hostnic.sock'));
  await daemon.listen();
});

afterEach(async () => {
  await daemon.close();
  if (extraServer) await new Promise<void>((resolve) => extraServer!.close(() => resolve()));
  extraServer = undefined;
  await rm(dir, { recursive: true, force: true });
});

function client(socketPath = daemon.socketPath, clock?: ManualClock): HttpDaemonClient {
  return new HttpDaemonClient({ socketPath, timeoutsMs: DEFAULT_TIMEOUTS_MS }, clock);
}

/** A raw socket server that writes `bytes` to every connection once the request arrived, then closes it. */
async function rawServer(bytes: string): Promise<string> {
  const socketPath = join(dir, 'raw.sock');
  const server = createNetServer((socket: Socket) => socket.once('data', () => socket.end(bytes)));
  extraServer = server as unknown as Server;
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return socketPath;
}

/** A one-route server answering every request with `status` and `body`, on its own socket. */
async function cannedServer(status: number, body: unknown): Promise<string> {
  const socketPath = join(dir, 'canned.sock');
  extraServer = createServer((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
  await new Promise<void>((resolve) => extraServer!.listen(socketPath, resolve));
  return socketPath;
}

describe('HttpDaemonClient', () => {
  it('posts JSON to the protocol path on its own connection and returns the checked result', async () => {
    const { result } = await client().add(ADD);
    expect(result.interfaces[1]).toMatchObject({ name: 'eth0', sandbox: NETNS });
    const req = daemon.received[0]!;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/cni/add', body: ADD });
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.connection).toBe('close');
  });

  it('turns an error body into DaemonAnswerError with the daemon code, message, details and HTTP status', async () => {
    const socketPath = await cannedServer(503, { code: CNI_ERROR.NoFreeAddress, msg: 'no free address in vxnet-a', details: '0 of 252 free' });
    const err = await client(socketPath).add(ADD).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonAnswerError);
    expect(err).toMatchObject({ cniCode: 102, message: 'no free address in vxnet-a', details: '0 of 252 free', httpStatus: 503, verb: 'add' });
  });

  it('treats an answer that is not JSON as a protocol error naming the socket', async () => {
    daemon.mode = 'not-json';
    await expect(client().del({ ...ADD })).rejects.toThrow(DaemonProtocolError);
    await expect(client().del({ ...ADD })).rejects.toThrow(/hostnic\.sock answered DEL .*HTTP 500.*same release/);
  });

  it('treats an error status without {code, msg} as a protocol error', async () => {
    const socketPath = await cannedServer(500, { error: 'boom' });
    await expect(client(socketPath).gc({ protocolVersion: 1, validAttachments: [] })).rejects.toThrow(/without an error body/);
  });

  it('refuses an ADD result chained plugins could not use (no pod interface with the netns as sandbox)', async () => {
    const socketPath = await cannedServer(200, { result: { interfaces: [{ name: 'eth0' }], ips: [{ address: '10.0.0.2/24', interface: 0 }] } });
    await expect(client(socketPath).add(ADD)).rejects.toThrow(/no interface named eth0 with sandbox \/var\/run\/netns\/pod1/);
  });

  it('refuses an ADD result whose ips do not name their interface', async () => {
    const socketPath = await cannedServer(200, { result: { interfaces: [{ name: 'eth0', sandbox: NETNS }], ips: [{ address: '10.0.0.2/24' }] } });
    await expect(client(socketPath).add(ADD)).rejects.toThrow(/no interface index/);
  });

  it('reads a not-ready status with its code and message', async () => {
    daemon.state.statusAnswer = { ready: false, code: 50, msg: 'node i-1 runs 60 of 60 pods' };
    await expect(client().status()).resolves.toEqual({ ready: false, code: 50, msg: 'node i-1 runs 60 of 60 pods' });
    expect(daemon.received[0]).toMatchObject({ method: 'GET', path: '/v1/cni/status' });
  });

  it('reports a connection closed in the middle of the answer as lost, and one closed before any answer as unreachable', async () => {
    const cut = await rawServer('HTTP/1.1 200 OK\r\ncontent-length: 500\r\n\r\n{"result":');
    const err = await client(cut).add(ADD).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonUnreachableError);
    expect((err as Error).message).toMatch(/connection lost while reading the answer: the connection closed after 10 of 500 body bytes/);
    await new Promise<void>((resolve) => extraServer!.close(() => resolve()));
    const silent = await rawServer('');
    await expect(client(silent).del({ ...ADD })).rejects.toThrow(/closed the connection without answering/);
  });

  it('treats bytes that are not HTTP as a protocol error', async () => {
    const socketPath = await rawServer('SSH-2.0-OpenSSH_9.2\r\n\r\n');
    await expect(client(socketPath).status()).rejects.toThrow(DaemonProtocolError);
  });

  it('reports an unreachable daemon when the socket does not exist', async () => {
    const err = await client(join(dir, 'missing.sock')).add(ADD).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonUnreachableError);
    expect((err as Error).message).toMatch(/missing\.sock \(ENOENT.*hostnic-daemon pod/);
  });

  it('reports an unreachable daemon when nothing listens on the path', async () => {
    const stale = join(dir, 'stale.sock');
    await writeFile(stale, '');
    await expect(client(stale).del({ ...ADD })).rejects.toThrow(DaemonUnreachableError);
  });

  it('gives up after the verb timeout on the injected clock and closes the connection', async () => {
    daemon.mode = 'hang';
    const clock = new ManualClock();
    const pending = client(daemon.socketPath, clock).add(ADD).catch((e: unknown) => e);
    while (daemon.received.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(DEFAULT_TIMEOUTS_MS.add - 1);
    expect(clock.pendingSleeps()).toBe(1);
    await clock.advance(1);
    const err = await pending;
    expect(err).toBeInstanceOf(DaemonTimeoutError);
    expect((err as Error).message).toMatch(/did not answer ADD within 120 s/);
  });

  it('stops its timer once the answer arrives', async () => {
    const clock = new ManualClock();
    await client(daemon.socketPath, clock).check({ ...ADD, prevResult: (await client().add(ADD)).result });
    expect(clock.pendingSleeps()).toBe(0);
  });
});
