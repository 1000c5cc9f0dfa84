// CNI spec types shared by the hostnic plugin and daemon: versions, result shapes per version, error codes.
// Pure: no I/O. Facts from the CNI 1.1.0 spec (docs/csi-cni-specs.md §4).
import { isIP } from 'node:net';
import { BaseError, type BaseErrorOptions } from '../shared/errors.js';

/** The spec versions hostnic speaks, oldest first (0.1.0/0.2.0 results have no interfaces list: not supported). */
export const SUPPORTED_CNI_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

/** A spec version hostnic speaks. */
export type CniVersion = (typeof SUPPORTED_CNI_VERSIONS)[number];

/** The newest spec version: the shape results have inside hostnic and on the daemon protocol. */
export const LATEST_CNI_VERSION: CniVersion = '1.1.0';

/** Error codes of the spec (0-99) and hostnic's own (100+), printed in the error JSON's `code`. */
export const CNI_ERROR = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  TryAgainLater: 11,
  NotAvailable: 50,
  NotAvailableLimitedConnectivity: 51,
  /** hostnic: the daemon's unix socket refused or does not exist. */
  DaemonUnreachable: 100,
  /** hostnic: the node runs as many pods as its limit allows (the daemon names the limit and the node). */
  NodePodLimit: 101,
  /** hostnic: no configured vxnet has a free address. */
  NoFreeAddress: 102,
  /** hostnic: the QingCloud API failed. */
  CloudError: 103,
  /** The daemon broke the protocol or the plugin failed unexpectedly (the Go library's ErrInternal). */
  Internal: 999,
} as const;

/** The spec's error JSON, printed on stdout with a non-zero exit. */
export interface CniErrorJson {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/** An error with a CNI error code; `message` becomes the error JSON's `msg`, `details` its `details`. */
export class CniError extends BaseError {
  constructor(
    readonly cniCode: number,
    message: string,
    readonly details?: string,
    options?: BaseErrorOptions,
  ) {
    super(`CNI_${cniCode}`, message, options);
  }

