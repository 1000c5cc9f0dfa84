// Checks csi.proto against the wire tables of docs/csi-cni-specs.md §1.4 and §1.7 (CSI v1.12.0):
// every message of the Identity, Controller and Node services, every field number, type, label,
// oneof membership and secret marking, and every enum value.
import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { CSI_SECRET_FIELDS, CSI_SENSITIVE_KEYS, loadCsiRoot } from '../../../src/csi/proto.js';

/** §1.7, verbatim minus the GroupController and SnapshotMetadata messages. (S) = csi_secret, (A) = alpha. */
const SPEC_MESSAGES: readonly (readonly [string, string])[] = [
  ['GetPluginInfoRequest', '(empty)'],
  ['GetPluginInfoResponse', '1 name:string; 2 vendor_version:string; 3 manifest:map'],
  ['GetPluginCapabilitiesRequest', '(empty)'],
  ['GetPluginCapabilitiesResponse', '1 capabilities:rep PluginCapability'],
  ['PluginCapability', 'oneof type { 1 service:PluginCapability.Service; 2 volume_expansion:PluginCapability.VolumeExpansion }'],
  ['PluginCapability.Service', '1 type:PluginCapability.Service.Type'],
  ['PluginCapability.VolumeExpansion', '1 type:PluginCapability.VolumeExpansion.Type'],
  ['ProbeRequest', '(empty)'],
  ['ProbeResponse', '1 ready:google.protobuf.BoolValue'],
  ['CreateVolumeRequest', '1 name:string; 2 capacity_range:CapacityRange; 3 volume_capabilities:rep VolumeCapability; 4 parameters:map; 5 secrets:map (S); 6 volume_content_source:VolumeContentSource; 7 accessibility_requirements:TopologyRequirement; 8 mutable_parameters:map'],
  ['VolumeContentSource', 'oneof type { 1 snapshot:VolumeContentSource.SnapshotSource; 2 volume:VolumeContentSource.VolumeSource }'],
  ['VolumeContentSource.SnapshotSource', '1 snapshot_id:string'],
  ['VolumeContentSource.VolumeSource', '1 volume_id:string'],
  ['CreateVolumeResponse', '1 volume:Volume'],
  ['VolumeCapability', 'oneof access_type { 1 block:VolumeCapability.BlockVolume; 2 mount:VolumeCapability.MountVolume }; 3 access_mode:VolumeCapability.AccessMode'],
  ['VolumeCapability.BlockVolume', '(empty)'],
  ['VolumeCapability.MountVolume', '1 fs_type:string; 2 mount_flags:rep string; 3 volume_mount_group:string'],
  ['VolumeCapability.AccessMode', '1 mode:VolumeCapability.AccessMode.Mode'],
  ['CapacityRange', '1 required_bytes:int64; 2 limit_bytes:int64'],
  ['Volume', '1 capacity_bytes:int64; 2 volume_id:string; 3 volume_context:map; 4 content_source:VolumeContentSource; 5 accessible_topology:rep Topology'],
  ['TopologyRequirement', '1 requisite:rep Topology; 2 preferred:rep Topology'],
  ['Topology', '1 segments:map'],
  ['DeleteVolumeRequest', '1 volume_id:string; 2 secrets:map (S)'],
  ['DeleteVolumeResponse', '(empty)'],
  ['ControllerPublishVolumeRequest', '1 volume_id:string; 2 node_id:string; 3 volume_capability:VolumeCapability; 4 readonly:bool; 5 secrets:map (S); 6 volume_context:map'],
  ['ControllerPublishVolumeResponse', '1 publish_context:map'],
  ['ControllerUnpublishVolumeRequest', '1 volume_id:string; 2 node_id:string; 3 secrets:map (S)'],
  ['ControllerUnpublishVolumeResponse', '(empty)'],
  ['ValidateVolumeCapabilitiesRequest', '1 volume_id:string; 2 volume_context:map; 3 volume_capabilities:rep VolumeCapability; 4 parameters:map; 5 secrets:map (S); 6 mutable_parameters:map'],
  ['ValidateVolumeCapabilitiesResponse', '1 confirmed:ValidateVolumeCapabilitiesResponse.Confirmed; 2 message:string'],
  ['ValidateVolumeCapabilitiesResponse.Confirmed', '1 volume_context:map; 2 volume_capabilities:rep VolumeCapability; 3 parameters:map; 4 mutable_parameters:map'],
  ['ListVolumesRequest', '1 max_entries:int32; 2 starting_token:string'],
  ['ListVolumesResponse', '1 entries:rep ListVolumesResponse.Entry; 2 next_token:string'],
  ['ListVolumesResponse.VolumeStatus', '1 published_node_ids:rep string; 2 volume_condition:VolumeCondition (A)'],
  ['ListVolumesResponse.Entry', '1 volume:Volume; 2 status:ListVolumesResponse.VolumeStatus'],
  ['ControllerGetVolumeRequest', '1 volume_id:string'],
  ['ControllerGetVolumeResponse', '1 volume:Volume; 2 status:ControllerGetVolumeResponse.VolumeStatus'],
  ['ControllerGetVolumeResponse.VolumeStatus', '1 published_node_ids:rep string; 2 volume_condition:VolumeCondition'],
  ['ControllerModifyVolumeRequest', '1 volume_id:string; 2 secrets:map (S); 3 mutable_parameters:map'],
  ['ControllerModifyVolumeResponse', '(empty)'],
  ['GetCapacityRequest', '1 volume_capabilities:rep VolumeCapability; 2 parameters:map; 3 accessible_topology:Topology'],
  ['GetCapacityResponse', '1 available_capacity:int64; 2 maximum_volume_size:google.protobuf.Int64Value; 3 minimum_volume_size:google.protobuf.Int64Value (A)'],
  ['ControllerGetCapabilitiesRequest', '(empty)'],
  ['ControllerGetCapabilitiesResponse', '1 capabilities:rep ControllerServiceCapability'],
  ['ControllerServiceCapability', 'oneof type { 1 rpc:ControllerServiceCapability.RPC }'],
  ['ControllerServiceCapability.RPC', '1 type:ControllerServiceCapability.RPC.Type'],
  ['CreateSnapshotRequest', '1 source_volume_id:string; 2 name:string; 3 secrets:map (S); 4 parameters:map'],
  ['CreateSnapshotResponse', '1 snapshot:Snapshot'],
  ['Snapshot', '1 size_bytes:int64; 2 snapshot_id:string; 3 source_volume_id:string; 4 creation_time:google.protobuf.Timestamp; 5 ready_to_use:bool; 6 group_snapshot_id:string'],
  ['DeleteSnapshotRequest', '1 snapshot_id:string; 2 secrets:map (S)'],
  ['DeleteSnapshotResponse', '(empty)'],
  ['ListSnapshotsRequest', '1 max_entries:int32; 2 starting_token:string; 3 source_volume_id:string; 4 snapshot_id:string; 5 secrets:map (S)'],
  ['ListSnapshotsResponse', '1 entries:rep ListSnapshotsResponse.Entry; 2 next_token:string'],
  ['ListSnapshotsResponse.Entry', '1 snapshot:Snapshot'],
  ['GetSnapshotRequest', '1 snapshot_id:string; 2 secrets:map (S)'],
  ['GetSnapshotResponse', '1 snapshot:Snapshot'],
  ['ControllerExpandVolumeRequest', '1 volume_id:string; 2 capacity_range:CapacityRange; 3 secrets:map (S); 4 volume_capability:VolumeCapability'],
  ['ControllerExpandVolumeResponse', '1 capacity_bytes:int64; 2 node_expansion_required:bool'],
  ['NodeStageVolumeRequest', '1 volume_id:string; 2 publish_context:map; 3 staging_target_path:string; 4 volume_capability:VolumeCapability; 5 secrets:map (S); 6 volume_context:map'],
  ['NodeStageVolumeResponse', '(empty)'],
  ['NodeUnstageVolumeRequest', '1 volume_id:string; 2 staging_target_path:string'],
  ['NodeUnstageVolumeResponse', '(empty)'],
  ['NodePublishVolumeRequest', '1 volume_id:string; 2 publish_context:map; 3 staging_target_path:string; 4 target_path:string; 5 volume_capability:VolumeCapability; 6 readonly:bool; 7 secrets:map (S); 8 volume_context:map'],
  ['NodePublishVolumeResponse', '(empty)'],
  ['NodeUnpublishVolumeRequest', '1 volume_id:string; 2 target_path:string'],
  ['NodeUnpublishVolumeResponse', '(empty)'],
  ['NodeGetVolumeStatsRequest', '1 volume_id:string; 2 volume_path:string; 3 staging_target_path:string'],
  ['NodeGetVolumeStatsResponse', '1 usage:rep VolumeUsage; 2 volume_condition:VolumeCondition (A)'],
  ['VolumeUsage', '1 available:int64; 2 total:int64; 3 used:int64; 4 unit:VolumeUsage.Unit'],
  ['VolumeCondition', '1 abnormal:bool; 2 message:string'],
  ['NodeGetCapabilitiesRequest', '(empty)'],
  ['NodeGetCapabilitiesResponse', '1 capabilities:rep NodeServiceCapability'],
  ['NodeServiceCapability', 'oneof type { 1 rpc:NodeServiceCapability.RPC }'],
  ['NodeServiceCapability.RPC', '1 type:NodeServiceCapability.RPC.Type'],
  ['NodeGetInfoRequest', '(empty)'],
  ['NodeGetInfoResponse', '1 node_id:string; 2 max_volumes_per_node:int64; 3 accessible_topology:Topology'],
  ['NodeExpandVolumeRequest', '1 volume_id:string; 2 volume_path:string; 3 capacity_range:CapacityRange; 4 staging_target_path:string; 5 volume_capability:VolumeCapability; 6 secrets:map (S, A)'],
  ['NodeExpandVolumeResponse', '1 capacity_bytes:int64'],
];

