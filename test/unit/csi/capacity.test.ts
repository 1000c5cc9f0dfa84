import { describe, expect, it } from 'vitest';
import { GiB, resolveSizeGiB, roundUpToStep, sizeFitsRange } from '../../../src/csi/capacity.js';
import { CsiError } from '../../../src/csi/errors.js';

const performance = { minGiB: 20, maxGiB: 2000, stepGiB: 10 };

function statusOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as CsiError).status;
  }
  return undefined;
}

describe('resolveSizeGiB', () => {
  it('uses the type minimum when no capacity is requested', () => {
    expect(resolveSizeGiB(undefined, performance, 'type 0')).toBe(20);
    expect(resolveSizeGiB({ requiredBytes: 0, limitBytes: 0 }, performance, 'type 0')).toBe(20);
  });

  it('rounds a request up to the step', () => {
    expect(resolveSizeGiB({ requiredBytes: 21 * GiB, limitBytes: 0 }, performance, 'type 0')).toBe(30);
    expect(resolveSizeGiB({ requiredBytes: 30 * GiB + 1, limitBytes: 0 }, performance, 'type 0')).toBe(40);
  });

  it('honours an exact request that is already on a step', () => {
    expect(resolveSizeGiB({ requiredBytes: 50 * GiB, limitBytes: 50 * GiB }, performance, 'type 0')).toBe(50);
  });

  it('answers OUT_OF_RANGE instead of clamping a request above the maximum', () => {
    expect(statusOf(() => resolveSizeGiB({ requiredBytes: 3000 * GiB, limitBytes: 0 }, performance, 'type 0'))).toBe('OUT_OF_RANGE');
  });

  it('answers OUT_OF_RANGE when the limit leaves no step-aligned size', () => {
    expect(statusOf(() => resolveSizeGiB({ requiredBytes: 21 * GiB, limitBytes: 25 * GiB }, performance, 'type 0'))).toBe('OUT_OF_RANGE');
    expect(statusOf(() => resolveSizeGiB({ requiredBytes: 0, limitBytes: 10 * GiB }, performance, 'type 0'))).toBe('OUT_OF_RANGE');
  });

  it('rejects negative and inverted ranges as INVALID_ARGUMENT', () => {
    expect(statusOf(() => resolveSizeGiB({ requiredBytes: -1, limitBytes: 0 }, performance, 'x'))).toBe('INVALID_ARGUMENT');
    expect(statusOf(() => resolveSizeGiB({ requiredBytes: 40 * GiB, limitBytes: 30 * GiB }, performance, 'x'))).toBe('INVALID_ARGUMENT');
  });

  it('says in the message which sizes the type takes', () => {
    expect(() => resolveSizeGiB({ requiredBytes: 3000 * GiB, limitBytes: 0 }, performance, 'volume type 0')).toThrow(/from 20 to 2000 GiB in steps of 10 GiB/);
  });
});

describe('roundUpToStep and sizeFitsRange', () => {
  it('rounds to multiples of the step', () => {
    expect(roundUpToStep(41, 50)).toBe(50);
    expect(roundUpToStep(7, 0)).toBe(7);
  });

  it('checks an existing size against a range', () => {
    expect(sizeFitsRange(20, { requiredBytes: 20 * GiB, limitBytes: 0 })).toBe(true);
    expect(sizeFitsRange(20, { requiredBytes: 21 * GiB, limitBytes: 0 })).toBe(false);
    expect(sizeFitsRange(30, { requiredBytes: 0, limitBytes: 20 * GiB })).toBe(false);
    expect(sizeFitsRange(30, undefined)).toBe(true);
  });
});
