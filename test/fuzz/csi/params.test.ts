import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsiError } from '../../../src/csi/errors.js';
import { FS_TYPES, parseVolumeParams } from '../../../src/csi/params.js';
import { INSTANCE_CLASSES, VOLUME_TYPES } from '../../../src/qingcloud/volume-types.js';
import { fuzz, noNulString } from '../support/fuzz.js';

const catalog = { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES };
const KNOWN = ['type', 'fsType', 'replica', 'tags', 'minSize', 'maxSize', 'stepSize'];

/** A key: a known one in any letter case, a provisioner key, an object-prototype name, or anything. */
const key = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...KNOWN), fc.boolean()).map(([k, upper]) => (upper ? k.toUpperCase() : k)) },
  { weight: 1, arbitrary: fc.constantFrom('csi.storage.k8s.io/pvc/name', 'CSI.STORAGE.K8S.IO/pv/name', '__proto__', 'constructor', 'toString', 'hasOwnProperty') },
  { weight: 2, arbitrary: noNulString(20) },
);
const value = fc.oneof(
  fc.constantFrom('0', '2', '3', '5', '100', '1', '-1', '10', '20', '5000', '999999999', '1e3', ' 20 ', '0x10', 'ext4', 'XFS', 'btrfs', 'tag-abcd1234', 'tag-abcd1234, tag-zzzz0000', 'tag-x,,', ''),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.integer({ min: 0, max: 20_000 }).map((n) => '9'.repeat(n)),
);
const rawParams = fc.oneof(
  fc.dictionary(key, value, { maxKeys: 10 }),
  fc.integer({ min: 100, max: 5_000 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']))),
);

describe('StorageClass parameters (parseVolumeParams) under random maps', () => {
  it('yield VolumeParams that satisfy their invariants, or an INVALID_ARGUMENT CsiError naming the problems; nothing else', async () => {
    await fuzz(
      fc.property(rawParams, (raw) => {
        let result;
        try {
          result = parseVolumeParams(raw, catalog);
        } catch (err) {
          expect(err).toBeInstanceOf(CsiError);
          expect((err as CsiError).status).toBe('INVALID_ARGUMENT');
          expect((err as CsiError).message).toMatch(/^invalid StorageClass parameters: .+/);
          return;
        }
        expect(FS_TYPES as readonly string[]).toContain(result.fsType);
        expect([1, 2]).toContain(result.replica);
        if (result.type !== undefined) expect(VOLUME_TYPES.map((t) => t.type)).toContain(result.type);
        for (const tag of result.tags) expect(tag).toMatch(/^tag-[a-z0-9]{8}$/);
        expect(new Set(result.tags).size).toBe(result.tags.length);
        if (result.sizeRule !== undefined) {
          const { minGiB, maxGiB, stepGiB } = result.sizeRule;
          for (const n of [minGiB, maxGiB, stepGiB]) expect(Number.isSafeInteger(n) && n > 0).toBe(true);
          expect(minGiB).toBeLessThanOrEqual(maxGiB);
        }
        // Every key it accepted is a known parameter or a provisioner key: unknown keys are never ignored.
        for (const k of Object.keys(raw)) {
          const name = k.toLowerCase();
          expect(name.startsWith('csi.storage.k8s.io/') || KNOWN.map((x) => x.toLowerCase()).includes(name)).toBe(true);
        }
      }),
      600,
    );
  });
});
