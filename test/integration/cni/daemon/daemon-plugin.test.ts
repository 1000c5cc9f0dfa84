import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nicNameFor, type NicProvider } from '../../../../src/cni/daemon/nic-provider.js';
import { QingCloudNicProvider } from '../../../../src/cni/daemon/qingcloud-nic-provider.js';
import { HostnicServer, INTROSPECT_PATH } from '../../../../src/cni/daemon/server.js';
import { startHostnic, type RunningHostnic } from '../../../../src/cni/daemon/startup.js';
import { CNI_ERROR } from '../../../../src/cni/types.js';
import { FileCheckpointer } from '../../../../src/shared/checkpoint.js';
import { systemClock } from '../../../../src/shared/clock.js';
import { silentLogger } from '../../../../src/shared/log.js';
import { createQingCloud, type QingCloud } from '../../../../src/qingcloud/index.js';
import { sdkConfigFor } from '../../../../src/qingcloud/sim/client-config.js';
import { startSimulator, type RunningSimulator } from '../../../../src/qingcloud/sim/index.js';
import { FakeNetOps } from '../../../fakes/fake-net-ops.js';
import { buildPlugin, type BuiltPlugin } from '../plugin/build-plugin.js';

type JsonDoc = Record<string, any>;

const NODE = 'i-node0001';
const SEED = {
  vxnets: [
    { id: 'vxnet-node01', cidr: '10.0.0.0/24' },
    { id: 'vxnet-pods01', cidr: '192.168.20.0/24' },
    { id: 'vxnet-pods02', cidr: '192.168.21.0/24' },
  ],
  instances: [{ id: NODE, vxnet: 'vxnet-node01' }],
};

/**
 * Test glue standing in for the hypervisor: with NoEffects the simulator's attached NICs never appear as links, so
 * this NicProvider plugs a NIC into the FakeNetOps host netns once the real attach returned and unplugs it on detach.
 */
class HotPlugProvider implements NicProvider {
  constructor(
    private readonly real: NicProvider,
    private readonly net: FakeNetOps,
  ) {}
  listOwned = (id: string) => this.real.listOwned(id);
  create = (vxnet: string, count: number) => this.real.create(vxnet, count);
  async attach(ids: readonly string[], instance: string): Promise<void> {
    await this.real.attach(ids, instance);
    for (const id of ids) if (this.net.whereIs(id) === undefined) this.net.plugNic(id);
  }
  async detach(ids: readonly string[]): Promise<void> {
    await this.real.detach(ids);
    for (const id of ids) this.net.unplugNic(id);
  }
  delete = (ids: readonly string[]) => this.real.delete(ids);
  freeAddresses = (ids: readonly string[]) => this.real.freeAddresses(ids);
  describeVxnets = (ids: readonly string[]) => this.real.describeVxnets(ids);
  describeNode = (id: string) => this.real.describeNode(id);
}

let plugin: BuiltPlugin;
let dir: string;
let sim: RunningSimulator;
let sdk: QingCloud;
let net: FakeNetOps;
let daemon: { running: RunningHostnic; server: HostnicServer } | undefined;

beforeAll(async () => {
  plugin = await buildPlugin();
});

afterAll(async () => {
  await plugin?.remove();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostnic-daemon-'));
  sim = await startSimulator({ seed: SEED, random: 7 });
  sdk = createQingCloud({
    config: sdkConfigFor(sim.clientConfig, { connectionTimeoutMs: 5_000 }),
    budget: null,
    waiter: { initialIntervalMs: 10, maxIntervalMs: 50 },
  });
  net = new FakeNetOps();
});

afterEach(async () => {
  await stopDaemon();
  await sdk.close();
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

const socketPath = (): string => join(dir, 'hostnic.sock');

async function startDaemon(config: { maxPods?: number; low?: number; high?: number } = {}): Promise<RunningHostnic> {
  const running = await startHostnic({
    config: {
      vxnets: ['vxnet-pods01', 'vxnet-pods02'],
      pool: { low: config.low ?? 0, high: config.high ?? 2, cooldownSeconds: 60 },
      maxPods: config.maxPods ?? 60,
      serviceCIDR: '10.96.0.0/12',
      hostNetns: undefined,
      orphanAgeSeconds: 600,
    },
    instanceId: NODE,
    provider: new HotPlugProvider(new QingCloudNicProvider({ sdk, instanceId: NODE, jobTimeoutMs: 10_000 }), net),
    netOps: net,
    checkpointer: new FileCheckpointer({ path: join(dir, 'state', 'state.json') }),
    clock: systemClock,
    logger: silentLogger(),
    background: false,
    linkWaitMs: 2_000,
    reconcileLinkWaitMs: 0,
    settleTimeoutMs: 5_000,
  });
  const server = new HostnicServer(socketPath(), running.service, silentLogger());
  await server.listen();
  daemon = { running, server };
  return running;
}

async function stopDaemon(): Promise<void> {
  if (daemon === undefined) return;
  await daemon.server.close();
  await daemon.running.stop();
  daemon = undefined;
}

interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

function exec(env: Record<string, string>, stdin: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [plugin.mainJs], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ stdout, stderr, exitCode }));
    child.stdin.end(stdin);
  });
}

