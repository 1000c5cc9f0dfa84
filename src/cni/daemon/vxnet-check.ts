import type { NodeInfo, VxnetInfo } from './nic-provider.js';

/**
 * Start-up validation of the configured vxnets against the cloud, one message per problem: each must exist, be in
 * the node's VPC (same VPC router as the node's primary vxnet), have a router network and a DHCP range, and not be
 * the node's own vxnet. `described` holds what DescribeVxnets returned for the configured vxnets and the primary one.
 */
export function vxnetProblems(configured: readonly string[], described: readonly VxnetInfo[], node: NodeInfo): string[] {
  const problems: string[] = [];
  const byId = new Map(described.map((v) => [v.vxnetId, v]));
  const primary = node.primaryVxnetId === undefined ? undefined : byId.get(node.primaryVxnetId);
  if (node.primaryVxnetId === undefined) problems.push(`instance ${node.instanceId} has no primary NIC in a vxnet; hostnic needs the node in a VPC vxnet`);
  for (const id of configured) {
    const v = byId.get(id);
    if (v === undefined) {
      problems.push(`vxnet ${id} does not exist in this zone; fix vxnets in the hostnic config`);
      continue;
    }
    if (id === node.primaryVxnetId) {
      problems.push(`vxnet ${id} is the node's own (primary) vxnet; pods need vxnets of their own: remove it from vxnets`);
      continue;
    }
    if (v.vpcRouterId === undefined) problems.push(`vxnet ${id} is not in a VPC (no vpc_router_id); use a VPC vxnet`);
    else if (primary?.vpcRouterId !== undefined && v.vpcRouterId !== primary.vpcRouterId) {
      problems.push(`vxnet ${id} is in VPC ${v.vpcRouterId}, the node is in VPC ${primary.vpcRouterId}; use vxnets of the node's VPC`);
    }
    if (v.network === undefined || v.gateway === undefined) problems.push(`vxnet ${id} has no router network or gateway (router.ip_network/manager_ip); attach it to the VPC router`);
    if (v.dhcpStart === undefined || v.dhcpEnd === undefined) problems.push(`vxnet ${id} has no DHCP range (dyn_ip_start/dyn_ip_end); enable DHCP on the vxnet`);
  }
  return problems;
}
