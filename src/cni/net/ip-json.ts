import { NetOpsError } from './net-error.js';

/** One link of `ip -json -details link show`. */
export interface IpLink {
  index: number;
  name: string;
  /** Lower-case MAC; undefined for links without a link-layer address (tun, ipip). */
  mac: string | undefined;
  /** Administratively up (the UP flag), regardless of carrier. */
  up: boolean;
  /** linkinfo.info_kind ("veth", "bridge", …); undefined for physical devices and lo. */
  kind: string | undefined;
}

/** One address of `ip -json addr show`. */
export interface IpAddress {
  family: 'inet' | 'inet6';
  local: string;
  prefix: number;
  scope: string;
}

/** One link with its addresses, from `ip -json addr show`. */
export interface IpLinkAddresses {
  index: number;
  name: string;
  addresses: IpAddress[];
}

/** One route of `ip -json route show`. */
export interface IpRoute {
  /** "default" or a CIDR (host routes, which ip prints without a prefix, get "/32"). */
  dst: string;
  gateway: string | undefined;
  dev: string | undefined;
  /** "link", "host", "global" (ip omits global; we fill it in). */
  scope: string;
  prefsrc: string | undefined;
}

function malformed(command: string, detail: string): NetOpsError {
  return new NetOpsError('Internal', `could not parse the output of \`ip -json ${command}\`: ${detail}; is iproute2 (with JSON support) installed?`);
}

function parseArray(stdout: string, command: string): unknown[] {
  const text = stdout.trim();
  // iproute2 prints nothing (not "[]") for some empty listings
  if (text === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new NetOpsError('Internal', `could not parse the output of \`ip -json ${command}\` as JSON; is iproute2 (with JSON support) installed?`, { cause: err });
  }
  if (!Array.isArray(value)) throw malformed(command, 'expected a JSON array');
  return value;
}

function record(value: unknown, command: string, i: number): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(command, `entry ${i} is not an object`);
  return value as Record<string, unknown>;
}

function str(entry: Record<string, unknown>, key: string, command: string, i: number): string {
  const value = entry[key];
  if (typeof value !== 'string' || value === '') throw malformed(command, `entry ${i} has no string "${key}"`);
  return value;
}

function optStr(entry: Record<string, unknown>, key: string): string | undefined {
  const value = entry[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function int(entry: Record<string, unknown>, key: string, command: string, i: number): number {
  const value = entry[key];
  if (typeof value !== 'number' || !Number.isInteger(value)) throw malformed(command, `entry ${i} has no integer "${key}"`);
  return value;
}

/** Parses `ip -json [-details] link show`. Throws NetOpsError(Internal) on output that is not what iproute2 prints. */
export function parseIpLinks(stdout: string): IpLink[] {
  const command = 'link show';
  return parseArray(stdout, command).map((raw, i) => {
    const entry = record(raw, command, i);
    const flags = entry.flags;
    if (!Array.isArray(flags)) throw malformed(command, `entry ${i} has no "flags" list`);
    const linkinfo = entry.linkinfo;
    const kind = typeof linkinfo === 'object' && linkinfo !== null ? optStr(linkinfo as Record<string, unknown>, 'info_kind') : undefined;
    const mac = optStr(entry, 'address');
    return {
      index: int(entry, 'ifindex', command, i),
      name: str(entry, 'ifname', command, i),
      mac: mac === undefined || !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac) ? undefined : mac.toLowerCase(),
      up: flags.includes('UP'),
      kind,
    };
  });
}

/** Parses `ip -json addr show`; links without addresses get an empty list. */
export function parseIpAddresses(stdout: string): IpLinkAddresses[] {
  const command = 'addr show';
  return parseArray(stdout, command).map((raw, i) => {
    const entry = record(raw, command, i);
    const info = entry.addr_info ?? [];
    if (!Array.isArray(info)) throw malformed(command, `entry ${i} has a non-list "addr_info"`);
    const addresses: IpAddress[] = [];
    info.forEach((rawAddr, j) => {
      const addr = record(rawAddr, command, j);
      const family = addr.family;
      if (family !== 'inet' && family !== 'inet6') return;
      addresses.push({
        family,
        local: str(addr, 'local', command, j),
        prefix: int(addr, 'prefixlen', command, j),
        scope: optStr(addr, 'scope') ?? 'global',
      });
    });
    return { index: int(entry, 'ifindex', command, i), name: str(entry, 'ifname', command, i), addresses };
  });
}

/** Parses `ip -json route show` (IPv4). */
export function parseIpRoutes(stdout: string): IpRoute[] {
  const command = 'route show';
  return parseArray(stdout, command).map((raw, i) => {
    const entry = record(raw, command, i);
    const dst = str(entry, 'dst', command, i);
    return {
      dst: dst === 'default' || dst.includes('/') ? dst : `${dst}/32`,
      gateway: optStr(entry, 'gateway'),
      dev: optStr(entry, 'dev'),
      scope: optStr(entry, 'scope') ?? 'global',
      prefsrc: optStr(entry, 'prefsrc'),
    };
  });
}