function podEnv(command: string, containerId: string): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: `/var/run/netns/${containerId}`,
    CNI_IFNAME: 'eth0',
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${containerId}`,
    CNI_PATH: '/opt/cni/bin',
  };
}

function conf(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ cniVersion: '1.1.0', name: 'hostnic-net', type: 'hostnic', socket: socketPath(), serviceCIDR: '10.96.0.0/12', ...extra });
}

function doc(out: ExecResult): JsonDoc {
  return JSON.parse(out.stdout.trim()) as JsonDoc;
}

async function add(containerId: string): Promise<JsonDoc> {
  net.addNetns(containerId);
  const out = await exec(podEnv('ADD', containerId), conf());
  expect(out.stderr).toBe('');
  expect(out.exitCode).toBe(0);
  return doc(out);
}

function introspect(): Promise<JsonDoc> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socketPath(), path: INTROSPECT_PATH, method: 'GET', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve(JSON.parse(text) as JsonDoc));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('hostnic-daemon with the real SDK against the simulator, driven by the exec\'d plugin', () => {
  it('runs ADD, CHECK, STATUS, DEL, VERSION end to end and keeps the socket private', async () => {
    await startDaemon();
    expect((await stat(socketPath())).mode & 0o777).toBe(0o600);
    const result = await add('c1');
    const nic = result.interfaces[1];
    expect(nic).toMatchObject({ name: 'eth0', sandbox: '/var/run/netns/c1' });
    expect(result.ips[0].address).toMatch(/^192\.168\.2[01]\.\d+\/24$/);
    const cloudNic = (await sdk.api.nics.describeAllNics({ nics: [nic.mac] }))[0]!;
    expect(cloudNic).toMatchObject({ nic_name: nicNameFor(NODE), status: 'in-use', instance_id: NODE });
    expect(net.whereIs(nic.mac)?.netns).toBe('c1');

    const check = await exec(podEnv('CHECK', 'c1'), conf({ prevResult: result }));
    expect(check).toMatchObject({ exitCode: 0, stdout: '' });
    const status = await exec({ CNI_COMMAND: 'STATUS', CNI_PATH: '/opt/cni/bin' }, conf());
    expect(status).toMatchObject({ exitCode: 0, stdout: '' });
    const version = await exec({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.1.0"}');
    expect(doc(version).supportedVersions).toContain('1.1.0');

    const del = await exec(podEnv('DEL', 'c1'), conf({ prevResult: result }));
    expect(del.exitCode).toBe(0);
    expect(net.whereIs(nic.mac)?.netns).toBe('');
    expect((await exec(podEnv('DEL', 'c1'), conf())).exitCode).toBe(0); // DEL again
    const view = await introspect();
    expect(view.nics).toEqual([expect.objectContaining({ nicId: nic.mac, phase: 'attached-idle' })]);
    expect(JSON.stringify(view)).not.toContain(sim.clientConfig.qy_secret_access_key);
  });

  it('refuses the pod beyond maxPods with 101, reports STATUS 50, and recovers when a pod leaves', async () => {
    await startDaemon({ maxPods: 2 });
    await add('c1');
    await add('c2');
    net.addNetns('c3');
    const over = await exec(podEnv('ADD', 'c3'), conf());
    expect(over.exitCode).not.toBe(0);
    expect(doc(over)).toMatchObject({ code: CNI_ERROR.NodePodLimit });
    expect(doc(over).msg).toContain(NODE);
    const status = await exec({ CNI_COMMAND: 'STATUS', CNI_PATH: '/opt/cni/bin' }, conf());
    expect(status.exitCode).not.toBe(0);
    expect(doc(status)).toMatchObject({ code: 50, msg: `node ${NODE} at its pod limit: 2/2 pods; existing pods keep their connectivity` });
    expect((await exec(podEnv('DEL', 'c1'), conf())).exitCode).toBe(0);
    expect((await exec({ CNI_COMMAND: 'STATUS', CNI_PATH: '/opt/cni/bin' }, conf())).exitCode).toBe(0);
    await add('c3');
  });

  it('releases attachments GC does not list', async () => {
    await startDaemon();
    await add('c1');
    await add('c2');
    const gc = await exec({ CNI_COMMAND: 'GC', CNI_PATH: '/opt/cni/bin' }, conf({ 'cni.dev/valid-attachments': [{ containerID: 'c1', ifname: 'eth0' }] }));
    expect(gc.exitCode).toBe(0);
    const phases = ((await introspect()).nics as { phase: string; pod?: { containerId: string } }[]).map((n) => `${n.pod?.containerId ?? '-'}:${n.phase}`).sort();
    expect(phases).toEqual(['-:attached-idle', 'c1:assigned']);
  });

  it('keeps every pod on its NIC across a daemon restart with the same state directory', async () => {
    const first = await startDaemon({ low: 1, high: 2 });
    await first.pool.runOnce();
    const r1 = await add('c1');
    const r2 = await add('c2');
    await stopDaemon();
    const second = await startDaemon({ low: 1, high: 2 });
    expect(second.reconcileReport.dropped).toEqual([]);
    expect(second.reconcileReport.retired).toEqual([]);
    for (const [id, r] of [['c1', r1], ['c2', r2]] as const) {
      const check = await exec(podEnv('CHECK', id), conf({ prevResult: r }));
      expect(check).toMatchObject({ exitCode: 0, stdout: '' });
    }
    const owned = await sdk.api.nics.describeAllNics({ nic_name: nicNameFor(NODE) });
    expect(new Set(owned.map((n) => n.nic_id))).toEqual(new Set(second.table.all().map((n) => n.nicId)));
    expect(owned.every((n) => n.status === 'in-use')).toBe(true);
  });

  it('answers a request of another protocol version with 400 and code 1', async () => {
    await startDaemon();
    const answer = await new Promise<{ status: number; body: JsonDoc }>((resolve, reject) => {
      const req = request({ socketPath: socketPath(), path: '/v1/cni/del', method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as JsonDoc }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ protocolVersion: 2, containerId: 'c1', ifName: 'eth0', netns: '', args: {} }));
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: CNI_ERROR.IncompatibleVersion });
  });
});