  /** The spec error document for a request made in `cniVersion`. */
  toJson(cniVersion: string): CniErrorJson {
    const json: CniErrorJson = { cniVersion, code: this.cniCode, msg: this.message };
    if (this.details !== undefined && this.details !== '') json.details = this.details;
    return json;
  }
}

/** A container-side or host-side interface of a result (1.1.0 fields). */
export interface CniInterface {
  name: string;
  mac?: string;
  /** 1.1.0 */
  mtu?: number;
  /** Netns path for interfaces inside the container; absent for host interfaces. */
  sandbox?: string;
  /** 1.1.0 */
  socketPath?: string;
  /** 1.1.0 */
  pciID?: string;
}

/** An address given to an interface. */
export interface CniIpConfig {
  /** CIDR notation: the address and its subnet prefix, e.g. 10.1.0.5/24. */
  address: string;
  gateway?: string;
  /** Index into `interfaces`. */
  interface?: number;
}

/** A route the plugin set up in the container (1.1.0 fields). */
export interface CniRoute {
  dst: string;
  gw?: string;
  /** 1.1.0 */
  mtu?: number;
  /** 1.1.0 */
  advmss?: number;
  /** 1.1.0 */
  priority?: number;
  /** 1.1.0 */
  table?: number;
  /** 1.1.0: 0 universe, 253 link, 254 host. */
  scope?: number;
}

/** DNS settings for the container. */
export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** A success result in its version-independent (1.1.0) form; `toVersionedResult` renders it for a request. */
export interface CniResult {
  interfaces: CniInterface[];
  ips: CniIpConfig[];
  routes: CniRoute[];
  dns: CniDns;
}

/** Longest rendering of an offending value in an error message. */
const PREVIEW_CHARS = 200;

/**
 * A value from a request as bounded JSON text for an error message. JSON.stringify recurses, so a deeply nested
 * value from stdin would throw RangeError inside the error path and turn a config error into an internal one.
 */
export function previewJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return Array.isArray(value) ? '[...too deeply nested...]' : '{...too deeply nested...}';
  }
  if (text === undefined) return String(value);
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}...(${text.length} chars)` : text;
}

/** The pieces of a semantic version string, or undefined when it is not `MAJOR.MINOR.PATCH`. */
export function parseCniVersion(text: string): [number, number, number] | undefined {
  const m = /^(\d{1,4})\.(\d{1,4})\.(\d{1,4})$/.exec(text);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Orders two well-formed version strings: negative when a < b, 0 when equal, positive when a > b. */
export function compareCniVersions(a: string, b: string): number {
  const pa = parseCniVersion(a);
  const pb = parseCniVersion(b);
  if (!pa || !pb) throw new CniError(CNI_ERROR.DecodingFailure, `cannot compare CNI versions "${a}" and "${b}": one is not MAJOR.MINOR.PATCH`);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** True when hostnic speaks `version`. */
export function isSupportedCniVersion(version: string): version is CniVersion {
  return (SUPPORTED_CNI_VERSIONS as readonly string[]).includes(version);
}

/**
 * Checks a request's cniVersion: malformed → code 6, well-formed but not spoken → code 1.
 * A config without cniVersion means 0.1.0 (as in the Go library), which hostnic does not speak.
 */
export function requireSupportedVersion(value: unknown): CniVersion {
  if (value === undefined) {
    throw new CniError(
      CNI_ERROR.IncompatibleVersion,
      `network config has no cniVersion, which means 0.1.0; hostnic supports ${SUPPORTED_CNI_VERSIONS.join(', ')}: set cniVersion in the conflist`,
    );
  }
  if (typeof value !== 'string' || parseCniVersion(value) === undefined) {
    throw new CniError(CNI_ERROR.DecodingFailure, `network config cniVersion ${previewJson(value)} is not a MAJOR.MINOR.PATCH version string: fix the conflist`);
  }
  if (!isSupportedCniVersion(value)) {
    throw new CniError(
      CNI_ERROR.IncompatibleVersion,
      `incompatible CNI versions: config asks for ${value}, hostnic supports ${SUPPORTED_CNI_VERSIONS.join(', ')}`,
    );
  }
  return value;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** A container id or network name as the spec allows: `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`. */
export function isValidCniName(text: string): boolean {
  return NAME_RE.test(text);
}

/** A Linux interface name the spec allows: 1-15 bytes, not `.`/`..`, no `/`, `:` or whitespace. */
export function isValidIfName(text: string): boolean {
  if (text === '' || text === '.' || text === '..') return false;
  if (Buffer.byteLength(text) > 15) return false;
  return !/[/:\s]/.test(text);
}

/** An IP prefix in CIDR notation, split; undefined when `text` is not `ip/prefix` with a prefix fitting the family. */
export function parseCidr(text: string): { ip: string; prefix: number; family: 4 | 6 } | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const family = isIP(ip);
  if (family !== 4 && family !== 6) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  return { ip, prefix, family };
}

// ---- rendering for a requested version ----

function renderInterface(iface: CniInterface, version: CniVersion): Record<string, unknown> {
  const out: Record<string, unknown> = { name: iface.name };
  if (iface.mac !== undefined) out.mac = iface.mac;
  if (version === '1.1.0' && iface.mtu !== undefined) out.mtu = iface.mtu;
  if (iface.sandbox !== undefined) out.sandbox = iface.sandbox;
  if (version === '1.1.0' && iface.socketPath !== undefined) out.socketPath = iface.socketPath;
  if (version === '1.1.0' && iface.pciID !== undefined) out.pciID = iface.pciID;
  return out;
}

function renderIp(ip: CniIpConfig, version: CniVersion): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // 0.3.x/0.4.0 require the address family in every ips entry; 1.0.0 removed the field.
  if (compareCniVersions(version, '1.0.0') < 0) out.version = parseCidr(ip.address)?.family === 6 ? '6' : '4';
  if (ip.interface !== undefined) out.interface = ip.interface;
  out.address = ip.address;
  if (ip.gateway !== undefined) out.gateway = ip.gateway;
  return out;
}

const ROUTE_1_1_FIELDS = ['mtu', 'advmss', 'priority', 'table', 'scope'] as const;

function renderRoute(route: CniRoute, version: CniVersion): Record<string, unknown> {
  const out: Record<string, unknown> = { dst: route.dst };
  if (route.gw !== undefined) out.gw = route.gw;
  if (version === '1.1.0') {
    for (const key of ROUTE_1_1_FIELDS) if (route[key] !== undefined) out[key] = route[key];
  }
  return out;
}

function renderDns(dns: CniDns): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (dns.nameservers !== undefined && dns.nameservers.length > 0) out.nameservers = [...dns.nameservers];
  if (dns.domain !== undefined && dns.domain !== '') out.domain = dns.domain;
  if (dns.search !== undefined && dns.search.length > 0) out.search = [...dns.search];
  if (dns.options !== undefined && dns.options.length > 0) out.options = [...dns.options];
  return out;
}

/** The result document for a request made in `version`: fields that version does not know are left out. */
export function toVersionedResult(result: CniResult, version: CniVersion): Record<string, unknown> {
  return {
    cniVersion: version,
    interfaces: result.interfaces.map((i) => renderInterface(i, version)),
    ips: result.ips.map((ip) => renderIp(ip, version)),
    routes: result.routes.map((r) => renderRoute(r, version)),
    dns: renderDns(result.dns),
  };
}

// ---- parsing (prevResult from the runtime, results from the daemon) ----

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class ResultShapeError extends Error {}

function optString(o: Obj, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ResultShapeError(`${where}.${key} must be a string, got ${previewJson(v)}`);
  return v;
}

function optUint(o: Obj, key: string, where: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ResultShapeError(`${where}.${key} must be a non-negative integer, got ${previewJson(v)}`);
  return v;
}

function optStringList(o: Obj, key: string, where: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new ResultShapeError(`${where}.${key} must be a list of strings`);
  return [...(v as string[])];
}

function list(o: Obj, key: string): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ResultShapeError(`${key} must be a list, got ${previewJson(v)}`);
  return v;
}

function parseInterface(value: unknown, where: string): CniInterface {
  if (!isObject(value)) throw new ResultShapeError(`${where} must be an object`);
  const name = optString(value, 'name', where);
  if (name === undefined || name === '') throw new ResultShapeError(`${where}.name is required`);
  const iface: CniInterface = { name };
  const mac = optString(value, 'mac', where);
  if (mac !== undefined && mac !== '') iface.mac = mac;
  const mtu = optUint(value, 'mtu', where);
  if (mtu !== undefined && mtu > 0) iface.mtu = mtu;
  const sandbox = optString(value, 'sandbox', where);
  if (sandbox !== undefined && sandbox !== '') iface.sandbox = sandbox;
  const socketPath = optString(value, 'socketPath', where);
  if (socketPath !== undefined && socketPath !== '') iface.socketPath = socketPath;
  const pciID = optString(value, 'pciID', where);
  if (pciID !== undefined && pciID !== '') iface.pciID = pciID;
  return iface;
}

function parseIp(value: unknown, where: string, interfaceCount: number): CniIpConfig {
  if (!isObject(value)) throw new ResultShapeError(`${where} must be an object`);
  const address = optString(value, 'address', where);
  if (address === undefined || parseCidr(address) === undefined) throw new ResultShapeError(`${where}.address must be an address with prefix (CIDR), got ${previewJson(value.address)}`);
  const ip: CniIpConfig = { address };
  const gateway = optString(value, 'gateway', where);
  if (gateway !== undefined && gateway !== '') {
    if (isIP(gateway) === 0) throw new ResultShapeError(`${where}.gateway must be an IP address, got ${previewJson(gateway)}`);
    ip.gateway = gateway;
  }
  const index = optUint(value, 'interface', where);
  if (index !== undefined) {
    if (index >= interfaceCount) throw new ResultShapeError(`${where}.interface is ${index} but the result has ${interfaceCount} interfaces`);
    ip.interface = index;
  }
  return ip;
}

function parseRoute(value: unknown, where: string): CniRoute {
  if (!isObject(value)) throw new ResultShapeError(`${where} must be an object`);
  const dst = optString(value, 'dst', where);
  if (dst === undefined || parseCidr(dst) === undefined) throw new ResultShapeError(`${where}.dst must be a CIDR, got ${previewJson(value.dst)}`);
  const route: CniRoute = { dst };
  const gw = optString(value, 'gw', where);
  if (gw !== undefined && gw !== '') {
    if (isIP(gw) === 0) throw new ResultShapeError(`${where}.gw must be an IP address, got ${previewJson(gw)}`);
    route.gw = gw;
  }
  for (const key of ROUTE_1_1_FIELDS) {
    const n = optUint(value, key, where);
    if (n !== undefined) route[key] = n;
  }
  return route;
}

function parseDns(value: unknown): CniDns {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new ResultShapeError('dns must be an object');
  const dns: CniDns = {};
  const nameservers = optStringList(value, 'nameservers', 'dns');
  if (nameservers !== undefined) dns.nameservers = nameservers;
  const domain = optString(value, 'domain', 'dns');
  if (domain !== undefined) dns.domain = domain;
  const search = optStringList(value, 'search', 'dns');
  if (search !== undefined) dns.search = search;
  const options = optStringList(value, 'options', 'dns');
  if (options !== undefined) dns.options = options;
  return dns;
}

/**
 * Reads a success result of any supported version (0.3.x/0.4.0 `ips[].version` is accepted and dropped) into the
 * version-independent form. Throws a plain Error naming the offending field; callers wrap it with their context.
 */
export function parseResult(value: unknown): CniResult {
  try {
    if (!isObject(value)) throw new ResultShapeError('a result must be a JSON object');
    if (value.ip4 !== undefined || value.ip6 !== undefined) throw new ResultShapeError('0.1.0/0.2.0 results (ip4/ip6) are not supported');
    const interfaces = list(value, 'interfaces').map((v, i) => parseInterface(v, `interfaces[${i}]`));
    return {
      interfaces,
      ips: list(value, 'ips').map((v, i) => parseIp(v, `ips[${i}]`, interfaces.length)),
      routes: list(value, 'routes').map((v, i) => parseRoute(v, `routes[${i}]`)),
      dns: parseDns(value.dns),
    };
  } catch (err) {
    if (err instanceof ResultShapeError) throw new Error(err.message);
    throw err;
  }
}

/**
 * Our ADD result placed after a previous chained plugin's result: its interfaces, ips and routes come first and
 * stay valid (our ips' interface indexes are shifted past its interfaces); our DNS settings win where we have them.
 */
export function mergeChainedResult(prev: CniResult, ours: CniResult): CniResult {
  const shift = prev.interfaces.length;
  const dns: CniDns = { ...prev.dns };
  if (ours.dns.nameservers !== undefined && ours.dns.nameservers.length > 0) dns.nameservers = ours.dns.nameservers;
  if (ours.dns.domain !== undefined && ours.dns.domain !== '') dns.domain = ours.dns.domain;
  if (ours.dns.search !== undefined && ours.dns.search.length > 0) dns.search = ours.dns.search;
  if (ours.dns.options !== undefined && ours.dns.options.length > 0) dns.options = ours.dns.options;
  return {
    interfaces: [...prev.interfaces, ...ours.interfaces],
    ips: [...prev.ips, ...ours.ips.map((ip) => (ip.interface === undefined ? ip : { ...ip, interface: ip.interface + shift }))],
    routes: [...prev.routes, ...ours.routes],
    dns,
  };
}
