import { describe, expect, it } from 'vitest';
import { canAttach, roundUpSize, SIM_VOLUME_TYPES, simVolumeType, volumeSizeProblem } from '../../../../src/qingcloud/sim/volume-limits.js';

const row = (type: number) => {
  const r = simVolumeType(type);
  if (!r) throw new Error(`no type ${type}`);
  return r;
};

describe('volume type table', () => {
  it('follows the CSI column of the size table', () => {
    const summary = Object.fromEntries(SIM_VOLUME_TYPES.map((t) => [t.type, [t.minGB, t.maxGB, t.stepGB]]));
    expect(summary).toEqual({
      0: [20, 2000, 10],
      2: [20, 5000, 10],
      3: [20, 2000, 10],
      5: [20, 24000, 10],
      6: [20, 32000, 10],
      7: [450, 32000, 10],
      20: [10, 200, 10],
      100: [10, 2000, 10],
      200: [20, 2000, 10],
    });
    expect(simVolumeType(1)).toBeUndefined();
  });

  it('checks range and step, and rounds up to the minimum and the step', () => {
    expect(volumeSizeProblem(row(0), 20)).toBeUndefined();
    expect(volumeSizeProblem(row(0), 10)).toContain('outside 20-2000');
    expect(volumeSizeProblem(row(0), 25)).toContain('multiple of 10');
    expect(volumeSizeProblem(row(7), 440)).toContain('outside');
    expect(roundUpSize(row(0), 3)).toBe(20);
    expect(roundUpSize(row(0), 21)).toBe(30);
  });

  it('follows the attach matrix by instance class', () => {
    expect(canAttach(row(0), 0)).toBe(true);
    expect(canAttach(row(0), 201)).toBe(false);
    expect(canAttach(row(3), 1)).toBe(true);
    expect(canAttach(row(200), 201)).toBe(true);
    expect(canAttach(row(200), 101)).toBe(false);
    expect(canAttach(row(100), 101)).toBe(true);
    expect(canAttach(row(2), 201)).toBe(true);
  });
});
