import { describe, expect, it } from 'vitest';
import { parseVolumeParams, sizeRuleFor } from '../../../src/csi/params.js';
import { INSTANCE_CLASSES, VOLUME_TYPES } from '../../../src/qingcloud/volume-types.js';

const catalog = { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES };

describe('parseVolumeParams', () => {
  it('defaults to ext4, two replicas, no tags and no explicit type', () => {
    expect(parseVolumeParams({}, catalog)).toEqual({ fsType: 'ext4', replica: 2, tags: [] });
  });

  it('matches keys case-insensitively, as QingCloud\'s driver does', () => {
    const p = parseVolumeParams({ Type: '2', FSTYPE: 'xfs', Replica: '1', TAGS: 'tag-abcd1234, tag-abcd1234' }, catalog);
    expect(p).toEqual({ type: 2, fsType: 'xfs', replica: 1, tags: ['tag-abcd1234'] });
  });

  it('ignores the keys the external-provisioner adds', () => {
    expect(parseVolumeParams({ 'csi.storage.k8s.io/pvc/name': 'data', 'csi.storage.k8s.io/pv/name': 'pvc-1' }, catalog).fsType).toBe('ext4');
  });

  it('reports every bad key in one INVALID_ARGUMENT message', () => {
    let message = '';
    try {
      parseVolumeParams({ type: '9', fsType: 'btrfs', replica: '3', tags: 'abc', sise: '1' }, catalog);
    } catch (err) {
      expect((err as { status: string }).status).toBe('INVALID_ARGUMENT');
      message = (err as Error).message;
    }
    for (const part of ['type "9"', 'fsType "btrfs"', 'replica "3"', 'bad: abc', 'unknown parameter "sise"']) expect(message).toContain(part);
  });

  it('applies the legacy size rule only when all three sizes are set', () => {
    expect(parseVolumeParams({ minSize: '100', maxSize: '500' }, catalog).sizeRule).toBeUndefined();
    const p = parseVolumeParams({ minSize: '100', maxSize: '500', stepSize: '50' }, catalog);
    expect(p.sizeRule).toEqual({ minGiB: 100, maxGiB: 500, stepGiB: 50 });
    expect(sizeRuleFor(p, { minGiB: 20, maxGiB: 2000, stepGiB: 10 })).toEqual({ minGiB: 100, maxGiB: 500, stepGiB: 50 });
  });

  it('uses the type\'s own rule when the class has no legacy rule', () => {
    expect(sizeRuleFor(parseVolumeParams({}, catalog), { minGiB: 20, maxGiB: 2000, stepGiB: 10 })).toEqual({ minGiB: 20, maxGiB: 2000, stepGiB: 10 });
  });
});