/** §1.4, the enums used by the three services. */
const SPEC_ENUMS: Record<string, Record<string, number>> = {
  'PluginCapability.Service.Type': {
    UNKNOWN: 0,
    CONTROLLER_SERVICE: 1,
    VOLUME_ACCESSIBILITY_CONSTRAINTS: 2,
    GROUP_CONTROLLER_SERVICE: 3,
    SNAPSHOT_METADATA_SERVICE: 4,
  },
  'PluginCapability.VolumeExpansion.Type': { UNKNOWN: 0, ONLINE: 1, OFFLINE: 2 },
  'ControllerServiceCapability.RPC.Type': {
    UNKNOWN: 0,
    CREATE_DELETE_VOLUME: 1,
    PUBLISH_UNPUBLISH_VOLUME: 2,
    LIST_VOLUMES: 3,
    GET_CAPACITY: 4,
    CREATE_DELETE_SNAPSHOT: 5,
    LIST_SNAPSHOTS: 6,
    CLONE_VOLUME: 7,
    PUBLISH_READONLY: 8,
    EXPAND_VOLUME: 9,
    LIST_VOLUMES_PUBLISHED_NODES: 10,
    VOLUME_CONDITION: 11,
    GET_VOLUME: 12,
    SINGLE_NODE_MULTI_WRITER: 13,
    MODIFY_VOLUME: 14,
    GET_SNAPSHOT: 15,
  },
  'NodeServiceCapability.RPC.Type': {
    UNKNOWN: 0,
    STAGE_UNSTAGE_VOLUME: 1,
    GET_VOLUME_STATS: 2,
    EXPAND_VOLUME: 3,
    VOLUME_CONDITION: 4,
    SINGLE_NODE_MULTI_WRITER: 5,
    VOLUME_MOUNT_GROUP: 6,
  },
  'VolumeCapability.AccessMode.Mode': {
    UNKNOWN: 0,
    SINGLE_NODE_WRITER: 1,
    SINGLE_NODE_READER_ONLY: 2,
    MULTI_NODE_READER_ONLY: 3,
    MULTI_NODE_SINGLE_WRITER: 4,
    MULTI_NODE_MULTI_WRITER: 5,
    SINGLE_NODE_SINGLE_WRITER: 6,
    SINGLE_NODE_MULTI_WRITER: 7,
  },
  'VolumeUsage.Unit': { UNKNOWN: 0, BYTES: 1, INODES: 2 },
};

