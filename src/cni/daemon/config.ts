import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BaseError, messageOf, type BaseErrorOptions } from '../../shared/errors.js';
import { parseCidr } from '../types.js';

/** Secondary NICs one QingCloud instance can hold (64 with the primary). */
export const MAX_SECONDARY_NICS = 63;

/** The warm pool's marks: idle attached NICs kept between `low` and `high`; surplus leaves after `cooldownSeconds`. */
export interface PoolConfig {
  low: number;
  high: number;
  cooldownSeconds: number;
}

/** hostnic-daemon settings (hostnic.sample.yaml documents every key). */
export interface DaemonConfig {
  qingcloudConfig: string;
  instanceIdFile: string;
  vxnets: string[];
  pool: PoolConfig;
  maxPods: number;
  socket: string;
  stateDir: string;
  metricsAddress: { host: string; port: number } | undefined;
  serviceCIDR: string;
  hostNetns: string | undefined;
  logLevel: string;
  /** NICs named for this node that no record explains are deleted once seen this long (seconds). */
  orphanAgeSeconds: number;
  /** Client-side QingCloud API budget: calls per second; undefined = the SDK's DEFAULT_BUDGET rate. */
  apiRate: number | undefined;
  /** Client-side QingCloud API budget: burst of calls; undefined = the SDK's DEFAULT_BUDGET burst. */
  apiBurst: number | undefined;
}

/** Defaults of every optional key. */
export const DAEMON_CONFIG_DEFAULTS = {
  qingcloudConfig: '/etc/qingcloud/config.yaml',
  instanceIdFile: '/etc/qingcloud/instance-id',
  pool: { low: 3, high: 5, cooldownSeconds: 60 },
  maxPods: 60,
  socket: '/run/hostnic/hostnic.sock',
  stateDir: '/var/lib/hostnic',
  serviceCIDR: '10.96.0.0/12',
  logLevel: 'info',
  orphanAgeSeconds: 600,
} as const;

/** The daemon config file is missing, unreadable or has bad keys; `problems` lists one entry per bad key. */
export class DaemonConfigError extends BaseError {
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
    options?: BaseErrorOptions,
  ) {
    super('HOSTNIC_CONFIG_INVALID', message, options);
  }
}

