import { describe, expect, it } from 'vitest';
import { isNetOpsError } from '../../../../src/cni/net/net-error.js';
import type { PodNetSpec } from '../../../../src/cni/net/net-ops.js';
import { describeNetns, validateDelPodSpec, validatePodNetSpec } from '../../../../src/cni/net/pod-spec.js';
import { hostVethName } from '../../../../src/cni/net/validate.js';

const SPEC: PodNetSpec = {
  containerId: 'ctr1',
  podNetns: '/var/run/netns/cni-1',
  ifName: 'eth0',
  nicMac: '52:54:0A:0B:0C:0D',
  address: '192.168.1.10/24',
  gateway: '192.168.1.1',
  serviceCidrs: ['10.96.0.0/12'],
  hostIps: ['192.168.0.5'],
  hostNetns: 'node-1',
};

function rejects(change: Partial<PodNetSpec>, message: RegExp): void {
  let error: unknown;
  try {
    validatePodNetSpec({ ...SPEC, ...change });
  } catch (err) {
    error = err;
  }
  expect(isNetOpsError(error, 'InvalidArgument')).toBe(true);
  expect((error as Error).message).toMatch(message);
}

describe('validatePodNetSpec', () => {
  it('normalises the MAC, splits the address and derives the host veth name and the NIC name expected in the host', () => {
    expect(validatePodNetSpec(SPEC)).toEqual({
      containerId: 'ctr1',
      pod: { kind: 'path', path: '/var/run/netns/cni-1' },
      host: { kind: 'name', name: 'node-1' },
      ifName: 'eth0',
      mac: '52:54:0a:0b:0c:0d',
      ip: '192.168.1.10',
      prefix: 24,
      address: '192.168.1.10/24',
      gateway: '192.168.1.1',
      serviceCidrs: ['10.96.0.0/12'],
      hostIps: ['192.168.0.5'],
      hostVeth: hostVethName('ctr1'),
      nicName: 'hn_0a0b0c0d',
    });
  });

  it('takes the caller\'s NIC link name when given and rejects one that is not an interface name', () => {
    expect(validatePodNetSpec({ ...SPEC, nicName: 'eth7' }).nicName).toBe('eth7');
    rejects({ nicName: 'eth 7' }, /NIC link name/);
  });

  it('defaults to the root namespace as host and no host IPs', () => {
    const { hostNetns: _h, hostIps: _i, ...rest } = SPEC;
    const valid = validatePodNetSpec(rest);
    expect(valid.host).toBeUndefined();
    expect(valid.hostIps).toEqual([]);
  });

  it('rejects a gateway outside the pod network', () => rejects({ gateway: '192.168.2.1' }, /gateway 192\.168\.2\.1 .*router address/));
  it('rejects the pod address as its own gateway', () => rejects({ gateway: '192.168.1.10' }, /gateway/));
  it('rejects an address without the vxnet prefix', () => rejects({ address: '192.168.1.10/32' }, /vxnet prefix/));
  it('rejects a service CIDR with host bits', () => rejects({ serviceCidrs: ['10.96.0.1/12'] }, /service CIDR/));
  it('rejects a bad host IP', () => rejects({ hostIps: ['node'] }, /host IP/));
  it('rejects the reserved pod veth name as CNI_IFNAME', () => rejects({ ifName: 'hostnic-v' }, /reserved/));
  it('rejects a relative CNI_NETNS', () => rejects({ podNetns: 'var/run/netns/x' }, /CNI_NETNS/));
  it('rejects a non-QingCloud MAC', () => rejects({ nicMac: '02:00:00:00:00:01' }, /52:54:/));
});

describe('validateDelPodSpec', () => {
  it('treats an empty CNI_NETNS as no pod namespace and derives both names', () => {
    expect(validateDelPodSpec({ containerId: 'ctr1', podNetns: '', nicMac: '52:54:0a:0b:0c:0d' })).toEqual({
      containerId: 'ctr1',
      pod: undefined,
      host: undefined,
      mac: '52:54:0a:0b:0c:0d',
      stableName: 'hn_0a0b0c0d',
      hostVeth: hostVethName('ctr1'),
    });
  });
});

describe('describeNetns', () => {
  it('names the root namespace, names and paths', () => {
    expect(describeNetns(undefined)).toBe('the root network namespace');
    expect(describeNetns({ kind: 'name', name: 'n1' })).toBe('network namespace n1');
    expect(describeNetns({ kind: 'path', path: '/proc/1/ns/net' })).toBe('network namespace /proc/1/ns/net');
  });
});
