import { describe, expect, it } from 'vitest';
import { CNI_ERROR } from '../../../../src/cni/types.js';
import { decodeConfigText, parseConfig } from '../../../../src/cni/plugin/config.js';

const BASE = { cniVersion: '1.1.0', name: 'hostnic', type: 'hostnic' };

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { cniCode?: number }).cniCode;
  }
  return undefined;
}

describe('decodeConfigText', () => {
  it('rejects text that is not JSON, and JSON that is not an object, with code 6', () => {
    expect(codeOf(() => decodeConfigText('{'))).toBe(CNI_ERROR.DecodingFailure);
    expect(codeOf(() => decodeConfigText(''))).toBe(CNI_ERROR.DecodingFailure);
    expect(codeOf(() => decodeConfigText('[1]'))).toBe(CNI_ERROR.DecodingFailure);
  });
});

describe('parseConfig', () => {
  it('fills in the default daemon socket and reads the hostnic keys', () => {
    expect(parseConfig(BASE, 'ADD')).toEqual({ ...BASE, socketPath: '/run/hostnic/hostnic.sock', debug: false });
    const c = parseConfig({ ...BASE, socket: '/tmp/h.sock', serviceCIDR: '10.96.0.0/12', debug: true, runtimeConfig: { portMappings: [] }, somethingElse: 1 }, 'ADD');
    expect(c).toMatchObject({ socketPath: '/tmp/h.sock', serviceCIDR: '10.96.0.0/12', debug: true, runtimeConfig: { portMappings: [] } });
  });

  it.each([
    ['a missing name', { name: undefined }],
    ['a name with a slash', { name: 'a/b' }],
    ['a type with a path', { type: '../hostnic' }],
    ['a relative socket path', { socket: 'run/h.sock' }],
    ['a socket path too long for sun_path', { socket: `/${'x'.repeat(107)}` }],
    ['a serviceCIDR without prefix', { serviceCIDR: '10.96.0.0' }],
    ['a non-boolean debug', { debug: 'yes' }],
    ['a runtimeConfig that is not an object', { runtimeConfig: [] }],
  ])('rejects %s with code 7 naming the key', (_what, patch) => {
    expect(codeOf(() => parseConfig({ ...BASE, ...patch }, 'ADD'))).toBe(CNI_ERROR.InvalidNetworkConfig);
  });

  it('rejects an ipam section with code 2 naming the field: hostnic assigns addresses itself', () => {
    expect(() => parseConfig({ ...BASE, ipam: { type: 'host-local' } }, 'ADD')).toThrow(expect.objectContaining({ cniCode: CNI_ERROR.UnsupportedField, message: expect.stringContaining('"ipam"') }));
  });

  it.each([
    ['CHECK', '0.3.1'],
    ['STATUS', '1.0.0'],
    ['GC', '0.4.0'],
  ] as const)('refuses %s in config version %s with code 1', (verb, version) => {
    expect(codeOf(() => parseConfig({ ...BASE, cniVersion: version, 'cni.dev/valid-attachments': [] }, verb))).toBe(CNI_ERROR.IncompatibleVersion);
  });

  it('reads the GC attachments from cni.dev/valid-attachments or the older cni.dev/attachments key', () => {
    const list = [{ containerID: 'c1', ifname: 'eth0' }];
    expect(parseConfig({ ...BASE, 'cni.dev/valid-attachments': list }, 'GC').validAttachments).toEqual([{ containerId: 'c1', ifName: 'eth0' }]);
    expect(parseConfig({ ...BASE, 'cni.dev/attachments': list }, 'GC').validAttachments).toEqual([{ containerId: 'c1', ifName: 'eth0' }]);
  });

  it('refuses GC without a list of valid attachments rather than treating every attachment as stale', () => {
    expect(() => parseConfig(BASE, 'GC')).toThrow(/refusing to collect/);
    expect(codeOf(() => parseConfig({ ...BASE, 'cni.dev/valid-attachments': [{ containerID: 'c/1', ifname: 'eth0' }] }, 'GC'))).toBe(CNI_ERROR.InvalidNetworkConfig);
  });
});
