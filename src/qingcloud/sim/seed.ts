import { parse as parseYaml } from 'yaml';
import { messageOf } from '../../shared/errors.js';
import { formatTimestamp } from '../signer.js';
import { SimSeedError } from './errors.js';
import { allocateIp, dhcpRange, parseCidr, randomMac } from './ip.js';
import { DEFAULT_LIMITS, type InstanceRec, type NicRec, type QuotaType, type SimLimits, type World } from './model.js';
import { ID_PATTERNS } from './params.js';
import type { Random } from './rng.js';

/** The seed schema (documented with an example in seed.sample.yaml). Every field is optional. */
export interface SimSeed {
  zone?: string;
  access_keys?: { access_key_id: string; secret_access_key: string }[];
  vxnets?: { id: string; name?: string; cidr: string }[];
  instances?: {
    id: string;
    name?: string;
    instance_class?: number;
    instance_type?: string;
    /** The vxnet of the primary NIC (default: the first vxnet). */
    vxnet?: string;
    /** Simulator-only: network namespace standing in for the guest. */
    netns?: string;
  }[];
  limits?: Partial<Omit<SimLimits, 'quotas'>> & { quotas?: Partial<Record<QuotaType, number>> };
}

/** The key pair of the default world (a simulator credential, worthless anywhere else). */
export const DEFAULT_ACCESS_KEY = {
  access_key_id: 'QYSIMACCESSKEY000001',
  secret_access_key: 'simulator-secret-access-key-0001',
} as const;

/** The default world: zone sim1a, two /24 vxnets in one VPC router, four running instances of classes 0/1/101/201. */
export const DEFAULT_SEED: SimSeed = {
  zone: 'sim1a',
  access_keys: [{ ...DEFAULT_ACCESS_KEY }],
  vxnets: [
    { id: 'vxnet-sim0001', name: 'sim-vxnet-1', cidr: '192.168.10.0/24' },
    { id: 'vxnet-sim0002', name: 'sim-vxnet-2', cidr: '192.168.11.0/24' },
  ],
  instances: [
    { id: 'i-sim00001', name: 'sim-node-1', instance_class: 0, instance_type: 'c2m4', vxnet: 'vxnet-sim0001' },
    { id: 'i-sim00002', name: 'sim-node-2', instance_class: 1, instance_type: 'c4m8', vxnet: 'vxnet-sim0001' },
    { id: 'i-sim00003', name: 'sim-node-3', instance_class: 101, instance_type: 's1.large.r1', vxnet: 'vxnet-sim0001' },
    { id: 'i-sim00004', name: 'sim-node-4', instance_class: 201, instance_type: 'e2.large.r1', vxnet: 'vxnet-sim0002' },
  ],
};

const ZONE = /^[a-z0-9-]{1,32}$/;
const NAME = /^\P{Cc}{0,128}$/u;
const NETNS = /^[A-Za-z0-9_.-]{1,64}$/;
const INSTANCE_TYPE = /^[A-Za-z0-9_.-]{1,64}$/;
const KEY_ID = /^[A-Za-z0-9]{8,64}$/;

/** Parses YAML seed text; structural checks happen in buildWorld. */
export function parseSeedYaml(text: string): SimSeed {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new SimSeedError(`YAML does not parse (${messageOf(err)})`, { cause: err });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new SimSeedError('the top level must be a mapping');
  return parsed;
}

/** vCPUs and memory (MB) from an instance type: `cXmY` gives X vCPUs and Y GB; other types get 2 vCPUs / 4 GB. */
export function instanceShape(instanceType: string): { vcpus: number; memoryMB: number } {
  const match = /^c(\d{1,3})m(\d{1,4})$/.exec(instanceType);
  if (match) return { vcpus: Number(match[1]), memoryMB: Number(match[2]) * 1024 };
  return { vcpus: 2, memoryMB: 4096 };
}

/**
 * Builds a fresh world from a seed (missing parts come from the default world). Throws SimSeedError naming the
 * first bad field. NIC MACs come from `random`, so a seeded RNG gives the same world every time.
 */
