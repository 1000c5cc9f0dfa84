import { describe, expect, it } from 'vitest';
import {
  SimEffectsError,
  bridgeName,
  gatewayAddress,
  instanceLinkName,
  instanceLinkPattern,
  validInstanceId,
  validLoopDevice,
  validNamePrefix,
  validNetnsName,
  validNicMac,
  validSnapshotId,
  validVolumeId,
  validVxnetId,
  volumeBytes,
  vpcLinkName,
  vpcNetnsName,
} from '../../../../src/qingcloud/sim/real-effects-names.js';

function invalidArgument(fn: () => unknown): SimEffectsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SimEffectsError);
    expect((err as SimEffectsError).code).toBe('SIM_EFFECTS_INVALID_ARGUMENT');
    return err as SimEffectsError;
  }
  throw new Error('expected SIM_EFFECTS_INVALID_ARGUMENT');
}

describe('id validation', () => {
  it('accepts ids exactly as the simulator issues them', () => {
    expect(validVolumeId('vol-abc12345')).toBe('vol-abc12345');
    expect(validSnapshotId('ss-abc12345')).toBe('ss-abc12345');
    expect(validInstanceId('i-abc12345')).toBe('i-abc12345');
    expect(validVxnetId('vxnet-0')).toBe('vxnet-0');
    expect(validNetnsName('cni-1234_a.b')).toBe('cni-1234_a.b');
    expect(validNamePrefix('ab12')).toBe('ab12');
    expect(validLoopDevice('/dev/loop12')).toBe('/dev/loop12');
  });

  it.each([
    ['volume', () => validVolumeId('vol-../../x')],
    ['volume too short', () => validVolumeId('vol-abc')],
    ['volume upper case', () => validVolumeId('vol-ABC12345')],
    ['snapshot', () => validSnapshotId('ss-abc/2345')],
    ['instance', () => validInstanceId('i-abc12345 ')],
    ['vxnet', () => validVxnetId('vxnet-a;b')],
    ['netns with slash', () => validNetnsName('../etc')],
    ['netns dot-dot', () => validNetnsName('..')],
    ['prefix too long', () => validNamePrefix('abcdefg')],
    ['prefix with dash', () => validNamePrefix('a-b')],
    ['loop device', () => validLoopDevice('/dev/sda')],
  ])('rejects a malformed %s before it reaches a path or a name', (_what, fn) => {
    invalidArgument(fn);
  });

  it('lower-cases a NIC MAC and rejects one outside 52:54:…', () => {
    expect(validNicMac('52:54:9E:D0:DD:96')).toBe('52:54:9e:d0:dd:96');
    invalidArgument(() => validNicMac('02:54:9e:d0:dd:96'));
    invalidArgument(() => validNicMac('52:54:9e:d0:dd'));
  });

  it('says what was wrong and what to pass in the message', () => {
    expect(invalidArgument(() => validVolumeId('vol-x')).message).toMatch(/invalid volume id "vol-x": expected vol-\[a-z0-9\]\{8\}/);
  });

  it('sizes volumes in GiB and refuses sizes that are not positive integers', () => {
    expect(volumeBytes(2)).toBe(2 * 1024 ** 3);
    invalidArgument(() => volumeBytes(0));
    invalidArgument(() => volumeBytes(1.5));
    invalidArgument(() => volumeBytes(Number.NaN));
  });
});

describe('name derivation', () => {
  it('names the VPC namespace after the prefix', () => {
    expect(vpcNetnsName('ab12')).toBe('ab12-vpc');
  });

  it('derives both veth ends from the prefix and the last four MAC bytes, within 15 characters', () => {
    expect(instanceLinkName('abcdef', '52:54:9e:d0:dd:96')).toBe('abcdefn9ed0dd96');
    expect(instanceLinkName('abcdef', '52:54:9e:d0:dd:96').length).toBeLessThanOrEqual(15);
    expect(vpcLinkName('52:54:9e:d0:dd:96')).toBe('v9ed0dd96');
  });

  it('matches only the instance links of its own prefix, not those of a longer prefix starting alike', () => {
    const pattern = instanceLinkPattern('ab');
    expect(pattern.test(instanceLinkName('ab', '52:54:01:02:03:04'))).toBe(true);
    expect(pattern.test(instanceLinkName('abn123', '52:54:01:02:03:04'))).toBe(false);
    expect(pattern.test('eth0')).toBe(false);
  });

  it('names a bridge after the vxnet id tail, hashing tails too long for 15 characters', () => {
    expect(bridgeName('vxnet-abc1234')).toBe('br-abc1234');
    const long = bridgeName('vxnet-abcdefghijklmnop');
    expect(long).toMatch(/^br-[0-9a-f]{12}$/);
    expect(bridgeName('vxnet-abcdefghijklmnop')).toBe(long);
    expect(bridgeName('vxnet-abcdefghijklmnoq')).not.toBe(long);
  });

  it('gives the gateway the vxnet prefix length and refuses a gateway outside the CIDR', () => {
    expect(gatewayAddress('vxnet-a', '192.168.10.0/24', '192.168.10.1')).toBe('192.168.10.1/24');
    invalidArgument(() => gatewayAddress('vxnet-a', '192.168.10.0/24', '192.168.11.1'));
    invalidArgument(() => gatewayAddress('vxnet-a', '192.168.10.0', '192.168.10.1'));
    invalidArgument(() => gatewayAddress('vxnet-a', '192.168.10.0/24', '192.168.10.256'));
    invalidArgument(() => gatewayAddress('vxnet-a', '192.168.10.0/24', '192.168.10.1 dev eth0'));
  });
});
