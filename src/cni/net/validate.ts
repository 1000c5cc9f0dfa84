import { createHash } from 'node:crypto';
import { NetOpsError } from './net-error.js';

/** Longest interface name the kernel accepts (IFNAMSIZ 16 minus the NUL). */
export const MAX_IFNAME_LENGTH = 15;
/** Every QingCloud NIC id (= its MAC) starts with this prefix. */
export const QINGCLOUD_MAC_PREFIX = '52:54:';

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
/** CNI_CONTAINERID as the CNI spec restricts it. */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAX_CONTAINER_ID_LENGTH = 1024;
/** Names `ip netns add` creates under /var/run/netns (we accept the conservative subset). */
const NETNS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
const NETNS_PATH_SEGMENT = /^[A-Za-z0-9_.:@-]+$/;
const MAX_PATH_LENGTH = 4096;
const IPV4_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;

/** A network namespace as `ip` sees it: a name under /var/run/netns, or an absolute path to an nsfs file. */
export type ParsedNetns = { kind: 'name'; name: string } | { kind: 'path'; path: string };

/** An IPv4 address with its prefix length, e.g. 192.168.1.10/24 → { address: '192.168.1.10', prefix: 24 }. */
export interface Ipv4Cidr {
  address: string;
  prefix: number;
}

function invalid(message: string): NetOpsError {
  return new NetOpsError('InvalidArgument', message);
}

/** Throws InvalidArgument unless `name` is a kernel-acceptable interface name of ≤15 chars [A-Za-z0-9_.-], not "." or "..". */
export function validateIfName(name: string, what = 'interface name'): string {
  if (typeof name !== 'string' || !IFNAME.test(name) || name === '.' || name === '..') {
    throw invalid(`${what} ${JSON.stringify(name)} is not a valid interface name; use 1-${MAX_IFNAME_LENGTH} characters of [A-Za-z0-9_.-]`);
  }
  return name;
}

/** Returns the MAC in lower case; throws InvalidArgument unless it is six colon-separated hex octets. */
export function validateMac(mac: string, what = 'MAC address'): string {
  const lower = typeof mac === 'string' ? mac.toLowerCase() : '';
  if (!MAC.test(lower)) throw invalid(`${what} ${JSON.stringify(mac)} is not a MAC address; use the form 52:54:aa:bb:cc:dd`);
  return lower;
}

/** Like validateMac, and the MAC must be a QingCloud NIC id (52:54:…). */
export function validateNicMac(mac: string, what = 'NIC id'): string {
  const lower = validateMac(mac, what);
  if (!lower.startsWith(QINGCLOUD_MAC_PREFIX)) {
    throw invalid(`${what} ${JSON.stringify(mac)} is not a QingCloud NIC id; QingCloud NIC ids are MACs starting with ${QINGCLOUD_MAC_PREFIX}`);
  }
  return lower;
}

/** Throws InvalidArgument unless `id` is a CNI container id (`^[A-Za-z0-9][A-Za-z0-9_.-]*$`). */
export function validateContainerId(id: string): string {
  if (typeof id !== 'string' || id.length > MAX_CONTAINER_ID_LENGTH || !CONTAINER_ID.test(id)) {
    throw invalid(`container id ${JSON.stringify(id)} is not valid; CNI_CONTAINERID must match ^[A-Za-z0-9][A-Za-z0-9_.-]*$`);
  }
  return id;
}

/**
 * Parses a namespace reference: a bare name means /var/run/netns/<name> (what `ip netns add` creates); anything with a "/"
 * must be an absolute, normalised path without "." or ".." segments (e.g. CNI_NETNS /var/run/netns/cni-1 or /proc/42/ns/net).
 */
export function parseNetns(ref: string, what = 'network namespace'): ParsedNetns {
  if (typeof ref !== 'string' || ref === '') throw invalid(`${what} is empty; pass a namespace name or an absolute path`);
  if (!ref.includes('/')) {
    if (!NETNS_NAME.test(ref)) throw invalid(`${what} name ${JSON.stringify(ref)} is not valid; use [A-Za-z0-9_.-] or an absolute path`);
    return { kind: 'name', name: ref };
  }
  if (ref.length > MAX_PATH_LENGTH) throw invalid(`${what} path is longer than ${MAX_PATH_LENGTH} characters`);
  if (!ref.startsWith('/')) throw invalid(`${what} path ${JSON.stringify(ref)} is not absolute; pass e.g. /var/run/netns/<name>`);
  const segments = ref.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '.' || segment === '..' || !NETNS_PATH_SEGMENT.test(segment)) {
      throw invalid(`${what} path ${JSON.stringify(ref)} is not a plain normalised path (empty, ".", ".." or unusual segment); pass a resolved path`);
    }
  }
  return { kind: 'path', path: ref };
}

/** Parses strict dotted-quad IPv4 into its 32-bit value; throws InvalidArgument naming `what`. */
export function parseIpv4(address: string, what = 'IPv4 address'): number {
  const parts = typeof address === 'string' ? address.split('.') : [];
  if (parts.length !== 4 || !parts.every((p) => IPV4_OCTET.test(p) && Number(p) <= 255)) {
    throw invalid(`${what} ${JSON.stringify(address)} is not a dotted-quad IPv4 address`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** Formats a 32-bit value as dotted-quad IPv4. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The network address of `address`/`prefix` as a 32-bit value. */
export function networkOf(address: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return Math.floor(address / size) * size;
}

/** Parses "a.b.c.d/p" (p 0..32); with `network` the host bits must be zero (as `ip route` requires of a destination). */
export function parseIpv4Cidr(cidr: string, what = 'IPv4 CIDR', options: { network?: boolean } = {}): Ipv4Cidr {
  const slash = typeof cidr === 'string' ? cidr.indexOf('/') : -1;
  if (slash < 0) throw invalid(`${what} ${JSON.stringify(cidr)} has no prefix length; use the form 10.96.0.0/12`);
  const address = cidr.slice(0, slash);
  const prefixText = cidr.slice(slash + 1);
  const value = parseIpv4(address, what);
  if (!/^(?:[0-9]|[12][0-9]|3[0-2])$/.test(prefixText)) throw invalid(`${what} ${JSON.stringify(cidr)} has a prefix length outside 0-32`);
  const prefix = Number(prefixText);
  if (options.network === true && networkOf(value, prefix) !== value) {
    throw invalid(`${what} ${JSON.stringify(cidr)} has host bits set; use ${formatIpv4(networkOf(value, prefix))}/${prefix}`);
  }
  return { address, prefix };
}

/** True when `address` lies inside `network`/`prefix`. */
export function ipv4InPrefix(address: string, network: string, prefix: number): boolean {
  return networkOf(parseIpv4(address), prefix) === networkOf(parseIpv4(network), prefix);
}

/** Host end of the pod's veth pair: "hn" + 8 hex of sha256(container id) — 10 chars, stable across retries of ADD/DEL. */
export function hostVethName(containerId: string): string {
  validateContainerId(containerId);
  return `hn${createHash('sha256').update(containerId).digest('hex').slice(0, 8)}`;
}

/** Name a NIC gets back in the host netns on DEL: "hn_" + the 4 varying octets of its MAC, e.g. 52:54:0a:0b:0c:0d → hn_0a0b0c0d. */
export function stableNicName(mac: string): string {
  return `hn_${validateMac(mac).split(':').slice(2).join('')}`;
}
