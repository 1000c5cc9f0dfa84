import { describe, expect, it } from 'vitest';
import { CsiUsageError, parseCsiArgs } from '../../../src/csi/cli.js';

describe('parseCsiArgs', () => {
  it('takes the endpoint from CSI_ENDPOINT and fills the documented defaults', () => {
    expect(parseCsiArgs([], { CSI_ENDPOINT: 'unix:///csi/csi.sock' })).toEqual({
      endpoint: 'unix:///csi/csi.sock',
      mode: 'all',
      configPath: '/etc/qingcloud/config.yaml',
      driverName: 'disk.csi.qingcloud.com',
      instanceIdFile: '/etc/qingcloud/instance-id',
      deviceDir: '/dev/disk/by-id',
      logLevel: 'info',
      allowUnverifiableDevices: false,
    });
  });

  it('reports every bad flag in one message', () => {
    try {
      parseCsiArgs(['--endpoint', 'tcp://x', '--mode', 'both', '--node-id', 'node-1', '--max-volumes-per-node', '0'], {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CsiUsageError);
      expect((err as CsiUsageError).problems).toHaveLength(4);
    }
  });

  it('rejects unknown flags', () => {
    expect(() => parseCsiArgs(['--endpoint', 'unix:///a.sock', '--nodeid', 'x'], {})).toThrow(/Unknown option/);
  });

  it('answers --help', () => {
    expect(parseCsiArgs(['--help'], {})).toBe('help');
  });
});
