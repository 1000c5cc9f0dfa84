import { describe, expect, it } from 'vitest';
import {
  CNI_ERROR,
  CniError,
  SUPPORTED_CNI_VERSIONS,
  compareCniVersions,
  isSupportedCniVersion,
  isValidCniName,
  isValidIfName,
  mergeChainedResult,
  parseCidr,
  parseResult,
  requireSupportedVersion,
  toVersionedResult,
  type CniResult,
  type CniVersion,
} from '../../../src/cni/types.js';

/** A 1.1.0 result using every field: host veth, pod NIC, v4 + v6, 1.1 route attributes, DNS. */
const FULL: CniResult = {
  interfaces: [
    { name: 'hnic01', mac: 'ee:ee:ee:00:00:01', mtu: 1500 },
    { name: 'eth0', mac: '52:54:9e:00:00:01', mtu: 1500, sandbox: '/var/run/netns/pod1', socketPath: '/run/x.sock', pciID: '0000:00:05.0' },
  ],
  ips: [
    { address: '172.22.1.11/24', gateway: '172.22.1.1', interface: 1 },
    { address: 'fd00::b/64', interface: 1 },
  ],
  routes: [
    { dst: '0.0.0.0/0', gw: '172.22.1.1' },
    { dst: '10.96.0.0/12', gw: '169.254.1.1', mtu: 1400, advmss: 1360, priority: 10, table: 254, scope: 0 },
  ],
  dns: { nameservers: ['10.96.0.10'], domain: 'cluster.local', search: ['default.svc.cluster.local'], options: ['ndots:5'] },
};

const LEGACY_EXPECTED = {
  interfaces: [
    { name: 'hnic01', mac: 'ee:ee:ee:00:00:01' },
    { name: 'eth0', mac: '52:54:9e:00:00:01', sandbox: '/var/run/netns/pod1' },
  ],
  ips: [
    { version: '4', interface: 1, address: '172.22.1.11/24', gateway: '172.22.1.1' },
    { version: '6', interface: 1, address: 'fd00::b/64' },
  ],
  routes: [
    { dst: '0.0.0.0/0', gw: '172.22.1.1' },
    { dst: '10.96.0.0/12', gw: '169.254.1.1' },
  ],
  dns: FULL.dns,
};

/** The expected document for each version (fixtures). */
const RENDERED: Record<CniVersion, unknown> = {
  '0.3.0': { cniVersion: '0.3.0', ...LEGACY_EXPECTED },
  '0.3.1': { cniVersion: '0.3.1', ...LEGACY_EXPECTED },
  '0.4.0': { cniVersion: '0.4.0', ...LEGACY_EXPECTED },
  '1.0.0': {
    cniVersion: '1.0.0',
    interfaces: LEGACY_EXPECTED.interfaces,
    ips: [
      { interface: 1, address: '172.22.1.11/24', gateway: '172.22.1.1' },
      { interface: 1, address: 'fd00::b/64' },
    ],
    routes: LEGACY_EXPECTED.routes,
    dns: FULL.dns,
  },
  '1.1.0': { cniVersion: '1.1.0', ...FULL },
};

