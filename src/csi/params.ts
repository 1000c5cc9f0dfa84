import { findVolumeType, type VolumeCatalog } from './catalog.js';
import type { SizeRule } from './capacity.js';
import { CsiError } from './errors.js';

/** File systems the node plugin can create. */
export const FS_TYPES = ['ext4', 'ext3', 'xfs'] as const;
export type FsType = (typeof FS_TYPES)[number];

/** A StorageClass's parameters after validation. */
export interface VolumeParams {
  /** Explicit volume type; undefined = choose from the node's instance class. */
  type?: number;
  fsType: FsType;
  /** 1 = single copy, 2 = multiple copies (QingCloud's default). */
  replica: 1 | 2;
  /** QingCloud tag ids attached to every volume of this class. */
  tags: string[];
  /** Legacy per-class size rule: used only when minSize, maxSize and stepSize are all given. */
  sizeRule?: SizeRule;
}

/** Parameters the external-provisioner adds with --extra-create-metadata; accepted and ignored. */
const PROVISIONER_PREFIX = 'csi.storage.k8s.io/';
const TAG_ID = /^tag-[a-z0-9]{8}$/;

/**
 * Validates StorageClass parameters (keys case-insensitive, as QingCloud's driver matches them). Every problem is
 * reported at once, so an operator fixes the class in one edit. Unknown keys are errors: a typo must not be ignored.
 */
export function parseVolumeParams(raw: Readonly<Record<string, string>>, catalog: VolumeCatalog): VolumeParams {
  const problems: string[] = [];
  const result: VolumeParams = { fsType: 'ext4', replica: 2, tags: [] };
  const legacy: Partial<Record<'minsize' | 'maxsize' | 'stepsize', number>> = {};

  for (const [key, value] of Object.entries(raw)) {
    const name = key.toLowerCase();
    if (name.startsWith(PROVISIONER_PREFIX)) continue;
    switch (name) {
      case 'type': {
        const type = parseNonNegativeInt(value);
        if (type === undefined || findVolumeType(catalog, type) === undefined) {
          const known = catalog.volumeTypes.map((t) => `${t.type} (${t.name})`).join(', ');
          problems.push(`type "${value}" is not a known volume type; use one of ${known}`);
        } else result.type = type;
        break;
      }
      case 'fstype': {
        const fs = value.toLowerCase();
        if ((FS_TYPES as readonly string[]).includes(fs)) result.fsType = fs as FsType;
        else problems.push(`fsType "${value}" is not supported; use ${FS_TYPES.join(', ')}`);
        break;
      }
      case 'replica': {
        if (value === '1' || value === '2') result.replica = value === '1' ? 1 : 2;
        else problems.push(`replica "${value}" must be 1 (single copy) or 2 (multiple copies)`);
        break;
      }
      case 'tags': {
        const ids = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
        const bad = ids.filter((id) => !TAG_ID.test(id));
        if (bad.length > 0) problems.push(`tags must be comma-separated QingCloud tag ids like tag-abcd1234; bad: ${bad.join(', ')}`);
        else result.tags = [...new Set(ids)];
        break;
      }
      case 'minsize':
      case 'maxsize':
      case 'stepsize': {
        const n = parseNonNegativeInt(value);
        if (n === undefined) problems.push(`${key} "${value}" must be a whole number of GiB`);
        else legacy[name] = n;
        break;
      }
      default:
        problems.push(`unknown parameter "${key}"; accepted: type, fsType, replica, tags, minSize, maxSize, stepSize`);
    }
  }

  const { minsize, maxsize, stepsize } = legacy;
  if (minsize !== undefined && maxsize !== undefined && stepsize !== undefined && minsize > 0 && maxsize > 0 && stepsize > 0) {
    if (minsize > maxsize) problems.push(`minSize ${minsize} is larger than maxSize ${maxsize}`);
    else result.sizeRule = { minGiB: minsize, maxGiB: maxsize, stepGiB: stepsize };
  }
  if (problems.length > 0) throw new CsiError('INVALID_ARGUMENT', `invalid StorageClass parameters: ${problems.join('; ')}`);
  return result;
}

/** The size rule for a volume: the type's own range, narrowed by the class's legacy rule when it has one. */
export function sizeRuleFor(params: VolumeParams, typeRule: SizeRule): SizeRule {
  const legacy = params.sizeRule;
  if (legacy === undefined) return typeRule;
  return {
    minGiB: Math.max(legacy.minGiB, typeRule.minGiB),
    maxGiB: Math.min(legacy.maxGiB, typeRule.maxGiB),
    stepGiB: lcm(legacy.stepGiB, typeRule.stepGiB),
  };
}

function parseNonNegativeInt(value: string): number | undefined {
  if (!/^\d{1,9}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a * b) / gcd(a, b);
}
