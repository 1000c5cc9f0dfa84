import { credentials, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ControllerService } from '../../../src/csi/controller.js';
import { IdentityService } from '../../../src/csi/identity.js';
import { DeviceResolver, type DeviceLookupFs } from '../../../src/csi/mount/devices.js';
import { NodeService } from '../../../src/csi/node.js';
import { loadCsiPackage } from '../../../src/csi/proto-package.js';
import { startCsiServer, type RunningCsiServer } from '../../../src/csi/server.js';
import { QingCloudBlockStorage } from '../../../src/csi/storage/qingcloud-block-storage.js';
import { topologyKeys } from '../../../src/csi/topology.js';
import { createQingCloud, type QingCloud } from '../../../src/qingcloud/index.js';
import { sdkConfigFor } from '../../../src/qingcloud/sim/client-config.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../../src/qingcloud/sim/index.js';
import { INSTANCE_CLASSES, VOLUME_TYPES } from '../../../src/qingcloud/volume-types.js';
import { silentLogger } from '../../../src/shared/log.js';
import { systemClock } from '../../../src/shared/clock.js';
import { FakeMounter } from '../../fakes/fake-mounter.js';
import type { Mounter } from '../../../src/csi/mount/mounter.js';

export const GiB = 1024 ** 3;
export const DRIVER = 'disk.csi.qingcloud.com';
export const keys = topologyKeys(DRIVER);
/** The simulated node this driver's node service runs on (class 0: performance disks). */
export const NODE_ID = 'i-sim00001';

/**
 * Device lookup for a node without real effects: a volume the simulator shows attached to NODE_ID appears as a
 * virtio disk whose serial is its id, and the FakeMounter gets the matching device.
 */
class SimulatedDisks implements DeviceLookupFs {
  private readonly devices = new Map<string, string>();
  constructor(
    private readonly sim: RunningSimulator,
    private readonly mounter: FakeMounter,
  ) {}

  private attachedDevice(volumeId: string): string | undefined {
    const v = this.sim.world().volumes[volumeId];
    if (v === undefined || v.status !== 'in-use' || v.instance_id !== NODE_ID) return undefined;
    let device = this.devices.get(volumeId);
    if (device === undefined) {
      device = `/dev/vd${String.fromCharCode(98 + this.devices.size)}`;
      this.devices.set(volumeId, device);
      this.mounter.addDevice(device, { sizeBytes: v.size * GiB });
    }
    const fake = this.mounter.device(device);
    if (fake !== undefined && fake.sizeBytes < v.size * GiB) this.mounter.growDevice(device, v.size * GiB);
    return device;
  }

  async realpath(p: string): Promise<string | undefined> {
    const m = /virtio-(vol-[a-z0-9]+)$/.exec(p);
    return m === null ? undefined : this.attachedDevice(m[1]!);
  }

  async readText(p: string): Promise<string | undefined> {
    const m = /\/sys\/class\/block\/(vd[a-z]+)\/serial$/.exec(p);
    if (m === null) return undefined;
    return [...this.devices.entries()].find(([, dev]) => dev === `/dev/${m[1]}`)?.[0];
  }

  async isBlockDevice(p: string): Promise<boolean> {
    return [...this.devices.values()].includes(p);
  }
}

/** A driver (identity + controller + node) on a real unix socket, backed by the simulator, and gRPC clients. */
export interface Harness {
  sim: RunningSimulator;
  sdk: QingCloud;
  /** The fake node mounter (unused when a real node side was given). */
  mounter: FakeMounter;
  socketPath: string;
  dir: string;
  /** Unary call; resolves with the response or rejects with the gRPC ServiceError. */
  call<T = any>(service: 'identity' | 'controller' | 'node', method: string, request: object, deadlineMs?: number): Promise<T>;
  /** The gRPC status code name of a call ('OK' on success). */
  code(service: 'identity' | 'controller' | 'node', method: string, request: object, deadlineMs?: number): Promise<string>;
  /** Stops everything; `cleanup` also removes what the simulator's effects made. */
  stop(cleanup?: boolean): Promise<void>;
}

