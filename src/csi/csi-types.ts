/**
 * CSI v1.12.0 messages of the Identity, Controller and Node services, typed as they appear in JS
 * when proto/csi/v1/csi.proto is loaded by src/csi/proto.ts (proto-loader with keepCase, longs:
 * String, enums: String, defaults: true, oneofs: true). Hand-written from the spec's tables.
 *
 * Decoded shape (what a handler receives): every scalar, repeated and map field is present with its
 * proto3 default ('' / '0' / 0 / false / [] / {}); an unset message field is `null`; oneof members
 * are present only when set, and the oneof's own name (e.g. `access_type`) names the member that is
 * set. To send a message, build a `CsiMessageInit<T>`: missing fields are encoded as defaults.
 */

/** An int64 as proto-loader hands it over with `longs: String` (decimal, may exceed 2^53). */
export type Int64String = string;

/**
 * An enum field: the value's name, or its number when the peer sent a value this proto does not
 * know (a newer CO or plugin); code must treat numbers as unknown.
 */
export type OpenEnum<Name extends string> = Name | number;

/** map<string, string> */
export type StringMap = Record<string, string>;

/** google.protobuf.BoolValue */
export interface BoolValue {
  value: boolean;
}

/** google.protobuf.Int64Value */
export interface Int64Value {
  value: Int64String;
}

/** google.protobuf.Timestamp (`seconds` since the epoch as an int64 string). */
export interface Timestamp {
  seconds: Int64String;
  nanos: number;
}

/**
 * What a sender may pass for a message of decoded shape T: every field optional (proto3 encodes
 * missing fields as defaults), `null` allowed for unset fields, oneof discriminators ignored.
 */
export type CsiMessageInit<T> = T extends string | number | boolean
  ? T
  : T extends readonly (infer E)[]
    ? readonly CsiMessageInit<E>[]
    : T extends object
      ? { [K in keyof T]?: CsiMessageInit<NonNullable<T[K]>> | null }
      : T;

// ---------------------------------------------------------------------------------------------
// Enums (§1.4)
// ---------------------------------------------------------------------------------------------

/** PluginCapability.Service.Type */
export type PluginServiceType =
  | 'UNKNOWN'
  | 'CONTROLLER_SERVICE'
  | 'VOLUME_ACCESSIBILITY_CONSTRAINTS'
  | 'GROUP_CONTROLLER_SERVICE'
  | 'SNAPSHOT_METADATA_SERVICE';

/** PluginCapability.VolumeExpansion.Type */
export type VolumeExpansionType = 'UNKNOWN' | 'ONLINE' | 'OFFLINE';

/** ControllerServiceCapability.RPC.Type (VOLUME_CONDITION, GET_VOLUME, SINGLE_NODE_MULTI_WRITER, GET_SNAPSHOT are alpha). */
export type ControllerRpcType =
  | 'UNKNOWN'
  | 'CREATE_DELETE_VOLUME'
  | 'PUBLISH_UNPUBLISH_VOLUME'
  | 'LIST_VOLUMES'
  | 'GET_CAPACITY'
  | 'CREATE_DELETE_SNAPSHOT'
  | 'LIST_SNAPSHOTS'
  | 'CLONE_VOLUME'
  | 'PUBLISH_READONLY'
  | 'EXPAND_VOLUME'
  | 'LIST_VOLUMES_PUBLISHED_NODES'
  | 'VOLUME_CONDITION'
  | 'GET_VOLUME'
  | 'SINGLE_NODE_MULTI_WRITER'
  | 'MODIFY_VOLUME'
  | 'GET_SNAPSHOT';

/** NodeServiceCapability.RPC.Type (VOLUME_CONDITION and SINGLE_NODE_MULTI_WRITER are alpha). */
export type NodeRpcType =
  | 'UNKNOWN'
  | 'STAGE_UNSTAGE_VOLUME'
  | 'GET_VOLUME_STATS'
  | 'EXPAND_VOLUME'
  | 'VOLUME_CONDITION'
  | 'SINGLE_NODE_MULTI_WRITER'
  | 'VOLUME_MOUNT_GROUP';

