import { describe, expect, it } from 'vitest';
import type { IpRoute } from '../../../../src/cni/net/ip-json.js';
import { podProblems, type ObservedNetns } from '../../../../src/cni/net/pod-check.js';
import { validatePodNetSpec } from '../../../../src/cni/net/pod-spec.js';

const spec = validatePodNetSpec({
  containerId: 'ctr1',
  podNetns: 'pod',
  ifName: 'eth0',
  nicMac: '52:54:00:00:00:0a',
  address: '192.168.1.10/24',
  gateway: '192.168.1.1',
  serviceCidrs: ['10.96.0.0/12'],
  hostIps: ['192.168.0.5'],
});

function route(dst: string, dev: string, gateway?: string): IpRoute {
  return { dst, dev, gateway, scope: gateway === undefined ? 'link' : 'global', prefsrc: undefined };
}

function healthy(): { pod: ObservedNetns; host: ObservedNetns } {
  return {
    pod: {
      links: [
        { index: 1, name: 'lo', mac: '00:00:00:00:00:00', up: true, kind: undefined },
        { index: 3, name: 'eth0', mac: '52:54:00:00:00:0a', up: true, kind: undefined },
        { index: 4, name: 'hostnic-v', mac: '0e:00:00:00:00:01', up: true, kind: 'veth' },
      ],
      addresses: [{ index: 3, name: 'eth0', addresses: [{ family: 'inet', local: '192.168.1.10', prefix: 24, scope: 'global' }] }],
      routes: [
        route('default', 'eth0', '192.168.1.1'),
        route('192.168.1.0/24', 'eth0'),
        route('169.254.1.1/32', 'hostnic-v'),
        route('10.96.0.0/12', 'hostnic-v', '169.254.1.1'),
        route('192.168.0.5/32', 'hostnic-v', '169.254.1.1'),
      ],
    },
    host: {
      links: [{ index: 9, name: spec.hostVeth, mac: '0e:00:00:00:00:02', up: true, kind: 'veth' }],
      addresses: [{ index: 9, name: spec.hostVeth, addresses: [{ family: 'inet', local: '169.254.1.1', prefix: 32, scope: 'link' }] }],
      routes: [route('192.168.1.10/32', spec.hostVeth)],
    },
  };
}

describe('podProblems', () => {
  it('finds nothing wrong with what ADD leaves', () => {
    const { pod, host } = healthy();
    expect(podProblems(spec, pod, host)).toEqual([]);
  });

  it('says where the NIC is when it has the wrong name', () => {
    const { pod, host } = healthy();
    pod.links[1]!.name = 'eth9';
    expect(podProblems(spec, pod, host)).toContain('NIC 52:54:00:00:00:0a is in the pod netns as eth9, not eth0');
  });

  it('reports a wrong MAC, a down interface, a missing address and a missing default route', () => {
    const { pod, host } = healthy();
    pod.links[1] = { ...pod.links[1]!, mac: '52:54:00:00:00:0b', up: false };
    pod.addresses = [];
    pod.routes = pod.routes.filter((r) => r.dst !== 'default');
    expect(podProblems(spec, pod, host)).toEqual([
      'pod interface eth0 has MAC 52:54:00:00:00:0b, expected NIC 52:54:00:00:00:0a',
      'pod interface eth0 is down',
      'pod interface eth0 lacks address 192.168.1.10/24',
      'pod has no default route via 192.168.1.1 dev eth0',
    ]);
  });

  it('reports missing service and host-IP routes', () => {
    const { pod, host } = healthy();
    pod.routes = pod.routes.filter((r) => r.gateway !== '169.254.1.1');
    expect(podProblems(spec, pod, host)).toEqual([
      'pod has no service route 10.96.0.0/12 via 169.254.1.1 dev hostnic-v',
      'pod has no route 192.168.0.5 via 169.254.1.1 dev hostnic-v',
    ]);
  });

  it('reports a missing host veth, and a missing host namespace', () => {
    const { pod, host } = healthy();
    host.links = [];
    expect(podProblems(spec, pod, host)).toEqual([`host veth ${spec.hostVeth} is missing`]);
    expect(podProblems(spec, pod, undefined)).toEqual(['the host network namespace is missing']);
  });
});