describe('CNI versions', () => {
  it('supports exactly 0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0', () => {
    expect([...SUPPORTED_CNI_VERSIONS]).toEqual(['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
    expect(isSupportedCniVersion('0.2.0')).toBe(false);
    expect(isSupportedCniVersion('1.1.0')).toBe(true);
  });

  it('orders versions numerically, not as strings', () => {
    expect(compareCniVersions('0.10.0', '0.4.0')).toBeGreaterThan(0);
    expect(compareCniVersions('1.0.0', '1.0.0')).toBe(0);
    expect(compareCniVersions('0.3.1', '1.1.0')).toBeLessThan(0);
  });

  it('rejects a well-formed version it does not speak with code 1 and a malformed one with code 6', () => {
    expect(() => requireSupportedVersion('0.2.0')).toThrow(expect.objectContaining({ cniCode: CNI_ERROR.IncompatibleVersion }));
    expect(() => requireSupportedVersion('1.1')).toThrow(expect.objectContaining({ cniCode: CNI_ERROR.DecodingFailure }));
    expect(() => requireSupportedVersion(110)).toThrow(expect.objectContaining({ cniCode: CNI_ERROR.DecodingFailure }));
  });

  it('treats a config without cniVersion as 0.1.0 and says so', () => {
    expect(() => requireSupportedVersion(undefined)).toThrow(/no cniVersion, which means 0\.1\.0/);
  });
});

describe('name and interface validation', () => {
  it('accepts container ids and network names by the spec regex', () => {
    expect(isValidCniName('abc-123_x.y')).toBe(true);
    expect(isValidCniName('-abc')).toBe(false);
    expect(isValidCniName('a/b')).toBe(false);
    expect(isValidCniName('')).toBe(false);
  });

  it('accepts interface names of at most 15 bytes without / : or whitespace, and not . or ..', () => {
    expect(isValidIfName('eth0')).toBe(true);
    expect(isValidIfName('a234567890123456')).toBe(false);
    expect(isValidIfName('a23456789012345')).toBe(true);
    for (const bad of ['', '.', '..', 'eth/0', 'eth:0', 'eth 0']) expect(isValidIfName(bad)).toBe(false);
  });

  it('parses CIDRs of both families and rejects prefixes that do not fit', () => {
    expect(parseCidr('10.0.0.1/24')).toEqual({ ip: '10.0.0.1', prefix: 24, family: 4 });
    expect(parseCidr('fd00::1/64')).toEqual({ ip: 'fd00::1', prefix: 64, family: 6 });
    for (const bad of ['10.0.0.1', '10.0.0.1/33', 'fd00::1/129', 'x/8', '10.0.0.1/-1', '10.0.0.1/']) expect(parseCidr(bad)).toBeUndefined();
  });
});

describe('toVersionedResult', () => {
  it.each(SUPPORTED_CNI_VERSIONS)('renders the %s document with the fields that version knows', (version) => {
    expect(toVersionedResult(FULL, version)).toEqual(RENDERED[version]);
  });

  it('reads its own rendering of every version back to the same result, minus what the version cannot carry', () => {
    for (const version of SUPPORTED_CNI_VERSIONS) {
      const back = parseResult(toVersionedResult(FULL, version));
      expect(toVersionedResult(back, version)).toEqual(RENDERED[version]);
    }
    expect(parseResult(toVersionedResult(FULL, '1.1.0'))).toEqual(FULL);
  });
});

describe('parseResult', () => {
  it('accepts a 0.4.0 prevResult with ips[].version and drops the field', () => {
    const r = parseResult({ cniVersion: '0.4.0', interfaces: [{ name: 'eth0', sandbox: '/proc/1/ns/net' }], ips: [{ version: '4', address: '10.0.0.2/24', interface: 0 }] });
    expect(r.ips).toEqual([{ address: '10.0.0.2/24', interface: 0 }]);
    expect(r.routes).toEqual([]);
    expect(r.dns).toEqual({});
  });

  it('accepts an IPAM-style result without interfaces', () => {
    expect(parseResult({ ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1' }] }).interfaces).toEqual([]);
  });

  it.each([
    ['an ip interface index past the interfaces list', { interfaces: [{ name: 'eth0' }], ips: [{ address: '10.0.0.2/24', interface: 1 }] }, /ips\[0\]\.interface is 1/],
    ['an address without prefix', { ips: [{ address: '10.0.0.2' }] }, /ips\[0\]\.address/],
    ['a gateway that is not an IP', { ips: [{ address: '10.0.0.2/24', gateway: 'router' }] }, /gateway/],
    ['an interface without name', { interfaces: [{ mac: 'aa' }] }, /interfaces\[0\]\.name/],
    ['a route without dst', { routes: [{ gw: '10.0.0.1' }] }, /routes\[0\]\.dst/],
    ['a 0.2.0 result', { ip4: { ip: '10.0.0.2/24' } }, /0\.1\.0\/0\.2\.0/],
    ['interfaces that is not a list', { interfaces: {} }, /interfaces must be a list/],
    ['a string', 'hello', /JSON object/],
  ])('rejects %s, naming the field', (_what, value, message) => {
    expect(() => parseResult(value)).toThrow(message);
  });
});

describe('mergeChainedResult', () => {
  it('keeps the previous plugin result in front and shifts our interface indexes past its interfaces', () => {
    const prev: CniResult = {
      interfaces: [{ name: 'dummy0', sandbox: '/var/run/netns/pod1' }],
      ips: [{ address: '192.168.0.2/24', interface: 0 }],
      routes: [{ dst: '192.168.1.0/24' }],
      dns: { domain: 'prev.local', nameservers: ['1.1.1.1'] },
    };
    const merged = mergeChainedResult(prev, FULL);
    expect(merged.interfaces.map((i) => i.name)).toEqual(['dummy0', 'hnic01', 'eth0']);
    expect(merged.ips.map((ip) => ip.interface)).toEqual([0, 2, 2]);
    expect(merged.routes).toHaveLength(3);
    expect(merged.dns).toEqual(FULL.dns);
    expect(parseResult(toVersionedResult(merged, '1.0.0')).ips[1]?.interface).toBe(2);
  });

  it('keeps the previous DNS settings where ours has none', () => {
    const merged = mergeChainedResult({ interfaces: [], ips: [], routes: [], dns: { domain: 'prev.local' } }, { ...FULL, dns: {} });
    expect(merged.dns).toEqual({ domain: 'prev.local' });
  });
});

describe('CniError', () => {
  it('renders the spec error document with details only when there are some', () => {
    expect(new CniError(7, 'bad config').toJson('1.0.0')).toEqual({ cniVersion: '1.0.0', code: 7, msg: 'bad config' });
    expect(new CniError(11, 'later', 'why').toJson('0.4.0')).toEqual({ cniVersion: '0.4.0', code: 11, msg: 'later', details: 'why' });
    expect(new CniError(4, 'x').code).toBe('CNI_4');
  });
});