/** VolumeCapability.AccessMode.Mode (SINGLE_NODE_SINGLE_WRITER and SINGLE_NODE_MULTI_WRITER are alpha). */
export type AccessModeName =
  | 'UNKNOWN'
  | 'SINGLE_NODE_WRITER'
  | 'SINGLE_NODE_READER_ONLY'
  | 'MULTI_NODE_READER_ONLY'
  | 'MULTI_NODE_SINGLE_WRITER'
  | 'MULTI_NODE_MULTI_WRITER'
  | 'SINGLE_NODE_SINGLE_WRITER'
  | 'SINGLE_NODE_MULTI_WRITER';

/** VolumeUsage.Unit */
export type VolumeUsageUnit = 'UNKNOWN' | 'BYTES' | 'INODES';

// ---------------------------------------------------------------------------------------------
// Shared messages
// ---------------------------------------------------------------------------------------------

/** PluginCapability.Service */
export interface PluginCapabilityService {
  type: OpenEnum<PluginServiceType>;
}

/** PluginCapability.VolumeExpansion */
export interface PluginCapabilityVolumeExpansion {
  type: OpenEnum<VolumeExpansionType>;
}

/** PluginCapability: oneof type { service = 1; volume_expansion = 2 }. */
export interface PluginCapability {
  service?: PluginCapabilityService;
  volume_expansion?: PluginCapabilityVolumeExpansion;
  type?: 'service' | 'volume_expansion';
}

/** VolumeContentSource.SnapshotSource */
export interface SnapshotSource {
  snapshot_id: string;
}

/** VolumeContentSource.VolumeSource */
export interface VolumeSource {
  volume_id: string;
}

/** VolumeContentSource: oneof type { snapshot = 1; volume = 2 }. */
export interface VolumeContentSource {
  snapshot?: SnapshotSource;
  volume?: VolumeSource;
  type?: 'snapshot' | 'volume';
}

/** VolumeCapability.BlockVolume (no fields). */
export type BlockVolume = Record<string, never>;

/** VolumeCapability.MountVolume; `mount_flags` is sensitive and must never be logged. */
export interface MountVolume {
  fs_type: string;
  mount_flags: string[];
  volume_mount_group: string;
}

/** VolumeCapability.AccessMode */
export interface AccessMode {
  mode: OpenEnum<AccessModeName>;
}

/** VolumeCapability: oneof access_type { block = 1; mount = 2 }; access_mode = 3. */
export interface VolumeCapability {
  block?: BlockVolume;
  mount?: MountVolume;
  access_type?: 'block' | 'mount';
  access_mode: AccessMode | null;
}

/** CapacityRange ('0' means unset). */
export interface CapacityRange {
  required_bytes: Int64String;
  limit_bytes: Int64String;
}

/** Topology: segment key -> value. */
export interface Topology {
  segments: StringMap;
}

/** TopologyRequirement */
export interface TopologyRequirement {
  requisite: Topology[];
  preferred: Topology[];
}

/** Volume */
export interface Volume {
  capacity_bytes: Int64String;
  volume_id: string;
  volume_context: StringMap;
  content_source: VolumeContentSource | null;
  accessible_topology: Topology[];
}

/** VolumeCondition (alpha). */
export interface VolumeCondition {
  abnormal: boolean;
  message: string;
}

/** Snapshot */
export interface Snapshot {
  size_bytes: Int64String;
  snapshot_id: string;
  source_volume_id: string;
  creation_time: Timestamp | null;
  ready_to_use: boolean;
  group_snapshot_id: string;
}

/** VolumeUsage */
export interface VolumeUsage {
  available: Int64String;
  total: Int64String;
  used: Int64String;
  unit: OpenEnum<VolumeUsageUnit>;
}

