/**
 * The simulator's volume types as ONE data table: size range and step (GB) follow the CSI column of
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

const SAN_CLASSES = [0, 1, 3, 6, 7, 101, 201, 202, 203, 301, 1002, 1003];

/** Volume types the simulated zone offers. */
export const SIM_VOLUME_TYPES: readonly SimVolumeType[] = [
  { type: 0, name: 'high performance', minGB: 20, maxGB: 2000, stepGB: 10, instanceClasses: [0, 101] },
  { type: 2, name: 'high capacity', minGB: 20, maxGB: 5000, stepGB: 10, instanceClasses: [0, 1, 101, 201, 202, 301, 1002, 1003] },
  { type: 3, name: 'super high performance', minGB: 20, maxGB: 2000, stepGB: 10, instanceClasses: [1, 201, 202, 301] },
  { type: 5, name: 'NeonSAN', minGB: 20, maxGB: 24000, stepGB: 10, instanceClasses: SAN_CLASSES },
  { type: 6, name: 'NeonSAN HDD', minGB: 20, maxGB: 32000, stepGB: 10, instanceClasses: SAN_CLASSES },
  { type: 7, name: 'NeonSAN RDMA', minGB: 450, maxGB: 32000, stepGB: 10, instanceClasses: SAN_CLASSES },
  { type: 20, name: 'third-party storage', minGB: 10, maxGB: 200, stepGB: 10, instanceClasses: [101, 400, 401, 402, 403, 404, 405] },
  { type: 100, name: 'standard', minGB: 10, maxGB: 2000, stepGB: 10, instanceClasses: [0, 101] },
  { type: 200, name: 'SSD enterprise', minGB: 20, maxGB: 2000, stepGB: 10, instanceClasses: [1, 201, 202, 203, 301] },
];

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
