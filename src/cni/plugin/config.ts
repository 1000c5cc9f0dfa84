import { DEFAULT_DAEMON_SOCKET, type AttachmentRef } from '../protocol.js';
import { CNI_ERROR, CniError, compareCniVersions, isValidCniName, isValidIfName, parseCidr, previewJson, requireSupportedVersion, type CniVersion } from '../types.js';
import type { CniCommand } from './env.js';

/**
 * The request config on stdin for hostnic, checked. Plugin keys (besides type) in the conflist:
 *   socket       daemon unix socket path (default /run/hostnic/hostnic.sock)
 *   serviceCIDR  the cluster's service CIDR, routed through the host veth
 *   debug        true: diagnostics on stderr
 */
export interface HostnicConfig {
  cniVersion: CniVersion;
  /** The network name. */
  name: string;
  type: string;
  socketPath: string;
  serviceCIDR?: string;
  debug: boolean;
  /** Capability args from the runtime, passed to the daemon as is. */
  runtimeConfig?: Record<string, unknown>;
  /** The previous result as sent (parsed later: what to do with a bad one depends on the verb). */
  prevResult?: unknown;
  /** GC only: the attachments the runtime still knows. */
  validAttachments?: AttachmentRef[];
}

/** Longest unix socket path Linux accepts (sun_path is 108 bytes including the terminating NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): CniError {
  return new CniError(CNI_ERROR.InvalidNetworkConfig, `invalid hostnic network config: ${message}`);
}

/** stdin as a JSON object; anything else → code 6. */
export function decodeConfigText(text: string): Obj {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CniError(CNI_ERROR.DecodingFailure, `cannot decode the network config on stdin as JSON: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (!isObject(value)) throw new CniError(CNI_ERROR.DecodingFailure, `the network config on stdin must be a JSON object, got ${text.trim() === '' ? 'nothing' : previewJson(value)}`);
  return value;
}

/** The lowest cniVersion each verb exists in (CHECK came with 0.4.0, STATUS and GC with 1.1.0). */
const VERB_SINCE: Partial<Record<CniCommand, CniVersion>> = { CHECK: '0.4.0', STATUS: '1.1.0', GC: '1.1.0' };

function parseAttachments(value: unknown, key: string): AttachmentRef[] {
  if (!Array.isArray(value)) throw invalid(`${key} must be a list of {containerID, ifname}, got ${previewJson(value)}`);
  return value.map((entry: unknown, i) => {
    if (!isObject(entry) || typeof entry.containerID !== 'string' || typeof entry.ifname !== 'string') {
      throw invalid(`${key}[${i}] must be {containerID, ifname} strings, got ${previewJson(entry)}`);
    }
    if (!isValidCniName(entry.containerID) || !isValidIfName(entry.ifname)) {
      throw invalid(`${key}[${i}] has an invalid containerID or ifname: ${previewJson(entry)}`);
    }
    return { containerId: entry.containerID, ifName: entry.ifname };
  });
}

/** Checks the request config for `command`: version (codes 6/1), unsupported fields (2), values (7). */
export function parseConfig(raw: Obj, command: Exclude<CniCommand, 'VERSION'>): HostnicConfig {
  const cniVersion = requireSupportedVersion(raw.cniVersion);
  const since = VERB_SINCE[command];
  if (since !== undefined && compareCniVersions(cniVersion, since) < 0) {
    throw new CniError(CNI_ERROR.IncompatibleVersion, `config version ${cniVersion} does not allow ${command}: it needs cniVersion ${since} or later`);
  }
  if (typeof raw.name !== 'string' || !isValidCniName(raw.name)) {
    throw invalid(`"name" must be a network name (letters, digits, _ . -, not starting with _ . -), got ${previewJson(raw.name)}`);
  }
  if (typeof raw.type !== 'string' || raw.type === '' || /[/\\]/.test(raw.type)) {
    throw invalid(`"type" must be the plugin binary name, got ${previewJson(raw.type)}`);
  }
  if (raw.ipam !== undefined) {
    throw new CniError(
      CNI_ERROR.UnsupportedField,
      `unsupported field "ipam" (${previewJson(raw.ipam)}) in network ${raw.name}: hostnic gives each pod the address of its NIC from the daemon's vxnets; remove the ipam section`,
    );
  }
  const config: HostnicConfig = { cniVersion, name: raw.name, type: raw.type, socketPath: DEFAULT_DAEMON_SOCKET, debug: false };
  if (raw.socket !== undefined) {
    const s = raw.socket;
    if (typeof s !== 'string' || !s.startsWith('/') || s.includes('\0') || Buffer.byteLength(s) > MAX_SOCKET_PATH_BYTES) {
      throw invalid(`"socket" must be an absolute unix socket path of at most ${MAX_SOCKET_PATH_BYTES} bytes, got ${previewJson(s)}`);
    }
    config.socketPath = s;
  }
  if (raw.serviceCIDR !== undefined) {
    if (typeof raw.serviceCIDR !== 'string' || parseCidr(raw.serviceCIDR) === undefined) {
      throw invalid(`"serviceCIDR" must be a CIDR such as 10.96.0.0/12, got ${previewJson(raw.serviceCIDR)}`);
    }
    config.serviceCIDR = raw.serviceCIDR;
  }
  if (raw.debug !== undefined) {
    if (typeof raw.debug !== 'boolean') throw invalid(`"debug" must be true or false, got ${previewJson(raw.debug)}`);
    config.debug = raw.debug;
  }
  if (raw.runtimeConfig !== undefined) {
    if (!isObject(raw.runtimeConfig)) throw invalid(`"runtimeConfig" must be an object, got ${previewJson(raw.runtimeConfig)}`);
    config.runtimeConfig = raw.runtimeConfig;
  }
  if (raw.prevResult !== undefined && raw.prevResult !== null) config.prevResult = raw.prevResult;
  if (command === 'GC') {
    // libcni sends the misspelled older key `cni.dev/attachments` alongside the current one: accept either.
    const key = raw['cni.dev/valid-attachments'] !== undefined ? 'cni.dev/valid-attachments' : 'cni.dev/attachments';
    const list = raw[key];
    // Without a list every attachment would look stale: refuse rather than release every pod's NIC.
    if (list === undefined) throw invalid('GC needs "cni.dev/valid-attachments" (the attachments still in use); refusing to collect without it');
    config.validAttachments = parseAttachments(list, key);
  }
  return config;
}