/** ControllerServiceCapability.RPC */
export interface ControllerServiceCapabilityRpc {
  type: OpenEnum<ControllerRpcType>;
}

/** ControllerServiceCapability: oneof type { rpc = 1 }. */
export interface ControllerServiceCapability {
  rpc?: ControllerServiceCapabilityRpc;
  type?: 'rpc';
}

/** NodeServiceCapability.RPC */
export interface NodeServiceCapabilityRpc {
  type: OpenEnum<NodeRpcType>;
}

/** NodeServiceCapability: oneof type { rpc = 1 }. */
export interface NodeServiceCapability {
  rpc?: NodeServiceCapabilityRpc;
  type?: 'rpc';
}

/** A message without fields. */
export type Empty = Record<string, never>;

// ---------------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------------

/** GetPluginInfoRequest */
export type GetPluginInfoRequest = Empty;

/** GetPluginInfoResponse */
export interface GetPluginInfoResponse {
  name: string;
  vendor_version: string;
  manifest: StringMap;
}

/** GetPluginCapabilitiesRequest */
export type GetPluginCapabilitiesRequest = Empty;

/** GetPluginCapabilitiesResponse */
export interface GetPluginCapabilitiesResponse {
  capabilities: PluginCapability[];
}

/** ProbeRequest */
export type ProbeRequest = Empty;

/** ProbeResponse (`ready` null means ready). */
export interface ProbeResponse {
  ready: BoolValue | null;
}

// ---------------------------------------------------------------------------------------------
// Controller
// ---------------------------------------------------------------------------------------------

/** CreateVolumeRequest (`secrets` is csi_secret). */
export interface CreateVolumeRequest {
  name: string;
  capacity_range: CapacityRange | null;
  volume_capabilities: VolumeCapability[];
  parameters: StringMap;
  secrets: StringMap;
  volume_content_source: VolumeContentSource | null;
  accessibility_requirements: TopologyRequirement | null;
  mutable_parameters: StringMap;
}

/** CreateVolumeResponse */
export interface CreateVolumeResponse {
  volume: Volume | null;
}

/** DeleteVolumeRequest (`secrets` is csi_secret). */
export interface DeleteVolumeRequest {
  volume_id: string;
  secrets: StringMap;
}

/** DeleteVolumeResponse */
export type DeleteVolumeResponse = Empty;

/** ControllerPublishVolumeRequest (`secrets` is csi_secret). */
export interface ControllerPublishVolumeRequest {
  volume_id: string;
  node_id: string;
  volume_capability: VolumeCapability | null;
  readonly: boolean;
  secrets: StringMap;
  volume_context: StringMap;
}

/** ControllerPublishVolumeResponse */
export interface ControllerPublishVolumeResponse {
  publish_context: StringMap;
}

/** ControllerUnpublishVolumeRequest (`secrets` is csi_secret; empty node_id = all nodes). */
export interface ControllerUnpublishVolumeRequest {
  volume_id: string;
  node_id: string;
  secrets: StringMap;
}

/** ControllerUnpublishVolumeResponse */
export type ControllerUnpublishVolumeResponse = Empty;

/** ValidateVolumeCapabilitiesRequest (`secrets` is csi_secret). */
export interface ValidateVolumeCapabilitiesRequest {
  volume_id: string;
  volume_context: StringMap;
  volume_capabilities: VolumeCapability[];
  parameters: StringMap;
  secrets: StringMap;
  mutable_parameters: StringMap;
}

/** ValidateVolumeCapabilitiesResponse.Confirmed */
export interface ValidateVolumeCapabilitiesConfirmed {
  volume_context: StringMap;
  volume_capabilities: VolumeCapability[];
  parameters: StringMap;
  mutable_parameters: StringMap;
}

/** ValidateVolumeCapabilitiesResponse (`confirmed` null = not all capabilities supported). */
export interface ValidateVolumeCapabilitiesResponse {
  confirmed: ValidateVolumeCapabilitiesConfirmed | null;
  message: string;
}

