#!/usr/bin/env node
// Composition root of the CSI driver: the only file that reads argv/env, builds real adapters and handles signals.
import { readFileSync } from 'node:fs';
import { systemClock } from '../shared/clock.js';
import { createLogger, type Logger } from '../shared/log.js';
import { NodeCommandRunner } from '../shared/node-exec.js';
import { DEFAULT_BUDGET, createQingCloud, loadConfig, readInstanceId, type QingCloud, type QingCloudConfig } from '../qingcloud/index.js';
import { INSTANCE_CLASSES, VOLUME_TYPES } from '../qingcloud/volume-types.js';
import { CSI_USAGE, CsiUsageError, parseCsiArgs, type CsiCliOptions } from './cli.js';
import { ControllerService } from './controller.js';
import { IdentityService } from './identity.js';
import { DeviceResolver } from './mount/devices.js';
import { LinuxMounter } from './mount/linux-mounter.js';
import { NodeService, type NodeIdentity } from './node.js';
import { startCsiServer } from './server.js';
import { QingCloudBlockStorage } from './storage/qingcloud-block-storage.js';
import { topologyKeys } from './topology.js';
import { findPackageRoot } from './proto.js';
import { CsiMetrics } from './metrics.js';
import { parseHostPort, serveMetrics } from '../shared/metrics-http.js';
import { drainOnSignals } from '../shared/shutdown.js';
import { HeapGuard } from '../shared/heap-guard.js';
import type { Server } from 'node:http';

/** QingCloud's per-instance disk limit when the cloud cannot be asked (qingcloud-api.md §6.4). */
const INSTANCE_VOLUME_LIMIT = 10;
const CSI_NAME_PREFIX = 'pvc-';

