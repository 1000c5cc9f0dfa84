import { credentials, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { HostnicServer, INTROSPECT_PATH } from '../../../src/cni/daemon/server.js';
import { ControllerService } from '../../../src/csi/controller.js';
import { IdentityService } from '../../../src/csi/identity.js';
import { CsiMetrics } from '../../../src/csi/metrics.js';
import { DeviceResolver } from '../../../src/csi/mount/devices.js';
import { NodeService } from '../../../src/csi/node.js';
import { loadCsiPackage } from '../../../src/csi/proto-package.js';
import { startCsiServer, type RunningCsiServer } from '../../../src/csi/server.js';
import { topologyKeys } from '../../../src/csi/topology.js';
import { createQingCloud } from '../../../src/qingcloud/index.js';
import { INSTANCE_CLASSES, VOLUME_TYPES } from '../../../src/qingcloud/volume-types.js';
import { systemClock } from '../../../src/shared/clock.js';
import { createLogger } from '../../../src/shared/log.js';
import { FakeBlockStorage } from '../../fakes/fake-block-storage.js';
import { FakeMounter } from '../../fakes/fake-mounter.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { blockCapability, startHarness, type Harness } from '../../integration/csi/harness.js';
import { World } from '../cni/daemon/harness.js';
import { FakeTransport } from '../qingcloud/fake-transport.js';
import { testConfig } from '../qingcloud/helpers.js';

const ACCESS_SECRET = 'AccessSecret0Never1Printed2';
const CSI_SECRET = 'csiSecretValue9XyZ';
const MOUNT_FLAG = 'mountFlagValue7QwE';
const VOLUME = 'vol-sec00001';

/** Everything a flow printed: log lines, error texts (message, stack, causes, own fields), answers, metrics. */
class Sink {
  readonly texts: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      this.texts.push(chunk.toString('utf8'));
      done();
    },
  });
  readonly logger = createLogger({ level: 'debug' }, this.stream);

  add(value: unknown): void {
    for (let e: unknown = value, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
      if (e instanceof Error) {
        this.texts.push(e.message, e.stack ?? '', String(e), safeJson({ ...e }));
        e = (e as { cause?: unknown }).cause;
      } else {
        this.texts.push(typeof e === 'string' ? e : safeJson(e));
        break;
      }
    }
  }

  /** The secrets that appear anywhere (none expected). */
  leaks(secrets: readonly string[]): string[] {
    return this.texts.flatMap((t) => secrets.filter((s) => s !== '' && t.includes(s)).map((s) => `${s} in: ${t.slice(0, 600)}`));
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'security-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The SDK over a transport that fails in each way it can; returns the signatures it sent. */
async function failingSdkFlow(sink: Sink): Promise<{ signatures: string[]; errors: unknown[] }> {
  let n = 0;
  const transport = new FakeTransport(() => {
    n += 1;
    if (n % 3 === 1) return { status: 502, body: '<html>bad gateway</html>', contentType: 'text/html' };
    if (n % 3 === 2) return { ret_code: 1200, message: 'AuthFailure, signature mismatch' };
    throw new Error('socket hang up');
  });
  const sdk = createQingCloud({
    config: testConfig({ secretAccessKey: ACCESS_SECRET, connectionRetries: 0 }),
    clock: new ManualClock(),
    transport,
    logger: sink.logger,
    budget: null,
    retry: { maxAttempts: 1, maxThrottledAttempts: 1 },
    random: () => 0.5,
  });
  const errors: unknown[] = [];
  for (let i = 0; i < 3; i++) {
    await sdk.api.volumes.describeVolumes({ volumes: [VOLUME] }).catch((err: unknown) => errors.push(err));
    await sdk.api.volumes.deleteVolumes([VOLUME]).catch((err: unknown) => errors.push(err));
  }
  sink.add(sdk.metrics);
  await sdk.close();
  for (const err of errors) sink.add(err);
  const signatures = transport.seen.map((s) => s.params['signature'] ?? '').filter((s) => s !== '');
  return { signatures, errors };
}

describe('secrets never leave the process', () => {
  it('the SDK puts neither the secret access key nor request signatures in errors, logs or metrics when calls fail', async () => {
    const sink = new Sink();
    const { signatures, errors } = await failingSdkFlow(sink);
    expect(errors).toHaveLength(6);
    expect(signatures.length).toBeGreaterThan(0);
    expect(sink.leaks([ACCESS_SECRET, ...signatures])).toEqual([]);
  });

  it('the CSI driver over its socket returns no CSI secret, mount flag or cloud key in its answers', async () => {
    const sink = new Sink();
    const h: Harness = await startHarness();
    cleanups.push(() => h.stop());
    const secrets = { token: CSI_SECRET, password: CSI_SECRET };
    const cap = { mount: { fs_type: 'ext4', mount_flags: [MOUNT_FLAG, 'bind'] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };
    const badCap = { mount: { fs_type: 'ext4', mount_flags: [MOUNT_FLAG] }, access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' } };
    const created = await h.call('controller', 'CreateVolume', { name: 'sec-vol', capacity_range: { required_bytes: String(20 * 1024 ** 3) }, volume_capabilities: [cap], parameters: {}, secrets });
    sink.add(created);
    const id = created.volume.volume_id as string;
    const calls: [string, string, object][] = [
      ['controller', 'CreateVolume', { name: 'sec-vol-2', volume_capabilities: [badCap], secrets, parameters: { type: '2' } }],
      ['controller', 'ControllerPublishVolume', { volume_id: id, node_id: 'i-sim00001', volume_capability: cap, secrets }],
      ['controller', 'ControllerPublishVolume', { volume_id: id, node_id: 'i-nothere1', volume_capability: badCap, secrets }],
      ['controller', 'ValidateVolumeCapabilities', { volume_id: id, volume_capabilities: [cap, badCap], secrets }],
      ['controller', 'CreateSnapshot', { name: 'sec-snap', source_volume_id: id, secrets, parameters: { x: 'y' } }],
      ['controller', 'ControllerExpandVolume', { volume_id: id, capacity_range: { required_bytes: '-1' }, secrets }],
      ['controller', 'DeleteVolume', { volume_id: id, secrets }],
      ['node', 'NodeStageVolume', { volume_id: id, staging_target_path: '/kubelet/staging/x', volume_capability: cap, secrets }],
      ['node', 'NodeStageVolume', { volume_id: id, staging_target_path: '/kubelet/staging/../x', volume_capability: cap, secrets }],
      ['node', 'NodePublishVolume', { volume_id: id, staging_target_path: '/kubelet/staging/x', target_path: '/kubelet/pods/x', volume_capability: cap, secrets }],
      ['node', 'NodePublishVolume', { volume_id: id, staging_target_path: '/kubelet/staging/x', target_path: '/kubelet/pods/y', volume_capability: blockCapability(), secrets }],
      ['node', 'NodeExpandVolume', { volume_id: id, volume_path: '/kubelet/pods/x', volume_capability: cap, secrets }],
    ];
    for (const [service, method, req] of calls) {
      await h.call(service as 'controller' | 'node', method, req).then(
        (res) => sink.add(res),
        (err: ServiceError) => sink.add(`${err.code} ${err.details} ${err.message} ${safeJson(err.metadata?.getMap())}`),
      );
    }
    expect(sink.texts.length).toBeGreaterThan(calls.length);
    expect(sink.leaks([CSI_SECRET, MOUNT_FLAG, h.sim.clientConfig.qy_secret_access_key])).toEqual([]);
  });

  it('the CSI server logs and metrics name no CSI secret or mount flag, even for failing calls', async () => {
    const sink = new Sink();
    const dir = await tempDir();
    const mounter = new FakeMounter().addDevice('/dev/vdb').addDir('/kubelet/staging');
    const devices = new DeviceResolver({
      clock: systemClock,
      waitTimeoutMs: 0,
      fs: {
        realpath: async (p) => (p.endsWith(`virtio-${VOLUME}`) ? '/dev/vdb' : undefined),
        readText: async (p) => (p.endsWith('/vdb/serial') ? VOLUME : undefined),
        isBlockDevice: async (p) => p === '/dev/vdb',
      },
    });
    const catalog = { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES };
    const keys = topologyKeys('disk.csi.qingcloud.com');
    const node = new NodeService({ mounter, devices, identity: { nodeId: 'i-sec00001', zone: 'pek3a', instanceClass: 0 }, keys, catalog, maxVolumesPerNode: 9 });
    const controller = new ControllerService({ storage: new FakeBlockStorage({ zone: 'pek3a' }), catalog, keys, defaultVolumeType: 2 });
    const metrics = new CsiMetrics(() => 0);
    const services = { identity: new IdentityService({ driverName: 'disk.csi.qingcloud.com', version: 'test', clock: systemClock }), controller, node };
    const socket = join(dir, 'csi.sock');
    const server: RunningCsiServer = await startCsiServer(`unix://${socket}`, services as never, sink.logger, (m, c, s) => metrics.rpc(m, c, s));
    cleanups.push(() => server.stop(100));
    // Only the owner and its group (root: kubelet and the sidecars) may connect.
    expect((await stat(socket)).mode & 0o777).toBe(0o660);
    const pkg = loadCsiPackage();
    const clients: Record<string, Client> = {
      controller: new pkg.clients.controller(`unix://${socket}`, credentials.createInsecure()),
      node: new pkg.clients.node(`unix://${socket}`, credentials.createInsecure()),
    };
    cleanups.push(async () => Object.values(clients).forEach((c) => c.close()));
    const call = (service: string, method: string, req: object): Promise<void> =>
      new Promise((resolve) => {
        const client = clients[service] as unknown as Record<string, (...a: unknown[]) => void>;
        client[method]!.call(client, req, new Metadata(), { deadline: Date.now() + 5_000 }, (err: ServiceError | null, res: unknown) => {
          sink.add(err === null ? res : `${err.details}`);
          resolve();
        });
      });
    const secrets = { token: CSI_SECRET };
    const cap = (flags: string[]): object => ({ mount: { fs_type: 'ext4', mount_flags: flags }, access_mode: { mode: 'SINGLE_NODE_WRITER' } });
    await call('controller', 'CreateVolume', { name: 'v1', volume_capabilities: [cap([MOUNT_FLAG])], secrets, parameters: { bogus: 'x' } });
    await call('controller', 'CreateVolume', { name: 'v2', volume_capabilities: [cap([MOUNT_FLAG])], secrets });
    await call('controller', 'DeleteVolume', { volume_id: 'vol-zzzz0000', secrets });
    await call('node', 'NodeStageVolume', { volume_id: VOLUME, staging_target_path: '/kubelet/staging/a', volume_capability: cap([MOUNT_FLAG, 'bind']), secrets });
    await call('node', 'NodeStageVolume', { volume_id: VOLUME, staging_target_path: '/kubelet/staging/b', volume_capability: cap([`${MOUNT_FLAG}\n`]), secrets });
    mounter.failNext('mount', new Error(`mount failed with options ${MOUNT_FLAG}`));
    await call('node', 'NodeStageVolume', { volume_id: VOLUME, staging_target_path: '/kubelet/staging/c', volume_capability: cap([MOUNT_FLAG]), secrets });
    await call('node', 'NodePublishVolume', { volume_id: VOLUME, staging_target_path: '/kubelet/staging/c', target_path: 'relative', volume_capability: cap([MOUNT_FLAG]), secrets });
    sink.add(await metrics.registry.metrics());
    sink.add(mounter.calls.filter((c) => c.method !== 'mount'));
    // The requests were logged (redacted): the check below is not vacuous.
    expect(sink.texts.some((t) => t.includes('"rpc":"NodeStageVolume"'))).toBe(true);
    expect(sink.leaks([CSI_SECRET])).toEqual([]);
    // The one mount-flag sighting allowed is the test's own injected adapter error text; logs and answers carry none.
    const logLines = sink.texts.filter((t) => t.startsWith('{'));
    expect(logLines.filter((l) => l.includes(MOUNT_FLAG) && !l.includes('mount failed with options'))).toEqual([]);
  });

  it("the hostnic daemon's introspection and socket answers carry no cloud secret or signature, and its socket is 0600", async () => {
    const sink = new Sink();
    const { signatures, errors } = await failingSdkFlow(new Sink());
    const world = new World();
    const daemon = await world.start();
    cleanups.push(() => world.stopAll());
    for (const err of errors) daemon.service.recordError('cloud', err);
    const dir = await tempDir();
    const socket = join(dir, 'hostnic.sock');
    const server = new HostnicServer(socket, daemon.service, sink.logger);
    await server.listen();
    cleanups.push(() => server.close());
    expect((await stat(socket)).mode & 0o777).toBe(0o600);
    for (const path of [INTROSPECT_PATH, '/v1/cni/status', '/nope']) {
      sink.add(
        await new Promise<string>((resolve, reject) => {
          request({ socketPath: socket, path }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (d: string) => (body += d));
            res.on('end', () => resolve(body));
          })
            .on('error', reject)
            .end();
        }),
      );
    }
    expect(sink.texts.join('').includes('lastErrors')).toBe(true);
    expect(sink.leaks([ACCESS_SECRET, ...signatures])).toEqual([]);
  });
});
