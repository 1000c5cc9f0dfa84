import fc from 'fast-check';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { METHODS, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostnicServer, INTROSPECT_PATH } from '../../../../src/cni/daemon/server.js';
import { startHostnic, type RunningHostnic } from '../../../../src/cni/daemon/startup.js';
import { PROTOCOL_PATHS, PROTOCOL_VERSION } from '../../../../src/cni/protocol.js';
import { FileCheckpointer } from '../../../../src/shared/checkpoint.js';
import { silentLogger } from '../../../../src/shared/log.js';
import { NODE, VXNET_A, VXNET_B, World } from '../../../unit/cni/daemon/harness.js';
import { anyJson, deepJsonText, fuzz, hugeString } from '../../support/fuzz.js';

interface Answer {
  status: number;
  body: string;
}

let dir: string;
let socketPath: string;
let statePath: string;
let world: World;
let running: RunningHostnic;
let server: HostnicServer;
const netnsPaths: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostnic-fuzz-'));
  socketPath = join(dir, 'hostnic.sock');
  statePath = join(dir, 'state', 'state.json');
  world = new World();
  for (const name of ['p1', 'p2', 'p3']) netnsPaths.push(world.podNetns(name));
  running = await startHostnic({
    config: { vxnets: [VXNET_A, VXNET_B], pool: { low: 0, high: 0, cooldownSeconds: 60 }, maxPods: 60, serviceCIDR: '10.96.0.0/12', hostNetns: undefined, orphanAgeSeconds: 600 },
    instanceId: NODE,
    provider: world.cloud,
    netOps: world.net,
    checkpointer: new FileCheckpointer({ path: statePath }),
    clock: world.clock,
    logger: silentLogger(),
    background: false,
    linkWaitMs: 0,
    reconcileLinkWaitMs: 0,
    settleTimeoutMs: 0,
  });
  server = new HostnicServer(socketPath, running.service, silentLogger());
  await server.listen();
});

