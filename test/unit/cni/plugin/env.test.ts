import { describe, expect, it } from 'vitest';
import { CNI_ERROR } from '../../../../src/cni/types.js';
import { parseAttachmentEnv, parseCniArgs, parseCommand } from '../../../../src/cni/plugin/env.js';

const FULL_ENV = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'abc123', CNI_NETNS: '/var/run/netns/pod1', CNI_IFNAME: 'eth0', CNI_ARGS: '', CNI_PATH: '/opt/cni/bin' };

describe('parseCommand', () => {
  it('returns undefined when CNI_COMMAND is unset or empty', () => {
    expect(parseCommand({})).toBeUndefined();
    expect(parseCommand({ CNI_COMMAND: '' })).toBeUndefined();
  });

  it('rejects an unknown verb with code 4 naming the variable', () => {
    expect(() => parseCommand({ CNI_COMMAND: 'add' })).toThrow(expect.objectContaining({ cniCode: CNI_ERROR.InvalidEnvironment, message: expect.stringContaining('CNI_COMMAND "add"') }));
  });
});

describe('parseCniArgs', () => {
  it('splits the Kubernetes runtime args on ; and the first =', () => {
    expect(parseCniArgs('IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u-1;X=a=b')).toEqual({
      IgnoreUnknown: '1',
      K8S_POD_NAMESPACE: 'default',
      K8S_POD_NAME: 'web-0',
      K8S_POD_INFRA_CONTAINER_ID: 'abc',
      K8S_POD_UID: 'u-1',
      X: 'a=b',
    });
  });

  it('tolerates an empty string and empty pairs', () => {
    expect(parseCniArgs('')).toEqual({});
    expect(parseCniArgs(';A=1;;')).toEqual({ A: '1' });
  });

  it('rejects a pair without KEY=VALUE with code 4', () => {
    expect(() => parseCniArgs('A=1;junk')).toThrow(expect.objectContaining({ cniCode: CNI_ERROR.InvalidEnvironment, message: expect.stringContaining('"junk"') }));
  });
});

describe('parseAttachmentEnv', () => {
  it('reads the attachment and its pod args', () => {
    expect(parseAttachmentEnv({ ...FULL_ENV, CNI_ARGS: 'K8S_POD_NAME=p' }, 'ADD')).toEqual({ containerId: 'abc123', netns: '/var/run/netns/pod1', ifName: 'eth0', args: { K8S_POD_NAME: 'p' } });
  });

  it('names every missing variable in one code-4 error', () => {
    const err = (() => {
      try {
        parseAttachmentEnv({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: '' }, 'ADD');
      } catch (e) {
        return e as { cniCode: number; message: string };
      }
      throw new Error('expected a failure');
    })();
    expect(err.cniCode).toBe(CNI_ERROR.InvalidEnvironment);
    expect(err.message).toContain('missing CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME');
  });

  it('lets DEL run without a netns (the runtime may have removed it) but not ADD or CHECK', () => {
    const env = { ...FULL_ENV, CNI_NETNS: '' };
    expect(parseAttachmentEnv(env, 'DEL').netns).toBe('');
    expect(() => parseAttachmentEnv(env, 'ADD')).toThrow(/missing CNI_NETNS/);
    expect(() => parseAttachmentEnv(env, 'CHECK')).toThrow(/missing CNI_NETNS/);
  });

  it.each([
    ['a container id with a slash', { CNI_CONTAINERID: '../etc' }, /invalid CNI_CONTAINERID/],
    ['a relative netns path', { CNI_NETNS: 'netns/pod1' }, /invalid CNI_NETNS/],
    ['an interface name longer than 15 bytes', { CNI_IFNAME: 'eth0123456789012' }, /invalid CNI_IFNAME/],
    ['an interface name with a colon', { CNI_IFNAME: 'eth0:1' }, /invalid CNI_IFNAME/],
  ])('rejects %s with code 4', (_what, patch, message) => {
    expect(() => parseAttachmentEnv({ ...FULL_ENV, ...patch }, 'ADD')).toThrow(message);
  });
});
