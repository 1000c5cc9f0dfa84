import { describe, expect, it } from 'vitest';
import { isNetOpsError } from '../../../../src/cni/net/net-error.js';
import {
  formatIpv4,
  hostVethName,
  ipv4InPrefix,
  parseIpv4,
  parseIpv4Cidr,
  parseNetns,
  stableNicName,
  validateContainerId,
  validateIfName,
  validateMac,
  validateNicMac,
} from '../../../../src/cni/net/validate.js';

function invalidArgument(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    return isNetOpsError(err, 'InvalidArgument');
  }
}

describe('validateIfName', () => {
  it.each(['eth0', 'hn_0a0b0c0d', 'a', 'veth-1.2', '123456789012345'])('accepts %s', (name) => {
    expect(validateIfName(name)).toBe(name);
  });

  it.each(['', '1234567890123456', 'eth 0', 'eth0/1', 'eth:0', '.', '..', 'ethé'])('rejects %j with InvalidArgument', (name) => {
    expect(invalidArgument(() => validateIfName(name))).toBe(true);
  });
});

describe('validateMac / validateNicMac', () => {
  it('lower-cases a MAC', () => {
    expect(validateMac('52:54:AB:cd:EF:01')).toBe('52:54:ab:cd:ef:01');
  });

  it.each(['52:54:ab:cd:ef', '52-54-ab-cd-ef-01', '5254abcdef01', '52:54:ab:cd:ef:0g', ''])('rejects %j', (mac) => {
    expect(invalidArgument(() => validateMac(mac))).toBe(true);
  });

  it('accepts only QingCloud NIC ids (52:54:…) as NIC MACs, saying so', () => {
    expect(validateNicMac('52:54:00:11:22:33')).toBe('52:54:00:11:22:33');
    expect(() => validateNicMac('02:fc:00:00:00:01')).toThrow(/52:54:/);
  });
});

describe('validateContainerId', () => {
  it('accepts CNI container ids and rejects others', () => {
    expect(validateContainerId('abc123_x.y-z')).toBe('abc123_x.y-z');
    for (const bad of ['', '-abc', 'a b', 'a/b', 'x'.repeat(1025)]) expect(invalidArgument(() => validateContainerId(bad))).toBe(true);
  });
});

describe('parseNetns', () => {
  it('reads a bare name as a /var/run/netns name and a path as a path', () => {
    expect(parseNetns('cni-1234')).toEqual({ kind: 'name', name: 'cni-1234' });
    expect(parseNetns('/var/run/netns/cni-1234')).toEqual({ kind: 'path', path: '/var/run/netns/cni-1234' });
    expect(parseNetns('/proc/42/ns/net')).toEqual({ kind: 'path', path: '/proc/42/ns/net' });
  });

  it.each(['', 'var/run/netns/x', '/var/run/../x', '/var/./run', '/var//run', '/var/run/', '/a b', '-x', 'a b', '/x\0y'])(
    'rejects %j with InvalidArgument',
    (ref) => {
      expect(invalidArgument(() => parseNetns(ref))).toBe(true);
    },
  );
});

describe('IPv4 helpers', () => {
  it('parses and formats dotted quads', () => {
    expect(parseIpv4('192.168.1.10')).toBe(0xc0a8010a);
    expect(formatIpv4(0xc0a8010a)).toBe('192.168.1.10');
  });

  it.each(['1.2.3', '1.2.3.256', '01.2.3.4', '1.2.3.4.5', 'a.b.c.d', ''])('rejects address %j', (address) => {
    expect(invalidArgument(() => parseIpv4(address))).toBe(true);
  });

  it('parses CIDRs and, for network routes, insists the host bits are zero', () => {
    expect(parseIpv4Cidr('192.168.1.10/24')).toEqual({ address: '192.168.1.10', prefix: 24 });
    expect(parseIpv4Cidr('10.96.0.0/12', 'service CIDR', { network: true })).toEqual({ address: '10.96.0.0', prefix: 12 });
    expect(() => parseIpv4Cidr('10.96.0.1/12', 'service CIDR', { network: true })).toThrow(/use 10\.96\.0\.0\/12/);
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/08x']) expect(invalidArgument(() => parseIpv4Cidr(bad))).toBe(true);
  });

  it('tells whether an address lies in a prefix', () => {
    expect(ipv4InPrefix('192.168.1.1', '192.168.1.10', 24)).toBe(true);
    expect(ipv4InPrefix('192.168.2.1', '192.168.1.10', 24)).toBe(false);
  });
});

describe('derived link names', () => {
  it('names the host veth hn + 8 hex of the container id hash, stable and within 15 chars', () => {
    const name = hostVethName('0123456789abcdef');
    expect(name).toMatch(/^hn[0-9a-f]{8}$/);
    expect(hostVethName('0123456789abcdef')).toBe(name);
    expect(hostVethName('other')).not.toBe(name);
  });

  it('names a returned NIC hn_ + the last four octets of its MAC', () => {
    expect(stableNicName('52:54:0A:0b:0c:0d')).toBe('hn_0a0b0c0d');
  });
});