afterAll(async () => {
  await server?.close();
  await running?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** One HTTP request over the daemon's socket; rejects only when no HTTP answer came back at all. */
function send(method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(5_000, () => req.destroy(new Error(`no answer to ${method} ${path} within 5 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const printable = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST') },
  { weight: 2, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
  // Node's HTTP parser answers unknown method names itself (bare 400) before the daemon sees them: draw known ones.
  { weight: 1, arbitrary: fc.constantFrom(...METHODS.filter((m) => m !== 'CONNECT')) },
);

const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...Object.values(PROTOCOL_PATHS), INTROSPECT_PATH) },
  { weight: 1, arbitrary: fc.constantFrom('/', '/v1', '/v1/cni/add?x=1', '/v1/cni/../cni/add', '//v1/cni/add', '/v2/cni/add', '/v1/cni/ADD', '*') },
  { weight: 1, arbitrary: fc.stringMatching(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,80}$/) },
);

const headers = fc.record(
  {
    'content-type': fc.oneof(fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'), printable),
    accept: printable,
    'x-fuzz': printable,
    connection: fc.constantFrom('close', 'keep-alive'),
  },
  { requiredKeys: [] },
);

const validOr = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: anyJson() });

const prevResult = validOr(
  fc.record({
    interfaces: validOr(fc.array(fc.record({ name: validOr(fc.constant('eth0')), mac: validOr(fc.constant('52:54:9e:00:00:01')), sandbox: validOr(fc.constant('/var/run/netns/p1')) }), { maxLength: 2 })),
    ips: validOr(fc.array(fc.record({ address: validOr(fc.constant('192.168.10.5/24')), interface: validOr(fc.nat(3)) }), { maxLength: 2 })),
    routes: validOr(fc.constant([])),
    dns: validOr(fc.constant({})),
  }),
);

/** A request body shaped like the protocol's, each field valid or anything. */
const protocolBody = fc.record(
  {
    protocolVersion: fc.oneof({ weight: 5, arbitrary: fc.constant(PROTOCOL_VERSION) }, { weight: 1, arbitrary: anyJson() }),
    containerId: validOr(fc.constantFrom('c1', 'c2', 'c3', 'pod-abc.1')),
    ifName: validOr(fc.constantFrom('eth0', 'net1')),
    netns: validOr(fc.constantFrom('/var/run/netns/p1', '/var/run/netns/p2', '/var/run/netns/p3', '/var/run/netns/gone', '')),
    args: validOr(fc.record({ K8S_POD_NAMESPACE: fc.constant('default'), K8S_POD_NAME: fc.constantFrom('a', 'b') }, { requiredKeys: [] })),
    serviceCIDR: validOr(fc.constantFrom('10.96.0.0/12', 'fd00::/108', '10.96.0.0/40')),
    runtimeConfig: anyJson(),
    prevResult,
    validAttachments: validOr(fc.array(fc.record({ containerId: validOr(fc.constantFrom('c1', 'c2')), ifName: validOr(fc.constant('eth0')) }), { maxLength: 3 })),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 8, arbitrary: protocolBody.map((b) => JSON.stringify(b)) },
  { weight: 2, arbitrary: anyJson().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 50_000 }).map((d) => `{"protocolVersion":1,"containerId":"c1","ifName":"eth0","netns":"/var/run/netns/p1","prevResult":${deepJsonText(d)}}`) },
  { weight: 1, arbitrary: hugeString(1_100_000, 1_300_000).map((s) => JSON.stringify({ protocolVersion: 1, pad: s })) },
);

/** Messages of JavaScript runtime errors: a request the daemon did not check before using it. */
const RUNTIME_ERROR = /Cannot read properties|is not a function|is not iterable|Maximum call stack|Cannot convert|Invalid array length/;

function checkAnswer(m: string, a: Answer): void {
  expect(a.status).toBeGreaterThanOrEqual(200);
  expect(a.status).toBeLessThan(600);
  if (m === 'HEAD') return;
  const doc = JSON.parse(a.body) as Record<string, unknown>;
  expect(typeof doc === 'object' && doc !== null && !Array.isArray(doc)).toBe(true);
  if (a.status === 200) return;
  expect(Number.isInteger(doc.code)).toBe(true);
  expect(typeof doc.msg).toBe('string');
  expect((doc.msg as string).length).toBeGreaterThan(0);
  expect(doc.msg).not.toMatch(RUNTIME_ERROR);
}

describe('the hostnic daemon socket API under random requests', () => {
  it('always answers HTTP with a JSON body ({code, msg} on errors), keeps serving, and keeps its state file parseable', async () => {
    await fuzz(
      fc.asyncProperty(method, path, headers, body, async (m, p, h, b) => {
        const answer = await send(m, p, h, b);
        checkAnswer(m, answer);
        // still serving
        const status = await send('GET', PROTOCOL_PATHS.status, {}, undefined);
        expect(status.status).toBe(200);
      }),
      300,
      {
        timeout: 10_000,
        // Regressions (found by this property): unchecked body fields reached code as the wrong type → 999 TypeErrors.
        examples: [
          ['POST', PROTOCOL_PATHS.add, {}, JSON.stringify({ protocolVersion: 1, containerId: 'c9', ifName: 'eth0', netns: '/var/run/netns/p1', args: {}, serviceCIDR: { a: 1 } })],
          ['POST', PROTOCOL_PATHS.check, {}, JSON.stringify({ protocolVersion: 1, containerId: 'c9', ifName: 'eth0', netns: '/var/run/netns/p1', args: {}, prevResult: { interfaces: 5 } })],
          ['POST', PROTOCOL_PATHS.gc, {}, JSON.stringify({ protocolVersion: 1, validAttachments: [null] })],
        ],
      },
    );
    const state = await readFile(statePath, 'utf8');
    expect(() => JSON.parse(state) as unknown).not.toThrow();
    const introspect = await send('GET', INTROSPECT_PATH, {}, undefined);
    expect(introspect.status).toBe(200);
  });
});