/** ListVolumesRequest */
export interface ListVolumesRequest {
  max_entries: number;
  starting_token: string;
}

/** ListVolumesResponse.VolumeStatus (`volume_condition` is alpha). */
export interface ListVolumesVolumeStatus {
  published_node_ids: string[];
  volume_condition: VolumeCondition | null;
}

/** ListVolumesResponse.Entry */
export interface ListVolumesEntry {
  volume: Volume | null;
  status: ListVolumesVolumeStatus | null;
}

/** ListVolumesResponse */
export interface ListVolumesResponse {
  entries: ListVolumesEntry[];
  next_token: string;
}

/** ControllerGetVolumeRequest (alpha). */
export interface ControllerGetVolumeRequest {
  volume_id: string;
}

/** ControllerGetVolumeResponse.VolumeStatus (alpha). */
export interface ControllerGetVolumeStatus {
  published_node_ids: string[];
  volume_condition: VolumeCondition | null;
}

/** ControllerGetVolumeResponse (alpha). */
export interface ControllerGetVolumeResponse {
  volume: Volume | null;
  status: ControllerGetVolumeStatus | null;
}

/** ControllerModifyVolumeRequest (`secrets` is csi_secret). */
export interface ControllerModifyVolumeRequest {
  volume_id: string;
  secrets: StringMap;
  mutable_parameters: StringMap;
}

/** ControllerModifyVolumeResponse */
export type ControllerModifyVolumeResponse = Empty;

/** GetCapacityRequest */
export interface GetCapacityRequest {
  volume_capabilities: VolumeCapability[];
  parameters: StringMap;
  accessible_topology: Topology | null;
}

/** GetCapacityResponse (`minimum_volume_size` is alpha). */
export interface GetCapacityResponse {
  available_capacity: Int64String;
  maximum_volume_size: Int64Value | null;
  minimum_volume_size: Int64Value | null;
}

/** ControllerGetCapabilitiesRequest */
export type ControllerGetCapabilitiesRequest = Empty;

/** ControllerGetCapabilitiesResponse */
export interface ControllerGetCapabilitiesResponse {
  capabilities: ControllerServiceCapability[];
}

/** CreateSnapshotRequest (`secrets` is csi_secret). */
export interface CreateSnapshotRequest {
  source_volume_id: string;
  name: string;
  secrets: StringMap;
  parameters: StringMap;
}

/** CreateSnapshotResponse */
export interface CreateSnapshotResponse {
  snapshot: Snapshot | null;
}

/** DeleteSnapshotRequest (`secrets` is csi_secret). */
export interface DeleteSnapshotRequest {
  snapshot_id: string;
  secrets: StringMap;
}

/** DeleteSnapshotResponse */
export type DeleteSnapshotResponse = Empty;

/** ListSnapshotsRequest (`secrets` is csi_secret). */
export interface ListSnapshotsRequest {
  max_entries: number;
  starting_token: string;
  source_volume_id: string;
  snapshot_id: string;
  secrets: StringMap;
}

/** ListSnapshotsResponse.Entry */
export interface ListSnapshotsEntry {
  snapshot: Snapshot | null;
}

/** ListSnapshotsResponse */
export interface ListSnapshotsResponse {
  entries: ListSnapshotsEntry[];
  next_token: string;
}

/** GetSnapshotRequest (alpha; `secrets` is csi_secret). */
export interface GetSnapshotRequest {
  snapshot_id: string;
  secrets: StringMap;
}

/** GetSnapshotResponse (alpha). */
export interface GetSnapshotResponse {
  snapshot: Snapshot | null;
}

/** ControllerExpandVolumeRequest (`secrets` is csi_secret). */
export interface ControllerExpandVolumeRequest {
  volume_id: string;
  capacity_range: CapacityRange | null;
  secrets: StringMap;
  volume_capability: VolumeCapability | null;
}