interface SpecField {
  id: number;
  name: string;
  type: string;
  repeated: boolean;
  oneof: string | undefined;
  secret: boolean;
}

const FIELD = /^(\d+) (\w+):(rep )?([\w.]+)(?: \(([^)]*)\))?$/;

function parseFields(spec: string): SpecField[] {
  if (spec === '(empty)') return [];
  const fields: SpecField[] = [];
  const parsePart = (part: string, oneof: string | undefined): void => {
    for (const raw of part.split(';').map((s) => s.trim()).filter((s) => s !== '')) {
      const m = FIELD.exec(raw);
      if (!m) throw new Error(`unparsable spec field "${raw}"`);
      fields.push({ id: Number(m[1]), name: m[2]!, repeated: m[3] !== undefined, type: m[4]!, oneof, secret: (m[5] ?? '').includes('S') });
    }
  };
  let rest = spec;
  for (const m of spec.matchAll(/oneof (\w+) \{([^}]*)\}/g)) {
    parsePart(m[2]!, m[1]);
    rest = rest.replace(m[0], '');
  }
  parsePart(rest, undefined);
  return fields;
}

const root = loadCsiRoot();
const csi = root.lookup('csi.v1') as protobuf.Namespace;

function collect(ns: protobuf.NamespaceBase, prefix: string, types: Map<string, protobuf.Type>, enums: Map<string, protobuf.Enum>): void {
  for (const nested of ns.nestedArray) {
    const name = `${prefix}${nested.name}`;
    if (nested instanceof protobuf.Type) types.set(name, nested);
    if (nested instanceof protobuf.Enum) enums.set(name, nested);
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) collect(nested, `${name}.`, types, enums);
  }
}
const protoTypes = new Map<string, protobuf.Type>();
const protoEnums = new Map<string, protobuf.Enum>();
collect(csi, '', protoTypes, protoEnums);

