import { createHash } from 'node:crypto';
import { BaseError, type BaseErrorOptions } from '../../shared/errors.js';

/** Closed set of failure kinds of the real effects adapter (architecture.md "Error model"). */
export type SimEffectsErrorCode = 'SIM_EFFECTS_INVALID_ARGUMENT' | 'SIM_EFFECTS_NOT_FOUND' | 'SIM_EFFECTS_FAILED';

/** A real effect could not be applied; `code` says whether the input, a missing prerequisite or the host was at fault. */
export class SimEffectsError extends BaseError {
  declare readonly code: SimEffectsErrorCode;

  constructor(code: SimEffectsErrorCode, message: string, options: BaseErrorOptions = {}) {
    super(code, message, options);
  }
}

const VOLUME_ID = /^vol-[a-z0-9]{8}$/;
const SNAPSHOT_ID = /^ss-[a-z0-9]{8}$/;
const INSTANCE_ID = /^i-[a-z0-9]{8}$/;
const VXNET_ID = /^vxnet-[a-z0-9]{1,32}$/;
const NIC_MAC = /^52:54(:[0-9a-f]{2}){4}$/;
const NETNS_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;
const NAME_PREFIX = /^[a-z0-9]{1,6}$/;
const LOOP_DEVICE = /^\/dev\/loop[0-9]{1,6}$/;

/** Linux interface names are at most IFNAMSIZ - 1 characters. */
export const MAX_LINK_NAME_LENGTH = 15;

function invalid(what: string, value: string, expected: string): SimEffectsError {
  return new SimEffectsError(
    'SIM_EFFECTS_INVALID_ARGUMENT',
    `invalid ${what} ${JSON.stringify(value)}: expected ${expected}; pass the id exactly as the simulator issued it`,
  );
}

function check(what: string, value: unknown, pattern: RegExp, expected: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw invalid(what, String(value), expected);
  return value;
}

/** Returns the volume id if it matches `vol-[a-z0-9]{8}`; throws SIM_EFFECTS_INVALID_ARGUMENT otherwise. */
export function validVolumeId(id: string): string {
  return check('volume id', id, VOLUME_ID, 'vol-[a-z0-9]{8}');
}

/** Returns the snapshot id if it matches `ss-[a-z0-9]{8}`; throws otherwise. */
export function validSnapshotId(id: string): string {
  return check('snapshot id', id, SNAPSHOT_ID, 'ss-[a-z0-9]{8}');
}

/** Returns the instance id if it matches `i-[a-z0-9]{8}`; throws otherwise. */
export function validInstanceId(id: string): string {
  return check('instance id', id, INSTANCE_ID, 'i-[a-z0-9]{8}');
}

/** Returns the vxnet id if it matches `vxnet-[a-z0-9]+`; throws otherwise. */
export function validVxnetId(id: string): string {
  return check('vxnet id', id, VXNET_ID, 'vxnet-[a-z0-9]{1,32}');
}

/** Returns the NIC id (a MAC `52:54:xx:xx:xx:xx`) in lower case; throws otherwise. */
export function validNicMac(id: string): string {
  return check('nic id', typeof id === 'string' ? id.toLowerCase() : id, NIC_MAC, 'a MAC like 52:54:9e:d0:dd:96');
}

/** Returns the network namespace name if it is `[a-zA-Z0-9_.-]{1,64}` and not `.`/`..`; throws otherwise. */
export function validNetnsName(name: string): string {
  check('network namespace name', name, NETNS_NAME, '[a-zA-Z0-9_.-]{1,64}');
  if (name === '.' || name === '..') throw invalid('network namespace name', name, 'a name other than . and ..');
  return name;
}

/** Returns the prefix if it is 1–6 characters of [a-z0-9]; throws otherwise. */
export function validNamePrefix(prefix: string): string {
  return check('name prefix', prefix, NAME_PREFIX, '1-6 characters of [a-z0-9]');
}

