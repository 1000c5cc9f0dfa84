/**
 * What the CSI services know about volume types and instance classes. It is data handed in by the composition root
 * (main.ts passes the SDK's table), so services never import the SDK and operators can override it.
 */
export interface VolumeTypeRule {
  readonly type: number;
  readonly name: string;
  readonly minSizeGiB: number;
  readonly maxSizeGiB: number;
  readonly stepGiB: number;
  readonly instanceClasses: readonly number[];
}

/** An instance class, its topology name and the volume type it prefers. */
export interface InstanceClassRule {
  readonly instanceClass: number;
  readonly name: string;
  readonly preferredVolumeType: number;
}

/** The two tables together. */
export interface VolumeCatalog {
  readonly volumeTypes: readonly VolumeTypeRule[];
  readonly instanceClasses: readonly InstanceClassRule[];
}

/** The rule of a volume type, or undefined. */
export function findVolumeType(catalog: VolumeCatalog, type: number): VolumeTypeRule | undefined {
  return catalog.volumeTypes.find((t) => t.type === type);
}

/** The instance class with this topology name (case-insensitive), or undefined. */
export function findInstanceClassByName(catalog: VolumeCatalog, name: string): InstanceClassRule | undefined {
  const wanted = name.toLowerCase();
  return catalog.instanceClasses.find((c) => c.name.toLowerCase() === wanted);
}

/** The instance class with this number, or undefined. */
export function findInstanceClass(catalog: VolumeCatalog, instanceClass: number): InstanceClassRule | undefined {
  return catalog.instanceClasses.find((c) => c.instanceClass === instanceClass);
}
