import { NetOpsError } from './net-error.js';
import { POD_VETH_NAME, type DelPodSpec, type PodNetSpec } from './net-ops.js';
import {
  hostVethName,
  ipv4InPrefix,
  parseIpv4,
  parseIpv4Cidr,
  parseNetns,
  stableNicName,
  validateContainerId,
  validateIfName,
  validateNicMac,
  type ParsedNetns,
} from './validate.js';

/** A PodNetSpec after validation, with the names derived from it. */
export interface ValidPodNetSpec {
  containerId: string;
  pod: ParsedNetns;
  host: ParsedNetns | undefined;
  ifName: string;
  mac: string;
  /** The pod IP without prefix. */
  ip: string;
  prefix: number;
  /** `ip`/`prefix`. */
  address: string;
  gateway: string;
  serviceCidrs: string[];
  hostIps: string[];
  hostVeth: string;
  /** The name the NIC is expected to have in the host netns (spec.nicName, else its stable name). */
  nicName: string;
}

/** A DelPodSpec after validation (`pod` undefined when CNI_NETNS was empty). */
export interface ValidDelPodSpec {
  containerId: string;
  pod: ParsedNetns | undefined;
  host: ParsedNetns | undefined;
  mac: string;
  stableName: string;
  hostVeth: string;
}

function invalid(message: string): NetOpsError {
  return new NetOpsError('InvalidArgument', message);
}

/** Validates every field of an ADD/CHECK request; throws NetOpsError(InvalidArgument) naming the field and the fix. */
export function validatePodNetSpec(spec: PodNetSpec): ValidPodNetSpec {
  const containerId = validateContainerId(spec.containerId);
  const ifName = validateIfName(spec.ifName, 'pod interface name (CNI_IFNAME)');
  if (ifName === POD_VETH_NAME) throw invalid(`pod interface name ${ifName} is reserved for the host veth; use another CNI_IFNAME (e.g. eth0)`);
  const { address: ip, prefix } = parseIpv4Cidr(spec.address, 'pod address');
  if (prefix < 1 || prefix > 31) throw invalid(`pod address ${spec.address} needs the vxnet prefix (1-31), e.g. 192.168.1.10/24`);
  parseIpv4(spec.gateway, 'vxnet gateway');
  if (!ipv4InPrefix(spec.gateway, ip, prefix) || spec.gateway === ip) {
    throw invalid(`vxnet gateway ${spec.gateway} is not another address inside the pod's network ${spec.address}; pass the vxnet's router address`);
  }
  const serviceCidrs = [...spec.serviceCidrs].map((cidr) => {
    parseIpv4Cidr(cidr, 'service CIDR', { network: true });
    return cidr;
  });
  const hostIps = [...(spec.hostIps ?? [])].map((address) => {
    parseIpv4(address, 'host IP');
    return address;
  });
  return {
    containerId,
    pod: parseNetns(spec.podNetns, 'pod network namespace (CNI_NETNS)'),
    host: spec.hostNetns === undefined ? undefined : parseNetns(spec.hostNetns, 'host network namespace'),
    ifName,
    mac: validateNicMac(spec.nicMac),
    ip,
    prefix,
    address: `${ip}/${prefix}`,
    gateway: spec.gateway,
    serviceCidrs,
    hostIps,
    hostVeth: hostVethName(containerId),
    nicName: spec.nicName === undefined ? stableNicName(spec.nicMac) : validateIfName(spec.nicName, 'NIC link name in the host netns'),
  };
}

/** Validates a DEL request; an empty podNetns means "no pod namespace any more". */
export function validateDelPodSpec(spec: DelPodSpec): ValidDelPodSpec {
  const containerId = validateContainerId(spec.containerId);
  const mac = validateNicMac(spec.nicMac);
  return {
    containerId,
    pod: spec.podNetns === undefined || spec.podNetns === '' ? undefined : parseNetns(spec.podNetns, 'pod network namespace (CNI_NETNS)'),
    host: spec.hostNetns === undefined ? undefined : parseNetns(spec.hostNetns, 'host network namespace'),
    mac,
    stableName: stableNicName(mac),
    hostVeth: hostVethName(containerId),
  };
}

/** How a parsed namespace is shown in messages. */
export function describeNetns(ns: ParsedNetns | undefined): string {
  if (ns === undefined) return 'the root network namespace';
  return ns.kind === 'name' ? `network namespace ${ns.name}` : `network namespace ${ns.path}`;
}