/** ControllerExpandVolumeResponse */
export interface ControllerExpandVolumeResponse {
  capacity_bytes: Int64String;
  node_expansion_required: boolean;
}

// ---------------------------------------------------------------------------------------------
// Node
// ---------------------------------------------------------------------------------------------

/** NodeStageVolumeRequest (`secrets` is csi_secret). */
export interface NodeStageVolumeRequest {
  volume_id: string;
  publish_context: StringMap;
  staging_target_path: string;
  volume_capability: VolumeCapability | null;
  secrets: StringMap;
  volume_context: StringMap;
}

/** NodeStageVolumeResponse */
export type NodeStageVolumeResponse = Empty;

/** NodeUnstageVolumeRequest */
export interface NodeUnstageVolumeRequest {
  volume_id: string;
  staging_target_path: string;
}

/** NodeUnstageVolumeResponse */
export type NodeUnstageVolumeResponse = Empty;

/** NodePublishVolumeRequest (`secrets` is csi_secret). */
export interface NodePublishVolumeRequest {
  volume_id: string;
  publish_context: StringMap;
  staging_target_path: string;
  target_path: string;
  volume_capability: VolumeCapability | null;
  readonly: boolean;
  secrets: StringMap;
  volume_context: StringMap;
}

/** NodePublishVolumeResponse */
export type NodePublishVolumeResponse = Empty;

/** NodeUnpublishVolumeRequest */
export interface NodeUnpublishVolumeRequest {
  volume_id: string;
  target_path: string;
}

/** NodeUnpublishVolumeResponse */
export type NodeUnpublishVolumeResponse = Empty;

/** NodeGetVolumeStatsRequest */
export interface NodeGetVolumeStatsRequest {
  volume_id: string;
  volume_path: string;
  staging_target_path: string;
}

/** NodeGetVolumeStatsResponse (`volume_condition` is alpha). */
export interface NodeGetVolumeStatsResponse {
  usage: VolumeUsage[];
  volume_condition: VolumeCondition | null;
}

/** NodeGetCapabilitiesRequest */
export type NodeGetCapabilitiesRequest = Empty;

/** NodeGetCapabilitiesResponse */
export interface NodeGetCapabilitiesResponse {
  capabilities: NodeServiceCapability[];
}

/** NodeGetInfoRequest */
export type NodeGetInfoRequest = Empty;

/** NodeGetInfoResponse */
export interface NodeGetInfoResponse {
  node_id: string;
  max_volumes_per_node: Int64String;
  accessible_topology: Topology | null;
}

/** NodeExpandVolumeRequest (`secrets` is csi_secret and alpha). */
export interface NodeExpandVolumeRequest {
  volume_id: string;
  volume_path: string;
  capacity_range: CapacityRange | null;
  staging_target_path: string;
  volume_capability: VolumeCapability | null;
  secrets: StringMap;
}

/** NodeExpandVolumeResponse */
export interface NodeExpandVolumeResponse {
  capacity_bytes: Int64String;
}

// ---------------------------------------------------------------------------------------------
// Services: method name -> request/response
// ---------------------------------------------------------------------------------------------

/** One unary RPC's message types. */
export interface Rpc<Req, Res> {
  request: Req;
  response: Res;
}

/** csi.v1.Identity */
export interface IdentityRpcs {
  GetPluginInfo: Rpc<GetPluginInfoRequest, GetPluginInfoResponse>;
  GetPluginCapabilities: Rpc<GetPluginCapabilitiesRequest, GetPluginCapabilitiesResponse>;
  Probe: Rpc<ProbeRequest, ProbeResponse>;
}