export function buildWorld(seed: SimSeed, random: Random, nowMs: number): World {
  const now = formatTimestamp(nowMs);
  if (typeof seed !== 'object' || seed === null || Array.isArray(seed)) throw new SimSeedError('the seed must be a mapping');
  const zone = seed.zone ?? DEFAULT_SEED.zone ?? 'sim1a';
  if (typeof zone !== 'string' || !ZONE.test(zone)) throw new SimSeedError(`zone ${JSON.stringify(zone)} must match ${ZONE.source}`);

  const accessKeys = arrayField(seed.access_keys ?? DEFAULT_SEED.access_keys, 'access_keys');
  if (accessKeys.length === 0) throw new SimSeedError('access_keys must hold at least one key pair');
  const keys = accessKeys.map((k, i) => {
    const id = (k as { access_key_id?: unknown }).access_key_id;
    const secret = (k as { secret_access_key?: unknown }).secret_access_key;
    if (typeof id !== 'string' || !KEY_ID.test(id)) throw new SimSeedError(`access_keys[${i}].access_key_id must be 8-64 letters or digits`);
    if (typeof secret !== 'string' || secret.length < 8 || secret.length > 256) {
      throw new SimSeedError(`access_keys[${i}].secret_access_key must be 8-256 characters`);
    }
    return { access_key_id: id, secret_access_key: secret };
  });

  const world: World = {
    format: 1,
    zone,
    owner: 'usr-sim00001',
    access_keys: keys,
    router: { router_id: 'rtr-sim00001', router_name: 'sim-vpc' },
    limits: buildLimits(seed.limits),
    instances: {},
    vxnets: {},
    volumes: {},
    snapshots: {},
    nics: {},
    tags: {},
    tag_pairs: [],
    jobs: {},
  };

  for (const [i, v] of arrayField(seed.vxnets ?? DEFAULT_SEED.vxnets, 'vxnets').entries()) {
    const where = `vxnets[${i}]`;
    const id = stringField(v.id, `${where}.id`, ID_PATTERNS.vxnet);
    const net = typeof v.cidr === 'string' ? parseCidr(v.cidr) : undefined;
    if (!net) throw new SimSeedError(`${where}.cidr must be a network address with a /16 to /29 prefix, e.g. 192.168.10.0/24`);
    if (world.vxnets[id]) throw new SimSeedError(`${where}.id ${id} is used twice`);
    const range = dhcpRange(net);
    world.vxnets[id] = {
      vxnet_id: id,
      vxnet_name: v.name === undefined ? id : stringField(v.name, `${where}.name`, NAME),
      cidr: v.cidr,
      gateway: range.gateway,
      dyn_ip_start: range.start,
      dyn_ip_end: range.end,
      create_time: now,
    };
  }
  const firstVxnet = Object.keys(world.vxnets)[0];

  const usedMacs = new Set<string>();
  for (const [i, s] of arrayField(seed.instances ?? DEFAULT_SEED.instances, 'instances').entries()) {
    const where = `instances[${i}]`;
    const id = stringField(s.id, `${where}.id`, ID_PATTERNS.instance);
    if (world.instances[id]) throw new SimSeedError(`${where}.id ${id} is used twice`);
    const instanceClass = s.instance_class ?? 0;
    if (!Number.isSafeInteger(instanceClass) || instanceClass < 0 || instanceClass > 10_000) {
      throw new SimSeedError(`${where}.instance_class must be an integer such as 0, 1, 101 or 201`);
    }
    const instanceType = s.instance_type === undefined ? 'c2m4' : stringField(s.instance_type, `${where}.instance_type`, INSTANCE_TYPE);
    const shape = instanceShape(instanceType);
    const rec: InstanceRec = {
      instance_id: id,
      instance_name: s.name === undefined ? id : stringField(s.name, `${where}.name`, NAME),
      instance_class: instanceClass,
      instance_type: instanceType,
      vcpus_current: shape.vcpus,
      memory_current: shape.memoryMB,
      status: 'running',
      create_time: now,
      status_time: now,
    };
    if (s.netns !== undefined) rec.netns = stringField(s.netns, `${where}.netns`, NETNS);
    world.instances[id] = rec;

    const vxnetId = s.vxnet ?? firstVxnet;
    if (vxnetId === undefined) throw new SimSeedError(`${where} needs a vxnet for its primary NIC, and the seed has none`);
    const vxnet = world.vxnets[vxnetId];
    if (!vxnet) throw new SimSeedError(`${where}.vxnet ${String(vxnetId)} is not one of the seed's vxnets`);
    const used = new Set(Object.values(world.nics).filter((n) => n.vxnet_id === vxnetId).map((n) => n.private_ip));
    const ip = allocateIp({ gateway: vxnet.gateway, start: vxnet.dyn_ip_start, end: vxnet.dyn_ip_end }, used);
    if (ip === undefined) throw new SimSeedError(`vxnet ${vxnetId} has no free address for ${where}'s primary NIC`);
    const mac = randomMac(random, usedMacs);
    usedMacs.add(mac);
    const nic: NicRec = {
      nic_id: mac,
      nic_name: '',
      vxnet_id: vxnetId,
      private_ip: ip,
      instance_id: id,
      status: 'in-use',
      transition_status: '',
      role: 1,
      sequence: 0,
      create_time: now,
      status_time: now,
    };
    world.nics[mac] = nic;
  }
  return world;
}

function buildLimits(seed: SimSeed['limits']): SimLimits {
  if (seed === undefined || seed === null) return structuredClone(DEFAULT_LIMITS);
  if (typeof seed !== 'object') throw new SimSeedError('limits must be a mapping');
  const limits = structuredClone(DEFAULT_LIMITS);
  const caps: Record<keyof Omit<SimLimits, 'quotas'>, number> = {
    max_volumes_per_instance: 1000,
    max_nics_per_instance: 1000,
    max_nics_per_vxnet: 65_000,
  };
  for (const key of Object.keys(caps) as (keyof typeof caps)[]) {
    const value = seed[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1 || value > caps[key]) throw new SimSeedError(`limits.${key} must be an integer from 1 to ${caps[key]}`);
    limits[key] = value;
  }
  for (const [name, value] of Object.entries(seed.quotas ?? {})) {
    if (!(name in limits.quotas)) throw new SimSeedError(`limits.quotas.${name} is not a known quota (${Object.keys(limits.quotas).join(', ')})`);
    if (!Number.isSafeInteger(value) || value < 0) throw new SimSeedError(`limits.quotas.${name} must be a non-negative integer`);
    limits.quotas[name as QuotaType] = value;
  }
  return limits;
}

function arrayField<T>(value: T[] | undefined, name: string): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new SimSeedError(`${name} must be a list`);
  return value.map((item, i) => {
    if (typeof item !== 'object' || item === null) throw new SimSeedError(`${name}[${i}] must be a mapping`);
    return item;
  });
}

function stringField(value: unknown, name: string, pattern: RegExp): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new SimSeedError(`${name} ${JSON.stringify(value)} must match ${pattern.source}`);
  return value;
}
