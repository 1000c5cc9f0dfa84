import type { Random } from './rng.js';

/** An IPv4 network: base address (as an unsigned 32-bit number) and prefix length. */
export interface Ipv4Network {
  base: number;
  prefix: number;
}

/** The vxnet's router view: gateway (.1) and DHCP range (.2 to broadcast-1), as the API reports them. */
export interface DhcpRange {
  gateway: string;
  start: string;
  end: string;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses dotted-quad IPv4 text; undefined when malformed. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** Formats an unsigned 32-bit number as dotted-quad text. */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Parses `a.b.c.d/p`; only prefixes /16 to /29 (what a vxnet can be), and the address must be the network
 * address. Undefined when malformed.
 */
export function parseCidr(text: string): Ipv4Network | undefined {
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const base = parseIpv4(match[1] ?? '');
  const prefix = Number(match[2]);
  if (base === undefined || prefix < 16 || prefix > 29) return undefined;
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return undefined;
  return { base, prefix };
}

/** Gateway .1 and DHCP range .2 to the last address before broadcast. */
export function dhcpRange(net: Ipv4Network): DhcpRange {
  const size = 2 ** (32 - net.prefix);
  return { gateway: formatIpv4(net.base + 1), start: formatIpv4(net.base + 2), end: formatIpv4(net.base + size - 2) };
}

/** Number of addresses in the DHCP range. */
export function rangeSize(range: DhcpRange): number {
  return (parseIpv4(range.end) ?? 0) - (parseIpv4(range.start) ?? 0) + 1;
}

/** True when `ip` lies inside the DHCP range. */
export function inRange(ip: string, range: DhcpRange): boolean {
  const n = parseIpv4(ip);
  const start = parseIpv4(range.start);
  const end = parseIpv4(range.end);
  return n !== undefined && start !== undefined && end !== undefined && n >= start && n <= end;
}

/** The lowest free address of the range, or undefined when every address is used. */
export function allocateIp(range: DhcpRange, used: ReadonlySet<string>): string | undefined {
  const start = parseIpv4(range.start) ?? 0;
  const end = parseIpv4(range.end) ?? -1;
  for (let n = start; n <= end; n++) {
    const ip = formatIpv4(n);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

/** A random QEMU-style MAC `52:54:xx:xx:xx:xx` (the NIC id) not in `used`. */
export function randomMac(random: Random, used: ReadonlySet<string>): string {
  for (;;) {
    const bytes = Array.from({ length: 4 }, () => Math.floor(random() * 256).toString(16).padStart(2, '0'));
    const mac = `52:54:${bytes.join(':')}`;
    if (!used.has(mac)) return mac;
  }
}
