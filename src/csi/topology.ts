import { findInstanceClass, findInstanceClassByName, findVolumeType, type VolumeCatalog } from './catalog.js';
import { CsiError } from './errors.js';

/** Topology segments as CSI carries them: key → value. */
export type Segments = Record<string, string>;

/** The two topology keys of a driver (qingcloud-anchors.md A.9). */
export interface TopologyKeys {
  zone: string;
  instanceType: string;
}

/** `topology.<driver>/zone` and `topology.<driver>/instance-type`. */
export function topologyKeys(driverName: string): TopologyKeys {
  return { zone: `topology.${driverName}/zone`, instanceType: `topology.${driverName}/instance-type` };
}

/** CreateVolume's accessibility_requirements, reduced to what placement needs. */
export interface TopologyRequirement {
  requisite: Segments[];
  preferred: Segments[];
}

/** Where a new volume goes and what type it gets. */
export interface Placement {
  zone: string;
  volumeType: number;
  /** Instance class of the chosen topology, when it named one. */
  instanceClass?: number;
}

/**
 * Chooses the zone and volume type for a new volume. Candidates are tried in the order the CO gives them (preferred
 * first: with WaitForFirstConsumer the selected node is preferred[0]); a candidate must be in our zone and, when it
 * names an instance type, able to attach the volume type. No explicit type → the candidate's preferred type.
 */
export function placeVolume(
  requirement: TopologyRequirement | undefined,
  explicitType: number | undefined,
  options: { zone: string; keys: TopologyKeys; catalog: VolumeCatalog; defaultType: number },
): Placement {
  const candidates = [...(requirement?.preferred ?? []), ...(requirement?.requisite ?? [])];
  if (candidates.length === 0) return { zone: options.zone, volumeType: explicitType ?? options.defaultType };

  const reasons: string[] = [];
  for (const segments of candidates) {
    const zone = segments[options.keys.zone];
    if (zone !== undefined && zone !== options.zone) {
      reasons.push(`zone ${zone} is not this driver's zone ${options.zone}`);
      continue;
    }
    const typeName = segments[options.keys.instanceType];
    if (typeName === undefined) return { zone: options.zone, volumeType: explicitType ?? options.defaultType };
    const cls = findInstanceClassByName(options.catalog, typeName);
    if (cls === undefined) {
      reasons.push(`instance type ${typeName} is unknown`);
      continue;
    }
    const volumeType = explicitType ?? cls.preferredVolumeType;
    const rule = findVolumeType(options.catalog, volumeType);
    if (rule === undefined || !rule.instanceClasses.includes(cls.instanceClass)) {
      reasons.push(`instance type ${typeName} cannot attach volume type ${volumeType}`);
      continue;
    }
    return { zone: options.zone, volumeType, instanceClass: cls.instanceClass };
  }
  throw new CsiError(
    'RESOURCE_EXHAUSTED',
    `no requested topology can hold this volume (${[...new Set(reasons)].join('; ')}); schedule the pod to a node whose instance type can attach the volume type, or change the StorageClass type`,
  );
}

/** The topologies from which a volume of `volumeType` in `zone` can be attached: one per compatible instance class. */
export function accessibleTopology(volumeType: number, zone: string, keys: TopologyKeys, catalog: VolumeCatalog): Segments[] {
  const rule = findVolumeType(catalog, volumeType);
  if (rule === undefined) return [{ [keys.zone]: zone }];
  const topologies: Segments[] = [];
  for (const instanceClass of rule.instanceClasses) {
    const cls = findInstanceClass(catalog, instanceClass);
    if (cls !== undefined) topologies.push({ [keys.zone]: zone, [keys.instanceType]: cls.name });
  }
  return topologies.length > 0 ? topologies : [{ [keys.zone]: zone }];
}

/** A node's own topology; an unknown instance class still registers, with the zone only (A.16 #5). */
export function nodeTopology(zone: string, instanceClass: number | undefined, keys: TopologyKeys, catalog: VolumeCatalog): Segments {
  const cls = instanceClass === undefined ? undefined : findInstanceClass(catalog, instanceClass);
  return cls === undefined ? { [keys.zone]: zone } : { [keys.zone]: zone, [keys.instanceType]: cls.name };
}
