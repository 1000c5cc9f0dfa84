import { randomInt as cryptoRandomInt } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import { systemClock, type Clock } from '../../shared/clock.js';
import { silentLogger, type Logger } from '../../shared/log.js';
import { Dispatcher } from './dispatch.js';
import { NoEffects, type SimEffects } from './effects.js';
import { SimEngine } from './engine.js';
import type { JobLatencyOption, SimFaults } from './faults.js';
import { SimHttpServer } from './http-server.js';
import type { World } from './model.js';
import { seededRandom, type Random } from './rng.js';
import { buildWorld, parseSeedYaml, type SimSeed } from './seed.js';
import { loadWorld, writeFileAtomic } from './store.js';

export type { SimEffects } from './effects.js';
export type { JobLatencyOption, LatencySpec, SimFaults, FaultRates, InjectableRetCode } from './faults.js';
export type { World } from './model.js';
export type { SimSeed } from './seed.js';
export { DEFAULT_ACCESS_KEY } from './seed.js';
export { SimApiError, SimSeedError, SimStateFileError } from './errors.js';

/** How to start a simulator. Every field is optional. */
export interface SimulatorOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; 0 (default) picks a free one. */
  port?: number;
  /** API path; default `/iaas/` (`/iaas` is served too). */
  uri?: string;
  /** State file: loaded when it exists (a corrupt one is an error), else created; saved atomically after changes. */
  stateFile?: string;
  /** The world to create when there is no state file yet: an object or YAML text (schema: seed.sample.yaml). */
  seed?: SimSeed | string;
  /** What state changes do outside the simulator; default NoEffects. */
  effects?: SimEffects;
  /** Job latency in ms: fixed, a {min,max} range, or per action; default 0. */
  jobLatencyMs?: JobLatencyOption;
  /** Fault injection and API-call quota; default none. */
  faults?: SimFaults;
  /** Allowed |now - time_stamp| in seconds; default 60 (qingcloud-api.md §2.4). */
  timeWindowSec?: number;
  /** A seed number or a random source, for reproducible ids, latencies and faults; default a random seed. */
  random?: number | Random;
  /** Time source (job latency, timestamps, signature window); default the system clock. */
  clock?: Clock;
  logger?: Logger;
  /** ResizeVolumes on `in-use` volumes; default true (the real cloud historically required detached volumes). */
  allowOnlineResize?: boolean;
  /** CreateSnapshots `job_id` as an array (live API, default) or a string (docs). */
  snapshotJobIdAs?: 'array' | 'string';
}

/** A QingCloud SDK config (the keys of ~/.qingcloud/config.yaml) pointing at the simulator. */
export interface SimClientConfig {
  qy_access_key_id: string;
  qy_secret_access_key: string;
  zone: string;
  host: string;
  port: number;
  protocol: 'http';
  uri: '/iaas/';
}

/** A started simulator. */
export interface RunningSimulator {
  /** e.g. http://127.0.0.1:PORT/iaas/ */
  readonly url: string;
  readonly port: number;
  /** Config for a client of the first access key. */
  readonly clientConfig: SimClientConfig;
  /** Writes clientConfig as YAML (mode 0600, atomic). */
  writeClientConfig(path: string): Promise<void>;
  /** Replaces the fault injection settings. */
  setFaults(faults: SimFaults): void;
  /** Replaces the job latency for jobs started from now on. */
  setJobLatency(latency: JobLatencyOption): void;
  /** Requests per action since start or the last reset, failed ones included ('' = no or unreadable action). */
  callCounts(): Record<string, number>;
  resetCallCounts(): void;
  /** A deep-frozen copy of the current state. */
  world(): Readonly<World>;
  /** Resolves when no job is running. */
  settled(): Promise<void>;
  /**
   * Stops serving, lets running jobs finish at once (remaining latency skipped), flushes the state file;
   * with `cleanup` also removes everything the effects made. Idempotent.
   */
  stop(options?: { cleanup?: boolean }): Promise<void>;
}

/** Starts a QingCloud IaaS simulator on a real HTTP port. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger();
  const random = typeof options.random === 'function' ? options.random : seededRandom(options.random ?? cryptoRandomInt(2 ** 31));
  const effects = options.effects ?? new NoEffects();
  const uri = options.uri ?? '/iaas/';

  let world = options.stateFile === undefined ? undefined : await loadWorld(options.stateFile);
  const fresh = world === undefined;
  if (world === undefined) {
    const seed = typeof options.seed === 'string' ? parseSeedYaml(options.seed) : (options.seed ?? {});
    world = buildWorld(seed, random, clock.now());
  }
  const engine = new SimEngine(world, {
    clock,
    random,
    effects,
    logger,
    stateFile: options.stateFile,
    jobLatency: options.jobLatencyMs ?? 0,
    faults: options.faults ?? {},
    allowOnlineResize: options.allowOnlineResize ?? true,
    snapshotJobIdAs: options.snapshotJobIdAs ?? 'array',
  });
  if (fresh) engine.changed();
  await engine.flush();
  await effects.restore(engine.effectsWorld());
  await engine.resumeUnfinishedJobs();
  await engine.flush();

  const dispatcher = new Dispatcher(engine, { windowSec: options.timeWindowSec ?? 60, logger });
  const http = new SimHttpServer(dispatcher, uri, logger);
  const host = options.host ?? '127.0.0.1';
  const port = await http.listen(host, options.port ?? 0);
  const clientHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const urlHost = clientHost.includes(':') ? `[${clientHost}]` : clientHost;
  const key = world.access_keys[0] ?? { access_key_id: '', secret_access_key: '' };
  const clientConfig: SimClientConfig = {
    qy_access_key_id: key.access_key_id,
    qy_secret_access_key: key.secret_access_key,
    zone: world.zone,
    host: clientHost,
    port,
    protocol: 'http',
    uri: '/iaas/',
  };
  logger.info({ port, host, stateFile: options.stateFile, effects: effects.kind }, 'simulator started');

  let stopping: Promise<void> | undefined;
  const stop = async (cleanup: boolean): Promise<void> => {
    await http.drain();
    engine.hurryJobs();
    await engine.idle();
    await engine.flush();
    if (cleanup) await effects.cleanup();
    await http.close();
    logger.info({ port }, 'simulator stopped');
  };

  return {
    url: `http://${urlHost}:${port}${uri}`,
    port,
    clientConfig,
    writeClientConfig: (path) => writeFileAtomic(path, toYaml(clientConfig)),
    setFaults: (faults) => {
      engine.options.faults = faults;
    },
    setJobLatency: (latency) => {
      engine.options.jobLatency = latency;
    },
    callCounts: () => dispatcher.callCounts(),
    resetCallCounts: () => dispatcher.resetCallCounts(),
    world: () => deepFreeze(structuredClone(engine.world)),
    settled: () => engine.idle(),
    stop: (opts = {}) => (stopping ??= stop(opts.cleanup ?? false)),
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