const CODE_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

/** How the node service finds and mounts devices; default: FakeMounter + simulated disks. */
export interface NodeSide {
  mounter: Mounter;
  devices: DeviceResolver;
}

/** Options of startHarness. */
export interface HarnessOptions {
  retry?: object;
  /** Builds the node side (the e2e tier passes the real Linux mounter and the simulator's by-id directory). */
  nodeSide?: (sim: RunningSimulator) => NodeSide;
}

export async function startHarness(simOptions: SimulatorOptions = {}, options: HarnessOptions = {}): Promise<Harness> {
  const sdkTuning = options;
  const dir = await mkdtemp(path.join(tmpdir(), 'csi-it-'));
  const sim = await startSimulator({ random: 3, ...simOptions });
  const c = sim.clientConfig;
  const sdk = createQingCloud({
    config: sdkConfigFor(c, { connectionTimeoutMs: 5_000 }),
    budget: null,
    waiter: { initialIntervalMs: 20, maxIntervalMs: 100 },
    retry: { maxAttempts: 5, backoff: { initialMs: 5, maxMs: 40, factor: 2, jitter: 0 }, throttlePause: { initialMs: 20, maxMs: 100, factor: 2, jitter: 0 }, ...sdkTuning.retry },
  });
  const catalog = { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES };
  const storage = new QingCloudBlockStorage({ sdk, zone: c.zone, clock: systemClock, logger: silentLogger() });
  const mounter = new FakeMounter();
  const side = options.nodeSide?.(sim) ?? {
    mounter,
    devices: new DeviceResolver({ clock: systemClock, fs: new SimulatedDisks(sim, mounter), waitTimeoutMs: 200, pollIntervalMs: 20 }),
  };
  const node = new NodeService({
    mounter: side.mounter,
    devices: side.devices,
    identity: { nodeId: NODE_ID, zone: c.zone, instanceClass: 0 },
    keys,
    catalog,
    maxVolumesPerNode: 9,
  });
  const services = {
    identity: new IdentityService({ driverName: DRIVER, version: '0.1.0', clock: systemClock, readinessCheck: () => storage.checkAccess() }),
    controller: new ControllerService({ storage, catalog, keys, defaultVolumeType: 0 }),
    node,
  };
  const socketPath = path.join(dir, 'csi.sock');
  const server: RunningCsiServer = await startCsiServer(`unix://${socketPath}`, services as unknown as Parameters<typeof startCsiServer>[1], silentLogger());
  const pkg = loadCsiPackage();
  const clients: Record<string, Client> = {
    identity: new pkg.clients.identity(`unix://${socketPath}`, credentials.createInsecure()),
    controller: new pkg.clients.controller(`unix://${socketPath}`, credentials.createInsecure()),
    node: new pkg.clients.node(`unix://${socketPath}`, credentials.createInsecure()),
  };
  const call = <T>(service: string, method: string, request: object, deadlineMs = 15_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const client = clients[service] as unknown as Record<string, (...args: unknown[]) => void>;
      client[method]!.call(client, request, new Metadata(), { deadline: Date.now() + deadlineMs }, (err: ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
    });
  return {
    sim,
    sdk,
    mounter,
    socketPath,
    dir,
    call,
    code: (service, method, request, deadlineMs) =>
      call(service, method, request, deadlineMs).then(
        () => 'OK',
        (err: ServiceError) => CODE_NAMES[err.code] ?? String(err.code),
      ),
    stop: async (cleanup = false) => {
      for (const client of Object.values(clients)) client.close();
      await server.stop(1_000);
      await services.controller.drain();
      await sdk.close();
      await sim.stop({ cleanup });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A mount capability (SINGLE_NODE_WRITER). */
export function mountCapability(fsType = 'ext4'): object {
  return { mount: { fs_type: fsType, mount_flags: [] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };
}

/** A block capability (SINGLE_NODE_WRITER). */
export function blockCapability(): object {
  return { block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } };
}