function version(): string {
  try {
    const root = findPackageRoot(new URL('.', import.meta.url).pathname);
    return (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0-unknown';
  }
}

async function main(): Promise<void> {
  let options: CsiCliOptions | 'help';
  try {
    options = parseCsiArgs(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  if (options === 'help') {
    process.stdout.write(`${CSI_USAGE}\n`);
    return;
  }
  const logger = createLogger({ level: options.logLevel, name: 'qingcloud-csi' });
  const catalog = { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES };
  const keys = topologyKeys(options.driverName);
  const serveController = options.mode !== 'node';
  const serveNode = options.mode !== 'controller';

  // The controller cannot work without credentials; the node only uses them (if present) to learn its instance class.
  let config: QingCloudConfig | undefined;
  try {
    config = await loadConfig({ file: options.configPath, env: process.env });
  } catch (err) {
    if (serveController) throw err;
    logger.info({ reason: (err as Error).message }, 'no usable QingCloud config on this node; topology will name the zone only if the config is missing');
  }
  const budget = {
    ratePerSecond: options.apiRatePerSecond ?? DEFAULT_BUDGET.ratePerSecond,
    burst: options.apiBurst ?? DEFAULT_BUDGET.burst,
  };
  const sdk = config === undefined ? undefined : createQingCloud({ config, budget, logger: logger.child({ component: 'sdk' }) });

  let controller: ControllerService | undefined;
  let storage: QingCloudBlockStorage | undefined;
  if (serveController && sdk !== undefined && config !== undefined) {
    storage = new QingCloudBlockStorage({ sdk, zone: config.zone, clock: systemClock, logger: logger.child({ component: 'storage' }) });
    controller = new ControllerService({ storage, catalog, keys, defaultVolumeType: 0, clock: systemClock, logger: logger.child({ component: 'controller' }) });
  }
  let node: NodeService | undefined;
  if (serveNode) {
    const identity = await nodeIdentity(options, config, sdk, logger);
    const runner = new NodeCommandRunner();
    node = new NodeService({
      mounter: new LinuxMounter({ runner, logger: logger.child({ component: 'mounter' }) }),
      devices: new DeviceResolver({
        clock: systemClock,
        deviceDir: options.deviceDir,
        allowUnverifiableDevices: options.allowUnverifiableDevices,
        logger: logger.child({ component: 'devices' }),
      }),
      identity: identity.identity,
      keys,
      catalog,
      maxVolumesPerNode: identity.maxVolumes,
      logger: logger.child({ component: 'node' }),
    });
  }
  const identity = new IdentityService({
    driverName: options.driverName,
    version: version(),
    clock: systemClock,
    ...(storage === undefined ? {} : { readinessCheck: () => storage.checkAccess() }),
  });
  const metrics = new CsiMetrics(() => (controller?.inflight() ?? 0) + (node?.inflight() ?? 0));
  const heap = heapGuard(() => metrics.heapGuardCollection());
  sdk?.metrics.onCall((event) => {
    metrics.cloudCall(event);
    heap?.poke();
  });
  let metricsServer: Server | undefined;
  if (options.metricsAddress !== undefined) {
    const { host, port } = parseHostPort(options.metricsAddress)!;
    metricsServer = await serveMetrics(metrics.registry, host, port, logger);
  }
  const server = await startCsiServer(
    options.endpoint,
    {
      identity: identity as unknown as Record<string, unknown>,
      ...(controller === undefined ? {} : { controller: controller as unknown as Record<string, unknown> }),
      ...(node === undefined ? {} : { node: node as unknown as Record<string, unknown> }),
    },
    logger,
    (method, code, seconds) => {
      metrics.rpc(method, code, seconds);
      heap?.poke();
    },
  );
  logger.info({ mode: options.mode, driver: options.driverName, version: version() }, 'qingcloud-csi ready');

  drainOnSignals(logger, 'qingcloud-csi', async () => {
    await server.stop(30_000); // in-flight calls finish first
    metricsServer?.close();
    await Promise.all([controller?.drain(), node?.drain()]);
    await sdk?.close();
  });
}

/** A HeapGuard when the runtime exposes gc (the image runs the driver with --expose-gc), else none. */
function heapGuard(collected: () => void): HeapGuard | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return undefined;
  return new HeapGuard({ runtime: { collect: () => gc(), usedBytes: () => process.memoryUsage().heapUsed }, clock: systemClock, onCollected: collected });
}

/** The node's id, zone, instance class and honest volume limit, asking the cloud once when credentials exist. */
async function nodeIdentity(
  options: CsiCliOptions,
  config: QingCloudConfig | undefined,
  sdk: QingCloud | undefined,
  logger: Logger,
): Promise<{ identity: NodeIdentity; maxVolumes: number }> {
  const nodeId = options.nodeId ?? (await readInstanceId(options.instanceIdFile));
  const identity: NodeIdentity = { nodeId, zone: config?.zone ?? 'unknown' };
  let maxVolumes = options.maxVolumesPerNode;
  if (sdk !== undefined) {
    try {
      const instance = await sdk.api.instances.getInstance(nodeId, AbortSignal.timeout(15_000));
      if (instance?.instance_class !== undefined) identity.instanceClass = instance.instance_class;
      if (instance?.zone_id !== undefined) identity.zone = instance.zone_id;
      if (maxVolumes === undefined && instance !== undefined) {
        // Disks this driver does not manage (the node's own data disks) use slots of the instance limit.
        const own = (instance.volume_ids ?? instance.volumes?.map((v) => v.volume_id) ?? []).length;
        const others = await Promise.all((instance.volume_ids ?? []).map((id) => sdk.api.volumes.getVolume(id)));
        const unmanaged = others.filter((v) => v !== undefined && !v.volume_name.startsWith(CSI_NAME_PREFIX)).length;
        maxVolumes = Math.max(1, INSTANCE_VOLUME_LIMIT - (own === 0 ? 0 : unmanaged));
      }
    } catch (err) {
      // An unknown instance or an unreachable API must not stop the node from registering.
      logger.warn({ err: (err as Error).message, nodeId }, 'could not read this instance from QingCloud; registering with the zone only');
    }
  }
  if (maxVolumes === undefined) {
    maxVolumes = INSTANCE_VOLUME_LIMIT - 1;
    logger.info({ maxVolumes }, 'volume limit not learned from the cloud; assuming one disk of the instance is not managed by CSI');
  }
  return { identity, maxVolumes };
}

main().catch((err: unknown) => {
  process.stderr.write(`qingcloud-csi failed to start: ${err instanceof CsiUsageError ? err.message : (err as Error).message}\n`);
  process.exit(1);
});
