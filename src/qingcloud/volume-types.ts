/**
 * QingCloud block volume types as data: size range and step (GiB) and which instance classes may attach each.
 * Sizes follow qingcloud-csi's table (qingcloud-api.md §6.2, CSI column); the attach matrix follows the CSI driver's
 * code (§6.3). Limits differ by zone and change over time, so callers may pass their own table.
 */
export interface VolumeTypeInfo {
  readonly type: number;
  readonly name: string;
  readonly minSizeGiB: number;
  readonly maxSizeGiB: number;
  readonly stepGiB: number;
  /** instance_class values whose instances may attach this type. */
  readonly instanceClasses: readonly number[];
}

/** Instance classes, by number, with the names used in topology labels and the volume type they prefer. */
export interface InstanceClassInfo {
  readonly instanceClass: number;
  readonly name: string;
  /** The volume type used when a StorageClass names none. */
  readonly preferredVolumeType: number;
}

const NEONSAN_CLASSES = [0, 1, 3, 6, 7, 101, 201, 202, 203, 301, 1002, 1003];
const TPSC_CLASSES = [400, 401, 402, 403, 404, 405];

/** The default volume type table. */
export const VOLUME_TYPES: readonly VolumeTypeInfo[] = [
  { type: 0, name: 'HighPerformance', minSizeGiB: 20, maxSizeGiB: 2000, stepGiB: 10, instanceClasses: [0, 101] },
  { type: 2, name: 'HighCapacity', minSizeGiB: 20, maxSizeGiB: 5000, stepGiB: 10, instanceClasses: [0, 1, 101, 201, 202, 301, 1002, 1003] },
  { type: 3, name: 'SuperHighPerformance', minSizeGiB: 20, maxSizeGiB: 2000, stepGiB: 10, instanceClasses: [1, 201, 202, 301] },
  { type: 5, name: 'NeonSAN', minSizeGiB: 20, maxSizeGiB: 24000, stepGiB: 10, instanceClasses: NEONSAN_CLASSES },
  { type: 6, name: 'NeonSANHDD', minSizeGiB: 20, maxSizeGiB: 32000, stepGiB: 10, instanceClasses: NEONSAN_CLASSES },
  { type: 7, name: 'NeonSANRDMA', minSizeGiB: 450, maxSizeGiB: 32000, stepGiB: 10, instanceClasses: NEONSAN_CLASSES },
  { type: 20, name: 'ThirdPartyStorage', minSizeGiB: 10, maxSizeGiB: 200, stepGiB: 10, instanceClasses: [101, ...TPSC_CLASSES] },
  { type: 100, name: 'Standard', minSizeGiB: 10, maxSizeGiB: 2000, stepGiB: 10, instanceClasses: [0, 101] },
  { type: 200, name: 'SSDEnterprise', minSizeGiB: 20, maxSizeGiB: 2000, stepGiB: 10, instanceClasses: [1, 201, 202, 203, 301] },
];

/** The default instance class table (qingcloud-anchors.md A.8). */
export const INSTANCE_CLASSES: readonly InstanceClassInfo[] = [
  { instanceClass: 0, name: 'HighPerformance', preferredVolumeType: 0 },
  { instanceClass: 1, name: 'SuperHighPerformance', preferredVolumeType: 3 },
  { instanceClass: 3, name: 'SAN', preferredVolumeType: 5 },
  { instanceClass: 6, name: 'SuperHighPerformanceSAN', preferredVolumeType: 5 },
  { instanceClass: 7, name: 'HighPerformanceSAN', preferredVolumeType: 7 },
  { instanceClass: 101, name: 'Standard', preferredVolumeType: 100 },
  { instanceClass: 201, name: 'Enterprise1', preferredVolumeType: 200 },
  { instanceClass: 202, name: 'Enterprise2', preferredVolumeType: 200 },
  { instanceClass: 203, name: 'EnterpriseCompute3', preferredVolumeType: 200 },
  { instanceClass: 301, name: 'Premium', preferredVolumeType: 200 },
  ...TPSC_CLASSES.map((instanceClass, i) => ({ instanceClass, name: `TPSC${i + 1}`, preferredVolumeType: 20 })),
  { instanceClass: 1002, name: 'AmdFireProS7150', preferredVolumeType: 6 },
  { instanceClass: 1003, name: 'NvidiaAmpereG3', preferredVolumeType: 6 },
];

/** Looks up a volume type; undefined when the table does not know it. */
export function volumeTypeInfo(type: number, table: readonly VolumeTypeInfo[] = VOLUME_TYPES): VolumeTypeInfo | undefined {
  return table.find((t) => t.type === type);
}

/** Looks up an instance class; undefined when the table does not know it. */
export function instanceClassInfo(
  instanceClass: number,
  table: readonly InstanceClassInfo[] = INSTANCE_CLASSES,
): InstanceClassInfo | undefined {
  return table.find((c) => c.instanceClass === instanceClass);
}
