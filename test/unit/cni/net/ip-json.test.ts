import { describe, expect, it } from 'vitest';
import { parseIpAddresses, parseIpLinks, parseIpRoutes } from '../../../../src/cni/net/ip-json.js';
import { isNetOpsError } from '../../../../src/cni/net/net-error.js';

// Captured from iproute2 6.1 (`ip -json -details link show` trimmed to the fields that matter, plus a few extras).
const LINKS = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, operstate: 'UNKNOWN', link_type: 'loopback', address: '00:00:00:00:00:00' },
  {
    ifindex: 3, link_index: 4, ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST'], mtu: 1500, operstate: 'DOWN', link_type: 'ether',
    address: '52:54:AA:bb:cc:01', link_netnsid: 0, linkinfo: { info_kind: 'veth' },
  },
  { ifindex: 5, ifname: 'tun0', flags: ['POINTOPOINT', 'UP'], link_type: 'none' },
  { ifindex: 6, ifname: 'br0', flags: ['BROADCAST', 'UP'], address: '4e:73:68:fc:ef:81', linkinfo: { info_kind: 'bridge', info_data: {} } },
]);

const ADDRS = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo' }] },
  {
    ifindex: 4, ifname: 'hn12345678', flags: ['UP'], addr_info: [
      { family: 'inet', local: '169.254.1.1', prefixlen: 32, scope: 'link', label: 'hn12345678' },
      { family: 'inet6', local: 'fe80::f097:38ff:fed1:ae16', prefixlen: 64, scope: 'link' },
    ],
  },
  { ifindex: 7, ifname: 'eth7', flags: ['BROADCAST'], addr_info: [] },
  { ifindex: 8, ifname: 'eth8', flags: ['BROADCAST'] },
]);

const ROUTES = JSON.stringify([
  { dst: 'default', gateway: '192.168.50.1', dev: 'eth0', flags: [] },
  { dst: '192.168.50.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '192.168.50.10', flags: [] },
  { dst: '10.96.0.0/12', gateway: '169.254.1.1', dev: 'hostnic-v', flags: [] },
  { dst: '169.254.1.1', dev: 'hostnic-v', scope: 'link', flags: [] },
]);

describe('parseIpLinks', () => {
  it('reads index, name, lower-case MAC, admin state and driver kind', () => {
    expect(parseIpLinks(LINKS)).toEqual([
      { index: 1, name: 'lo', mac: '00:00:00:00:00:00', up: true, kind: undefined },
      { index: 3, name: 'eth0', mac: '52:54:aa:bb:cc:01', up: false, kind: 'veth' },
      { index: 5, name: 'tun0', mac: undefined, up: true, kind: undefined },
      { index: 6, name: 'br0', mac: '4e:73:68:fc:ef:81', up: true, kind: 'bridge' },
    ]);
  });

  it('reads empty output as no links (iproute2 prints nothing for some empty listings)', () => {
    expect(parseIpLinks('')).toEqual([]);
    expect(parseIpLinks('[]\n')).toEqual([]);
  });

  it.each([
    ['not JSON', '{oops'],
    ['not an array', '{"ifindex":1}'],
    ['an entry without ifname', '[{"ifindex":1,"flags":[]}]'],
    ['an entry without flags', '[{"ifindex":1,"ifname":"lo"}]'],
    ['a non-integer index', '[{"ifindex":"1","ifname":"lo","flags":[]}]'],
  ])('throws Internal on %s, pointing at iproute2', (_what, stdout) => {
    let error: unknown;
    try {
      parseIpLinks(stdout);
    } catch (err) {
      error = err;
    }
    expect(isNetOpsError(error, 'Internal')).toBe(true);
    expect((error as Error).message).toMatch(/ip -json link show.*iproute2/);
  });
});

describe('parseIpAddresses', () => {
  it('lists IPv4 and IPv6 addresses per link, and none for links without addr_info', () => {
    expect(parseIpAddresses(ADDRS)).toEqual([
      { index: 1, name: 'lo', addresses: [{ family: 'inet', local: '127.0.0.1', prefix: 8, scope: 'host' }] },
      {
        index: 4,
        name: 'hn12345678',
        addresses: [
          { family: 'inet', local: '169.254.1.1', prefix: 32, scope: 'link' },
          { family: 'inet6', local: 'fe80::f097:38ff:fed1:ae16', prefix: 64, scope: 'link' },
        ],
      },
      { index: 7, name: 'eth7', addresses: [] },
      { index: 8, name: 'eth8', addresses: [] },
    ]);
  });
});

describe('parseIpRoutes', () => {
  it('normalises host routes to /32 and fills in the implicit global scope', () => {
    expect(parseIpRoutes(ROUTES)).toEqual([
      { dst: 'default', gateway: '192.168.50.1', dev: 'eth0', scope: 'global', prefsrc: undefined },
      { dst: '192.168.50.0/24', gateway: undefined, dev: 'eth0', scope: 'link', prefsrc: '192.168.50.10' },
      { dst: '10.96.0.0/12', gateway: '169.254.1.1', dev: 'hostnic-v', scope: 'global', prefsrc: undefined },
      { dst: '169.254.1.1/32', gateway: undefined, dev: 'hostnic-v', scope: 'link', prefsrc: undefined },
    ]);
  });

  it('throws Internal on a route without dst', () => {
    expect(() => parseIpRoutes('[{"dev":"eth0"}]')).toThrow(/ip -json route show/);
  });
});
