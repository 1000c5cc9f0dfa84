#!/usr/bin/env node
// Composition root of hostnic-daemon: the only daemon file that reads argv/env, builds real adapters and handles signals.
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { FileCheckpointer } from '../../shared/checkpoint.js';
import { systemClock } from '../../shared/clock.js';
import { messageOf } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { NodeCommandRunner } from '../../shared/node-exec.js';
import { drainOnSignals } from '../../shared/shutdown.js';
import { DEFAULT_BUDGET, createQingCloud, loadConfig, readInstanceId } from '../../qingcloud/index.js';
import { IpNetOps } from '../net/ip-net-ops.js';
import { DaemonConfigError, loadDaemonConfig } from './config.js';
import { DaemonMetrics } from './metrics.js';
import { QingCloudNicProvider } from './qingcloud-nic-provider.js';
import { HostnicServer } from './server.js';
import { startHostnic, type RunningHostnic } from './startup.js';

const USAGE = 'usage: hostnic-daemon [--config /etc/hostnic/hostnic.yaml]';

function configPath(argv: readonly string[]): string {
  let path = '/etc/hostnic/hostnic.yaml';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config' && argv[i + 1] !== undefined) path = argv[++i]!;
    else if (arg.startsWith('--config=')) path = arg.slice('--config='.length);
    else throw new DaemonConfigError(`unknown argument ${JSON.stringify(arg)}; ${USAGE}`);
  }
  return path;
}

async function main(): Promise<void> {
  const config = await loadDaemonConfig(configPath(process.argv.slice(2)), (p) => readFile(p, 'utf8'));
  const logger = createLogger({ level: config.logLevel, name: 'hostnic-daemon' });
  const instanceId = await readInstanceId(config.instanceIdFile);
  const sdkConfig = await loadConfig({ file: config.qingcloudConfig, env: process.env });
  const budget = { ratePerSecond: config.apiRate ?? DEFAULT_BUDGET.ratePerSecond, burst: config.apiBurst ?? DEFAULT_BUDGET.burst };
  const sdk = createQingCloud({ config: sdkConfig, logger, clock: systemClock, budget });
  const provider = new QingCloudNicProvider({ sdk, instanceId });
  const netOps = new IpNetOps({ runner: new NodeCommandRunner() });
  // metrics are served before reconcile finishes: they read the daemon once it exists
  const live: { daemon?: RunningHostnic } = {};
  const metrics = new DaemonMetrics(() => {
    const stats = live.daemon?.pool.stats();
    return {
      idle: stats?.idle.length ?? 0,
      assigned: live.daemon?.table.inPhase('assigned').length ?? 0,
      inFlight: stats?.inFlight ?? 0,
      pods: live.daemon?.service.podCount() ?? 0,
    };
  });
  sdk.metrics.onCall((call) => metrics.cloudCall({ action: call.action, outcome: call.outcome }));
  let metricsServer: Server | undefined;
  if (config.metricsAddress !== undefined) metricsServer = await metrics.serve(config.metricsAddress.host, config.metricsAddress.port, logger);

  logger.info({ instanceId, vxnets: config.vxnets, maxPods: config.maxPods, pool: config.pool }, 'hostnic-daemon starting: reconciling before serving');
  const running = await startHostnic({
    config,
    instanceId,
    provider,
    netOps,
    checkpointer: new FileCheckpointer({ path: join(config.stateDir, 'state.json') }),
    clock: systemClock,
    logger,
    observer: metrics,
  });
  live.daemon = running;
  const server = new HostnicServer(config.socket, running.service, logger);
  await server.listen();

  drainOnSignals(logger, 'hostnic-daemon', async () => {
    await server.close(); // no new requests; open ones finish
    await running.stop();
    metricsServer?.close();
    await sdk.close();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`hostnic-daemon: ${messageOf(err)}\n`);
  process.exit(1);
});
