import type { IpLink, IpLinkAddresses, IpRoute } from './ip-json.js';
import { HOST_VETH_ADDRESS, POD_VETH_NAME } from './net-ops.js';
import type { ValidPodNetSpec } from './pod-spec.js';

/** What CHECK observed in one namespace (as `ip -json` reports it). */
export interface ObservedNetns {
  links: IpLink[];
  addresses: IpLinkAddresses[];
  routes: IpRoute[];
}

function hasRoute(routes: readonly IpRoute[], dst: string, dev: string, gateway?: string): boolean {
  return routes.some((r) => r.dst === dst && r.dev === dev && (gateway === undefined ? r.gateway === undefined : r.gateway === gateway));
}

function hasAddress(addresses: readonly IpLinkAddresses[], dev: string, ip: string, prefix: number): boolean {
  return addresses.some((link) => link.name === dev && link.addresses.some((a) => a.family === 'inet' && a.local === ip && a.prefix === prefix));
}

/** Every difference between the observed pod/host state and what ADD leaves (net-ops.ts design); [] when healthy. Pure. */
export function podProblems(spec: ValidPodNetSpec, pod: ObservedNetns, host: ObservedNetns | undefined): string[] {
  const problems: string[] = [];
  const nic = pod.links.find((l) => l.name === spec.ifName);
  if (nic === undefined) {
    const byMac = pod.links.find((l) => l.mac === spec.mac);
    problems.push(
      byMac === undefined
        ? `NIC ${spec.mac} is not in the pod netns (no interface ${spec.ifName})`
        : `NIC ${spec.mac} is in the pod netns as ${byMac.name}, not ${spec.ifName}`,
    );
  } else {
    if (nic.mac !== spec.mac) problems.push(`pod interface ${spec.ifName} has MAC ${nic.mac ?? 'none'}, expected NIC ${spec.mac}`);
    if (!nic.up) problems.push(`pod interface ${spec.ifName} is down`);
    if (!hasAddress(pod.addresses, spec.ifName, spec.ip, spec.prefix)) problems.push(`pod interface ${spec.ifName} lacks address ${spec.address}`);
    if (!hasRoute(pod.routes, 'default', spec.ifName, spec.gateway)) problems.push(`pod has no default route via ${spec.gateway} dev ${spec.ifName}`);
  }
  const podVeth = pod.links.find((l) => l.name === POD_VETH_NAME);
  if (podVeth === undefined) problems.push(`pod has no veth ${POD_VETH_NAME} to the host`);
  else {
    if (!podVeth.up) problems.push(`pod veth ${POD_VETH_NAME} is down`);
    if (!hasRoute(pod.routes, `${HOST_VETH_ADDRESS}/32`, POD_VETH_NAME)) problems.push(`pod has no route ${HOST_VETH_ADDRESS} dev ${POD_VETH_NAME}`);
    for (const cidr of spec.serviceCidrs) {
      if (!hasRoute(pod.routes, cidr, POD_VETH_NAME, HOST_VETH_ADDRESS)) problems.push(`pod has no service route ${cidr} via ${HOST_VETH_ADDRESS} dev ${POD_VETH_NAME}`);
    }
    for (const ip of spec.hostIps) {
      if (!hasRoute(pod.routes, `${ip}/32`, POD_VETH_NAME, HOST_VETH_ADDRESS)) problems.push(`pod has no route ${ip} via ${HOST_VETH_ADDRESS} dev ${POD_VETH_NAME}`);
    }
  }
  if (host === undefined) {
    problems.push('the host network namespace is missing');
    return problems;
  }
  const hostVeth = host.links.find((l) => l.name === spec.hostVeth);
  if (hostVeth === undefined) problems.push(`host veth ${spec.hostVeth} is missing`);
  else {
    if (!hostVeth.up) problems.push(`host veth ${spec.hostVeth} is down`);
    if (!hasAddress(host.addresses, spec.hostVeth, HOST_VETH_ADDRESS, 32)) problems.push(`host veth ${spec.hostVeth} lacks address ${HOST_VETH_ADDRESS}/32`);
    if (!hasRoute(host.routes, `${spec.ip}/32`, spec.hostVeth)) problems.push(`host has no route ${spec.ip} dev ${spec.hostVeth}`);
  }
  return problems;
}