const KNOWN_KEYS = new Set([
  'qingcloudConfig',
  'instanceIdFile',
  'vxnets',
  'pool',
  'maxPods',
  'socket',
  'stateDir',
  'metricsAddress',
  'serviceCIDR',
  'hostNetns',
  'logLevel',
  'orphanAgeSeconds',
  'apiRate',
  'apiBurst',
]);
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const VXNET_ID = /^vxnet-[a-z0-9]{1,16}$/;
const NETNS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses hostnic.yaml text; throws ONE DaemonConfigError listing every bad key. */
export function parseDaemonConfig(text: string, source = 'hostnic.yaml'): DaemonConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new DaemonConfigError(`hostnic config ${source} is not valid YAML: ${messageOf(err)}; fix the file`, [], { cause: err });
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isObject(doc)) throw new DaemonConfigError(`hostnic config ${source} must be a YAML mapping of keys to values; fix the file`);
  const raw = doc;
  const bad: string[] = [];

  for (const key of Object.keys(raw)) if (!KNOWN_KEYS.has(key)) bad.push(`${key}: unknown key (known: ${[...KNOWN_KEYS].join(', ')})`);

  const path = (key: string, fallback: string): string => {
    const v = raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !isAbsolute(v) || v.includes('\0')) {
      bad.push(`${key}: must be an absolute path, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return v;
  };
  const int = (value: unknown, key: string, fallback: number, min: number, max: number): number => {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      bad.push(`${key}: must be an integer ${min}..${max}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return value;
  };

  const qingcloudConfig = path('qingcloudConfig', DAEMON_CONFIG_DEFAULTS.qingcloudConfig);
  const instanceIdFile = path('instanceIdFile', DAEMON_CONFIG_DEFAULTS.instanceIdFile);
  const socket = path('socket', DAEMON_CONFIG_DEFAULTS.socket);
  const stateDir = path('stateDir', DAEMON_CONFIG_DEFAULTS.stateDir);

  let vxnets: string[] = [];
  const rawVxnets = raw.vxnets;
  if (rawVxnets === undefined || rawVxnets === null) bad.push('vxnets: required, a list of at least one vxnet id (vxnet-xxxx) pods get their NICs from');
  else if (!Array.isArray(rawVxnets) || rawVxnets.length === 0) bad.push(`vxnets: must be a non-empty list of vxnet ids, got ${JSON.stringify(rawVxnets)}`);
  else {
    const wrong = rawVxnets.filter((v) => typeof v !== 'string' || !VXNET_ID.test(v));
    if (wrong.length > 0) bad.push(`vxnets: ${wrong.map((v) => JSON.stringify(v)).join(', ')} not a vxnet id like vxnet-abc123`);
    else if (new Set(rawVxnets).size !== rawVxnets.length) bad.push('vxnets: lists a vxnet twice');
    else vxnets = rawVxnets as string[];
  }

  const pool: PoolConfig = { ...DAEMON_CONFIG_DEFAULTS.pool };
  const rawPool = raw.pool;
  if (rawPool !== undefined && rawPool !== null) {
    if (!isObject(rawPool)) bad.push(`pool: must be a mapping {low, high, cooldownSeconds}, got ${JSON.stringify(rawPool)}`);
    else {
      for (const key of Object.keys(rawPool)) if (!['low', 'high', 'cooldownSeconds'].includes(key)) bad.push(`pool.${key}: unknown key (known: low, high, cooldownSeconds)`);
      pool.low = int(rawPool.low, 'pool.low', pool.low, 0, MAX_SECONDARY_NICS);
      pool.high = int(rawPool.high, 'pool.high', pool.high, 0, MAX_SECONDARY_NICS);
      pool.cooldownSeconds = int(rawPool.cooldownSeconds, 'pool.cooldownSeconds', pool.cooldownSeconds, 0, 86_400);
      if (pool.low > pool.high) bad.push(`pool: low (${pool.low}) must not exceed high (${pool.high})`);
    }
  }
  const maxPods = int(raw.maxPods, 'maxPods', DAEMON_CONFIG_DEFAULTS.maxPods, 1, MAX_SECONDARY_NICS);
  // The brief's "maxPods ≤ 63 − pool.high" would refuse its own defaults (60 + 5). What must hold is that pods never
  // lack a NIC slot because of the pool: the pool never refills beyond the free slots nor beyond what the remaining
  // pods could use (pool-policy.ts), so the config only needs room for maxPods plus the low mark.
  if (maxPods > MAX_SECONDARY_NICS - pool.low) {
    bad.push(
      `maxPods: ${maxPods} pods plus pool.low ${pool.low} idle NICs exceed the ${MAX_SECONDARY_NICS} secondary NICs an instance can hold ` +
        `(64 with the primary); lower maxPods to at most ${MAX_SECONDARY_NICS - pool.low} or pool.low to at most ${Math.max(0, MAX_SECONDARY_NICS - maxPods)}`,
    );
  }

  let metricsAddress: DaemonConfig['metricsAddress'];
  const rawMetrics = raw.metricsAddress;
  if (rawMetrics !== undefined && rawMetrics !== null && rawMetrics !== '') {
    const m = typeof rawMetrics === 'string' ? /^(.*):(\d{1,5})$/.exec(rawMetrics) : null;
    const host = m?.[1]?.replace(/^\[(.*)\]$/, '$1');
    const port = Number(m?.[2]);
    if (m === null || host === undefined || (host !== 'localhost' && isIP(host) === 0) || port < 1 || port > 65535) {
      bad.push(`metricsAddress: must be host:port with an IP or localhost, e.g. 127.0.0.1:9273, got ${JSON.stringify(rawMetrics)}`);
    } else metricsAddress = { host, port };
  }

  let serviceCIDR: string = DAEMON_CONFIG_DEFAULTS.serviceCIDR;
  if (raw.serviceCIDR !== undefined && raw.serviceCIDR !== null) {
    const cidr = typeof raw.serviceCIDR === 'string' ? parseCidr(raw.serviceCIDR) : undefined;
    if (cidr === undefined || cidr.family !== 4) bad.push(`serviceCIDR: must be an IPv4 CIDR like 10.96.0.0/12, got ${JSON.stringify(raw.serviceCIDR)}`);
    else serviceCIDR = raw.serviceCIDR as string;
  }

  let hostNetns: string | undefined;
  if (raw.hostNetns !== undefined && raw.hostNetns !== null && raw.hostNetns !== '') {
    const v = raw.hostNetns;
    if (typeof v !== 'string' || !(NETNS_NAME.test(v) || (isAbsolute(v) && !v.includes('\0')))) {
      bad.push(`hostNetns: must be a netns name (under /var/run/netns) or an absolute path, got ${JSON.stringify(v)}`);
    } else hostNetns = v;
  }

  let logLevel: string = DAEMON_CONFIG_DEFAULTS.logLevel;
  if (raw.logLevel !== undefined && raw.logLevel !== null) {
    if (typeof raw.logLevel !== 'string' || !LOG_LEVELS.includes(raw.logLevel)) bad.push(`logLevel: must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw.logLevel)}`);
    else logLevel = raw.logLevel;
  }
  const orphanAgeSeconds = int(raw.orphanAgeSeconds, 'orphanAgeSeconds', DAEMON_CONFIG_DEFAULTS.orphanAgeSeconds, 0, 7 * 86_400);
  let apiRate: number | undefined;
  if (raw.apiRate !== undefined && raw.apiRate !== null) {
    if (typeof raw.apiRate !== 'number' || !Number.isFinite(raw.apiRate) || raw.apiRate <= 0 || raw.apiRate > 100_000) {
      bad.push(`apiRate: must be a number of API calls per second above 0 and at most 100000, got ${JSON.stringify(raw.apiRate)}`);
    } else apiRate = raw.apiRate;
  }
  const apiBurst = raw.apiBurst === undefined || raw.apiBurst === null ? undefined : int(raw.apiBurst, 'apiBurst', 1, 1, 100_000);

  if (bad.length > 0) {
    throw new DaemonConfigError(`hostnic config ${source} is invalid: ${bad.join('; ')}; fix these keys and restart hostnic-daemon`, bad);
  }
  return { qingcloudConfig, instanceIdFile, vxnets, pool, maxPods, socket, stateDir, metricsAddress, serviceCIDR, hostNetns, logLevel, orphanAgeSeconds, apiRate, apiBurst };
}

/** Reads and parses the config file at `path` (readFile injectable). */
export async function loadDaemonConfig(path: string, readFile: (path: string) => Promise<string>): Promise<DaemonConfig> {
  let text: string;
  try {
    text = await readFile(path);
  } catch (err) {
    throw new DaemonConfigError(`hostnic config ${path} could not be read: ${messageOf(err)}; pass --config with an existing file`, [], { cause: err });
  }
  return parseDaemonConfig(text, path);
}
