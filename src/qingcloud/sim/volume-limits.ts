import { VOLUME_TYPES } from '../volume-types.js';

/**
 * The simulator's volume types, from the SDK's one table: size range and step (GB) follow the CSI column of
 * qingcloud-api.md §6.2, the attach matrix by instance_class follows §6.3 (qingcloud-csi types.go).
 * The live cloud differs by zone (GetResourceLimit is authoritative there); this is the simulated zone's truth.
 */
export interface SimVolumeType {
  readonly type: number;
  readonly name: string;
  readonly minGB: number;
  readonly maxGB: number;
  readonly stepGB: number;
  /** instance_class values that may attach this type. */
  readonly instanceClasses: readonly number[];
}

/** Volume types the simulated zone offers: the SDK's one table (src/qingcloud/volume-types.ts), in GB. */
export const SIM_VOLUME_TYPES: readonly SimVolumeType[] = VOLUME_TYPES.map((t) => ({
  type: t.type,
  name: t.name,
  minGB: t.minSizeGiB,
  maxGB: t.maxSizeGiB,
  stepGB: t.stepGiB,
  instanceClasses: t.instanceClasses,
}));

/** The row for `type`, or undefined when the zone does not offer it. */
export function simVolumeType(type: number): SimVolumeType | undefined {
  return SIM_VOLUME_TYPES.find((t) => t.type === type);
}

/** Why `sizeGB` is not a valid size for `type`, or undefined when it is. */
export function volumeSizeProblem(type: SimVolumeType, sizeGB: number): string | undefined {
  if (sizeGB < type.minGB || sizeGB > type.maxGB) {
    return `size ${sizeGB} GB is outside ${type.minGB}-${type.maxGB} GB for volume_type ${type.type} (${type.name})`;
  }
  if (sizeGB % type.stepGB !== 0) {
    return `size ${sizeGB} GB is not a multiple of ${type.stepGB} GB for volume_type ${type.type} (${type.name})`;
  }
  return undefined;
}

/** Rounds a too-small size up to the type's minimum (CreateVolumes `round_up=1`), then up to the step. */
export function roundUpSize(type: SimVolumeType, sizeGB: number): number {
  const atLeastMin = Math.max(sizeGB, type.minGB);
  return Math.ceil(atLeastMin / type.stepGB) * type.stepGB;
}

/** True when an instance of `instanceClass` may attach a volume of `type`. */
export function canAttach(type: SimVolumeType, instanceClass: number): boolean {
  return type.instanceClasses.includes(instanceClass);
}
