import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DAEMON_CONFIG_DEFAULTS, DaemonConfigError, loadDaemonConfig, parseDaemonConfig } from '../../../../src/cni/daemon/config.js';

function problems(text: string): string[] {
  try {
    parseDaemonConfig(text);
  } catch (err) {
    expect(err).toBeInstanceOf(DaemonConfigError);
    return [...(err as DaemonConfigError).problems];
  }
  throw new Error('expected the config to be refused');
}

describe('parseDaemonConfig', () => {
  it('fills every default when only vxnets is given', () => {
    const c = parseDaemonConfig('vxnets: [vxnet-abc1]');
    expect(c).toEqual({
      qingcloudConfig: DAEMON_CONFIG_DEFAULTS.qingcloudConfig,
      instanceIdFile: DAEMON_CONFIG_DEFAULTS.instanceIdFile,
      vxnets: ['vxnet-abc1'],
      pool: { low: 3, high: 5, cooldownSeconds: 60 },
      maxPods: 60,
      socket: '/run/hostnic/hostnic.sock',
      stateDir: '/var/lib/hostnic',
      metricsAddress: undefined,
      serviceCIDR: '10.96.0.0/12',
      hostNetns: undefined,
      logLevel: 'info',
      orphanAgeSeconds: 600,
    });
  });

  it('parses the sample file shipped with the daemon', async () => {
    const text = await readFile(new URL('../../../../src/cni/daemon/hostnic.sample.yaml', import.meta.url), 'utf8');
    expect(parseDaemonConfig(text).vxnets).toEqual(['vxnet-abc12345']);
  });

  it('reads every key', () => {
    const c = parseDaemonConfig(
      'vxnets: [vxnet-a, vxnet-b]\npool: {low: 1, high: 2, cooldownSeconds: 5}\nmaxPods: 10\nmetricsAddress: 127.0.0.1:9273\nhostNetns: node1\nserviceCIDR: 10.100.0.0/16\nlogLevel: debug\nsocket: /tmp/x.sock\n',
    );
    expect(c).toMatchObject({ vxnets: ['vxnet-a', 'vxnet-b'], pool: { low: 1, high: 2, cooldownSeconds: 5 }, maxPods: 10, metricsAddress: { host: '127.0.0.1', port: 9273 }, hostNetns: 'node1', serviceCIDR: '10.100.0.0/16', logLevel: 'debug', socket: '/tmp/x.sock' });
  });

  it('lists every bad key in one error', () => {
    const p = problems('vxnets: []\nmaxPods: 0\npool: {low: 9, high: 2}\nsocket: relative.sock\nmetricsAddress: nowhere\nlogLevel: loud\nbogus: 1\n');
    expect(new Set(p.map((s) => s.split(':')[0]))).toEqual(new Set(['bogus', 'socket', 'vxnets', 'pool', 'maxPods', 'metricsAddress', 'logLevel']));
  });

  it('requires vxnets', () => {
    expect(problems('maxPods: 10')[0]).toContain('vxnets: required');
  });

  it('refuses maxPods plus the pool low mark above the 63 secondary NICs with the numbers to use', () => {
    const [p] = problems('vxnets: [vxnet-a]\nmaxPods: 61\npool: {low: 3, high: 5}');
    expect(p).toContain('lower maxPods to at most 60 or pool.low to at most 2');
    expect(parseDaemonConfig('vxnets: [vxnet-a]\nmaxPods: 63\npool: {low: 0, high: 5}').maxPods).toBe(63);
  });

  it('names the file it could not read', async () => {
    await expect(loadDaemonConfig('/nonexistent/hostnic.yaml', (p) => readFile(p, 'utf8'))).rejects.toThrow(/\/nonexistent\/hostnic.yaml could not be read/);
  });
});