const SCALARS = new Set(['string', 'int64', 'int32', 'bool']);

describe('csi.proto against the spec tables', () => {
  it('defines exactly the messages of the Identity, Controller and Node tables', () => {
    expect([...protoTypes.keys()].sort()).toEqual(SPEC_MESSAGES.map(([name]) => name).sort());
  });

  it.each(SPEC_MESSAGES.map(([name, spec]) => ({ name, spec })))('$name has the spec fields, numbers and types', ({ name, spec }) => {
    const type = protoTypes.get(name)!;
    const expected = parseFields(spec);
    expect(type.fieldsArray.map((f) => f.name).sort()).toEqual(expected.map((f) => f.name).sort());
    for (const want of expected) {
      const field = type.fields[want.name]!;
      const where = `${name}.${want.name}`;
      expect(field.id, where).toBe(want.id);
      expect(field.partOf?.name, where).toBe(want.oneof);
      expect(field.options?.['(csi_secret)'] === true, where).toBe(want.secret);
      if (want.type === 'map') {
        expect(field).toBeInstanceOf(protobuf.MapField);
        expect([(field as unknown as protobuf.MapField).keyType, field.type], where).toEqual(['string', 'string']);
        continue;
      }
      expect(field.map, where).toBe(false);
      expect(field.repeated, where).toBe(want.repeated);
      if (SCALARS.has(want.type)) {
        expect(field.type, where).toBe(want.type);
        expect(field.resolvedType, where).toBeNull();
      } else {
        const full = want.type.startsWith('google.') ? `.${want.type}` : `.csi.v1.${want.type}`;
        expect(field.resolvedType?.fullName, where).toBe(full);
      }
    }
  });

  it('spot-checks the field numbers kubelet and the sidecars depend on', () => {
    const id = (path: string): number => {
      const at = path.lastIndexOf('.');
      return root.lookupType(`csi.v1.${path.slice(0, at)}`).fields[path.slice(at + 1)]!.id;
    };
    const expected: Record<string, number> = {
      'CreateVolumeRequest.name': 1,
      'CreateVolumeRequest.capacity_range': 2,
      'CreateVolumeRequest.volume_capabilities': 3,
      'CreateVolumeRequest.parameters': 4,
      'CreateVolumeRequest.secrets': 5,
      'CreateVolumeRequest.volume_content_source': 6,
      'CreateVolumeRequest.accessibility_requirements': 7,
      'CreateVolumeRequest.mutable_parameters': 8,
      'NodeStageVolumeRequest.volume_id': 1,
      'NodeStageVolumeRequest.publish_context': 2,
      'NodeStageVolumeRequest.staging_target_path': 3,
      'NodeStageVolumeRequest.volume_capability': 4,
      'NodeStageVolumeRequest.secrets': 5,
      'NodeStageVolumeRequest.volume_context': 6,
      'NodePublishVolumeRequest.target_path': 4,
      'NodePublishVolumeRequest.readonly': 6,
      'Volume.capacity_bytes': 1,
      'Volume.volume_id': 2,
      'Volume.volume_context': 3,
      'Volume.content_source': 4,
      'Volume.accessible_topology': 5,
      'Topology.segments': 1,
      'VolumeCapability.block': 1,
      'VolumeCapability.mount': 2,
      'VolumeCapability.access_mode': 3,
      'VolumeCapability.MountVolume.mount_flags': 2,
      'VolumeCapability.MountVolume.volume_mount_group': 3,
      'ControllerPublishVolumeRequest.node_id': 2,
      'ControllerPublishVolumeRequest.readonly': 4,
      'NodeGetInfoResponse.max_volumes_per_node': 2,
      'NodeGetInfoResponse.accessible_topology': 3,
      'ControllerExpandVolumeResponse.node_expansion_required': 2,
    };
    expect(Object.fromEntries(Object.keys(expected).map((path) => [path, id(path)]))).toEqual(expected);
    const capability = root.lookupType('csi.v1.VolumeCapability');
    expect(capability.oneofs.access_type!.fieldsArray.map((f) => f.name)).toEqual(['block', 'mount']);
  });

  it.each(Object.entries(SPEC_ENUMS).map(([name, values]) => ({ name, values })))('enum $name has the spec values', ({ name, values }) => {
    expect(protoEnums.get(name)?.values).toEqual(values);
  });

  it('defines no enums beyond the spec ones', () => {
    expect([...protoEnums.keys()].sort()).toEqual(Object.keys(SPEC_ENUMS).sort());
  });

  it('marks exactly the (S) fields as csi_secret, and CSI_SECRET_FIELDS lists the same ones', () => {
    const fromSpec = SPEC_MESSAGES.flatMap(([name, spec]) => parseFields(spec).filter((f) => f.secret).map((f) => `${name}.${f.name}`));
    const fromProto = [...protoTypes].flatMap(([name, type]) =>
      type.fieldsArray.filter((f) => f.options?.['(csi_secret)'] === true).map((f) => `${name}.${f.name}`),
    );
    expect(fromProto.sort()).toEqual(fromSpec.sort());
    expect([...CSI_SECRET_FIELDS].sort()).toEqual(fromSpec.sort());
  });

  it('names every secret field `secrets` and no other field, so redaction by key name is exact', () => {
    const all = [...protoTypes.values()].flatMap((type) => type.fieldsArray);
    const byKey = all.filter((f) => CSI_SENSITIVE_KEYS.has(f.name)).map((f) => `${f.parent!.name}.${f.name}`);
    const secretsOrFlags = all
      .filter((f) => f.options?.['(csi_secret)'] === true || f.name === 'mount_flags')
      .map((f) => `${f.parent!.name}.${f.name}`);
    expect(byKey.sort()).toEqual(secretsOrFlags.sort());
  });
});
