import { describe, expect, it } from 'vitest';
import { allocateIp, dhcpRange, formatIpv4, inRange, parseCidr, parseIpv4, randomMac, rangeSize } from '../../../../src/qingcloud/sim/ip.js';
import { seededRandom } from '../../../../src/qingcloud/sim/rng.js';

describe('IPv4 helpers', () => {
  it('parses and formats dotted quads, rejecting malformed ones', () => {
    expect(formatIpv4(parseIpv4('192.168.10.254') ?? 0)).toBe('192.168.10.254');
    for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', 'a.b.c.d', '1.2.3.4.5', '']) expect(parseIpv4(bad), bad).toBeUndefined();
  });

  it('accepts only network-aligned CIDRs from /16 to /29', () => {
    expect(parseCidr('192.168.10.0/24')).toEqual({ base: parseIpv4('192.168.10.0'), prefix: 24 });
    for (const bad of ['192.168.10.1/24', '10.0.0.0/8', '10.0.0.0/30', '10.0.0.0', 'x/24']) expect(parseCidr(bad), bad).toBeUndefined();
  });

  it('gives a /24 the gateway .1 and the DHCP range .2-.254', () => {
    const range = dhcpRange(parseCidr('192.168.10.0/24') ?? { base: 0, prefix: 24 });
    expect(range).toEqual({ gateway: '192.168.10.1', start: '192.168.10.2', end: '192.168.10.254' });
    expect(rangeSize(range)).toBe(253);
    expect(inRange('192.168.10.1', range)).toBe(false);
    expect(inRange('192.168.10.255', range)).toBe(false);
    expect(inRange('192.168.10.2', range)).toBe(true);
  });

  it('allocates the lowest free address and nothing once the range is full', () => {
    const range = dhcpRange(parseCidr('10.0.0.0/29') ?? { base: 0, prefix: 29 });
    expect(allocateIp(range, new Set(['10.0.0.2', '10.0.0.4']))).toBe('10.0.0.3');
    expect(allocateIp(range, new Set(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']))).toBeUndefined();
  });

  it('makes unique 52:54 MACs, reproducibly from a seed', () => {
    const used = new Set<string>();
    for (let i = 0; i < 500; i++) used.add(randomMac(seededRandom(1), used));
    expect(used.size).toBe(500);
    for (const mac of used) expect(mac).toMatch(/^52:54(:[0-9a-f]{2}){4}$/);
    expect(randomMac(seededRandom(9), new Set())).toBe(randomMac(seededRandom(9), new Set()));
  });
});