/** csi.v1.Controller (GetSnapshot and ControllerGetVolume are alpha). */
export interface ControllerRpcs {
  CreateVolume: Rpc<CreateVolumeRequest, CreateVolumeResponse>;
  DeleteVolume: Rpc<DeleteVolumeRequest, DeleteVolumeResponse>;
  ControllerPublishVolume: Rpc<ControllerPublishVolumeRequest, ControllerPublishVolumeResponse>;
  ControllerUnpublishVolume: Rpc<ControllerUnpublishVolumeRequest, ControllerUnpublishVolumeResponse>;
  ValidateVolumeCapabilities: Rpc<ValidateVolumeCapabilitiesRequest, ValidateVolumeCapabilitiesResponse>;
  ListVolumes: Rpc<ListVolumesRequest, ListVolumesResponse>;
  GetCapacity: Rpc<GetCapacityRequest, GetCapacityResponse>;
  ControllerGetCapabilities: Rpc<ControllerGetCapabilitiesRequest, ControllerGetCapabilitiesResponse>;
  CreateSnapshot: Rpc<CreateSnapshotRequest, CreateSnapshotResponse>;
  DeleteSnapshot: Rpc<DeleteSnapshotRequest, DeleteSnapshotResponse>;
  ListSnapshots: Rpc<ListSnapshotsRequest, ListSnapshotsResponse>;
  GetSnapshot: Rpc<GetSnapshotRequest, GetSnapshotResponse>;
  ControllerExpandVolume: Rpc<ControllerExpandVolumeRequest, ControllerExpandVolumeResponse>;
  ControllerGetVolume: Rpc<ControllerGetVolumeRequest, ControllerGetVolumeResponse>;
  ControllerModifyVolume: Rpc<ControllerModifyVolumeRequest, ControllerModifyVolumeResponse>;
}

/** csi.v1.Node */
export interface NodeRpcs {
  NodeStageVolume: Rpc<NodeStageVolumeRequest, NodeStageVolumeResponse>;
  NodeUnstageVolume: Rpc<NodeUnstageVolumeRequest, NodeUnstageVolumeResponse>;
  NodePublishVolume: Rpc<NodePublishVolumeRequest, NodePublishVolumeResponse>;
  NodeUnpublishVolume: Rpc<NodeUnpublishVolumeRequest, NodeUnpublishVolumeResponse>;
  NodeGetVolumeStats: Rpc<NodeGetVolumeStatsRequest, NodeGetVolumeStatsResponse>;
  NodeExpandVolume: Rpc<NodeExpandVolumeRequest, NodeExpandVolumeResponse>;
  NodeGetCapabilities: Rpc<NodeGetCapabilitiesRequest, NodeGetCapabilitiesResponse>;
  NodeGetInfo: Rpc<NodeGetInfoRequest, NodeGetInfoResponse>;
}

/** Method names of csi.v1.Identity, in proto order. */
export const IDENTITY_METHODS = ['GetPluginInfo', 'GetPluginCapabilities', 'Probe'] as const satisfies readonly (keyof IdentityRpcs)[];

/** Method names of csi.v1.Controller, in proto order. */
export const CONTROLLER_METHODS = [
  'CreateVolume',
  'DeleteVolume',
  'ControllerPublishVolume',
  'ControllerUnpublishVolume',
  'ValidateVolumeCapabilities',
  'ListVolumes',
  'GetCapacity',
  'ControllerGetCapabilities',
  'CreateSnapshot',
  'DeleteSnapshot',
  'ListSnapshots',
  'GetSnapshot',
  'ControllerExpandVolume',
  'ControllerGetVolume',
  'ControllerModifyVolume',
] as const satisfies readonly (keyof ControllerRpcs)[];

/** Method names of csi.v1.Node, in proto order. */
export const NODE_METHODS = [
  'NodeStageVolume',
  'NodeUnstageVolume',
  'NodePublishVolume',
  'NodeUnpublishVolume',
  'NodeGetVolumeStats',
  'NodeExpandVolume',
  'NodeGetCapabilities',
  'NodeGetInfo',
] as const satisfies readonly (keyof NodeRpcs)[];
