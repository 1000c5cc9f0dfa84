import { describe, expect, it } from 'vitest';
import type { VxnetInfo } from '../../../../src/cni/daemon/nic-provider.js';
import { vxnetProblems } from '../../../../src/cni/daemon/vxnet-check.js';

const vx = (id: string, extra: Partial<VxnetInfo> = {}): VxnetInfo => ({
  vxnetId: id,
  vpcRouterId: 'rtr-1',
  network: '192.168.1.0/24',
  gateway: '192.168.1.1',
  dhcpStart: '192.168.1.2',
  dhcpEnd: '192.168.1.254',
  freeAddresses: 200,
  ...extra,
});
const node = { instanceId: 'i-node0001', primaryVxnetId: 'vxnet-node', primaryIps: ['10.0.0.2'] };

describe('vxnetProblems', () => {
  it('accepts vxnets of the node VPC with a router and DHCP range', () => {
    expect(vxnetProblems(['vxnet-a'], [vx('vxnet-node'), vx('vxnet-a')], node)).toEqual([]);
  });

  it('reports one message per problem', () => {
    const problems = vxnetProblems(
      ['vxnet-missing', 'vxnet-node', 'vxnet-other', 'vxnet-bare', 'vxnet-nodhcp'],
      [vx('vxnet-node'), vx('vxnet-other', { vpcRouterId: 'rtr-2' }), vx('vxnet-bare', { vpcRouterId: undefined, network: undefined, gateway: undefined }), vx('vxnet-nodhcp', { dhcpStart: undefined })],
      node,
    );
    expect(problems).toEqual([
      expect.stringContaining('vxnet-missing does not exist'),
      expect.stringContaining("vxnet-node is the node's own (primary) vxnet"),
      expect.stringContaining('vxnet-other is in VPC rtr-2, the node is in VPC rtr-1'),
      expect.stringContaining('vxnet-bare is not in a VPC'),
      expect.stringContaining('vxnet-bare has no router network'),
      expect.stringContaining('vxnet-nodhcp has no DHCP range'),
    ]);
  });
});