/** Returns the device path if it is `/dev/loopN`; throws otherwise (guards what losetup printed before it is used). */
export function validLoopDevice(device: string): string {
  return check('loop device', device, LOOP_DEVICE, '/dev/loopN');
}

/** Volume size in bytes for `sizeGB` GiB; throws unless it is a positive integer. */
export function volumeBytes(sizeGB: number): number {
  if (!Number.isSafeInteger(sizeGB) || sizeGB <= 0 || sizeGB > 65536) {
    throw invalid('volume size', String(sizeGB), 'an integer number of GiB between 1 and 65536');
  }
  return sizeGB * 1024 ** 3;
}

/** The "VPC" network namespace of the simulator with this prefix. */
export function vpcNetnsName(prefix: string): string {
  return `${prefix}-vpc`;
}

/**
 * The vxnet's bridge inside the VPC namespace: `br-<id tail>` when the tail fits in 15 characters, else
 * `br-<12 hex of sha256(id)>` (bridges live in the simulator's own namespace, so only vxnets collide).
 */
export function bridgeName(vxnetId: string): string {
  const tail = validVxnetId(vxnetId).slice('vxnet-'.length);
  if (3 + tail.length <= MAX_LINK_NAME_LENGTH) return `br-${tail}`;
  return `br-${createHash('sha256').update(vxnetId).digest('hex').slice(0, 12)}`;
}

/** The last four bytes of the MAC as 8 hex digits (the first two are always 52:54). */
export function macTail(mac: string): string {
  return validNicMac(mac).slice(6).replaceAll(':', '');
}

/** Name of the NIC's instance-side veth end: `<prefix>n<8 hex>` (≤ 15 characters, unique per simulator). */
export function instanceLinkName(prefix: string, mac: string): string {
  return `${validNamePrefix(prefix)}n${macTail(mac)}`;
}

/** Name of the NIC's switch-side veth end inside the VPC namespace: `v<8 hex>`. */
export function vpcLinkName(mac: string): string {
  return `v${macTail(mac)}`;
}

/** Matches exactly the instance-side link names this prefix produces (not those of a longer prefix starting alike). */
export function instanceLinkPattern(prefix: string): RegExp {
  return new RegExp(`^${validNamePrefix(prefix)}n[0-9a-f]{8}$`);
}

/** The by-id link name of a volume, as the guest sees it (`virtio-<volume_id>`). */
export function byIdLinkName(volumeId: string): string {
  return `virtio-${validVolumeId(volumeId)}`;
}

/** Matches by-id link names this adapter creates. */
export const BY_ID_LINK_PATTERN = /^virtio-vol-[a-z0-9]{8}$/;

/** Matches instance directories under the device root. */
export const INSTANCE_DIR_PATTERN = INSTANCE_ID;

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** The gateway address with the vxnet's prefix length (e.g. `192.168.10.1/24`); throws unless the gateway lies in the CIDR. */
export function gatewayAddress(vxnetId: string, cidr: string, gateway: string): string {
  const [network, lengthText, ...rest] = cidr.split('/');
  const length = Number(lengthText);
  const networkInt = ipv4ToInt(network ?? '');
  if (rest.length > 0 || networkInt === undefined || !/^[0-9]{1,2}$/.test(lengthText ?? '') || length < 1 || length > 30) {
    throw invalid(`CIDR of ${vxnetId}`, cidr, 'an IPv4 CIDR like 192.168.10.0/24 with a prefix of /1 to /30');
  }
  const gatewayInt = ipv4ToInt(gateway);
  if (gatewayInt === undefined) throw invalid(`gateway of ${vxnetId}`, gateway, 'an IPv4 address like 192.168.10.1');
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  if (((gatewayInt & mask) >>> 0) !== ((networkInt & mask) >>> 0)) {
    throw invalid(`gateway of ${vxnetId}`, gateway, `an address inside ${cidr}`);
  }
  return `${gateway}/${length}`;
}
