/**
 * The simulator's world: every resource as persisted in the state file. Wire views (what Describe* returns) are
 * built from these records in render.ts; fields marked "simulator-only" never appear on the wire.
 */

/** One API key pair the simulator accepts. */
export interface AccessKey {
  access_key_id: string;
  secret_access_key: string;
}

/** Counted limits of the simulated account and cloud. */
export interface SimLimits {
  /** Volumes attached (or attaching) to one instance (qingcloud-api.md §6.4; CSI default 10). */
  max_volumes_per_instance: number;
  /** NICs per instance including the primary (§7: 64). */
  max_nics_per_instance: number;
  /** NICs per vxnet (§7: 252). */
  max_nics_per_vxnet: number;
  /** Account quotas by resource type (GetQuotaLeft/DescribeQuotas); beyond them → 2500. */
  quotas: Record<QuotaType, number>;
}

/** Resource types with an account quota. */
export type QuotaType = 'volume' | 'volume_size' | 'snapshot' | 'nic' | 'tag' | 'instance' | 'vxnet';

export interface InstanceRec {
  instance_id: string;
  instance_name: string;
  instance_class: number;
  instance_type: string;
  vcpus_current: number;
  memory_current: number;
  status: 'running' | 'stopped';
  create_time: string;
  status_time: string;
  /** Simulator-only: the network namespace standing in for the guest (real effects). */
  netns?: string;
}

export interface VxnetRec {
  vxnet_id: string;
  vxnet_name: string;
  /** e.g. 192.168.10.0/24 */
  cidr: string;
  gateway: string;
  dyn_ip_start: string;
  dyn_ip_end: string;
  create_time: string;
}

/** Volume status values (qingcloud-api.md §5.1). */
export type VolumeStatus = 'pending' | 'available' | 'in-use' | 'suspended' | 'deleted' | 'ceased';

export interface VolumeRec {
  volume_id: string;
  volume_name: string;
  description: string | null;
  size: number;
  volume_type: number;
  status: VolumeStatus;
  /** '' when idle; creating/attaching/detaching/deleting, or the simulator-only 'resizing' (shown as ''). */
  transition_status: string;
  create_time: string;
  status_time: string;
  /** '' when detached; set when the attach job starts. */
  instance_id: string;
  /** '' unless attached: what effects.attachVolume returned. */
  device: string;
}

export interface SnapshotRec {
  snapshot_id: string;
  snapshot_name: string;
  description: string | null;
  status: 'pending' | 'available' | 'deleted' | 'ceased';
  transition_status: string;
  create_time: string;
  status_time: string;
  /** Size of the captured volume in MB (the API reports snapshot sizes in MB). */
  size: number;
  source_volume_id: string;
  source_volume_name: string;
  source_volume_type: number;
  /** GB */
  source_volume_size: number;
}

export interface NicRec {
  nic_id: string;
  nic_name: string;
  vxnet_id: string;
  private_ip: string;
  /** '' when free. */
  instance_id: string;
  status: 'available' | 'in-use';
  /** Simulator-only lock while an attach/detach job runs ('attaching'/'detaching'); not on the wire. */
  transition_status: string;
  /** 1 = the instance's primary NIC, 0 = secondary. */
  role: 0 | 1;
  sequence: number;
  create_time: string;
  status_time: string;
}

export interface TagRec {
  tag_id: string;
  tag_name: string;
  description: string | null;
  color: string;
  create_time: string;
}

export interface TagPair {
  tag_id: string;
  resource_type: string;
  resource_id: string;
}

/** Job status values (qingcloud-api.md §5.5). */
export type JobStatus = 'pending' | 'working' | 'successful' | 'failed';

/** What a job does when it runs; persisted, so a restart can finish it. */
export type JobPlan =
  | { kind: 'createVolumes'; volumeIds: string[] }
  | { kind: 'cloneVolumes'; sourceVolumeId: string; volumeIds: string[] }
  | { kind: 'createVolumeFromSnapshot'; snapshotId: string; volumeIds: string[] }
  | { kind: 'deleteVolumes'; volumeIds: string[] }
  | { kind: 'attachVolumes'; volumeIds: string[]; instanceId: string }
  | { kind: 'detachVolumes'; volumeIds: string[]; instanceId: string }
  | { kind: 'resizeVolumes'; volumeIds: string[]; sizeGB: number }
  | { kind: 'createSnapshots'; snapshotIds: string[] }
  | { kind: 'deleteSnapshots'; snapshotIds: string[] }
  | { kind: 'attachNics'; nicIds: string[]; instanceId: string }
  | { kind: 'detachNics'; nicIds: string[] };

export interface JobRec {
  job_id: string;
  job_action: string;
  status: JobStatus;
  create_time: string;
  status_time: string;
  resource_ids: string[];
  /** JSON text of the request that made the job (the API's `directive`). */
  directive: string;
  error_codes: string;
  plan: JobPlan;
}

/** The whole persisted state. Records keep insertion order (ids are non-numeric keys). */
export interface World {
  format: 1;
  zone: string;
  owner: string;
  access_keys: AccessKey[];
  router: { router_id: string; router_name: string };
  limits: SimLimits;
  instances: Record<string, InstanceRec>;
  vxnets: Record<string, VxnetRec>;
  volumes: Record<string, VolumeRec>;
  snapshots: Record<string, SnapshotRec>;
  nics: Record<string, NicRec>;
  tags: Record<string, TagRec>;
  tag_pairs: TagPair[];
  jobs: Record<string, JobRec>;
}

/** Limits used when a seed names none. */
export const DEFAULT_LIMITS: SimLimits = {
  max_volumes_per_instance: 10,
  max_nics_per_instance: 64,
  max_nics_per_vxnet: 252,
  quotas: { volume: 1000, volume_size: 200_000, snapshot: 1000, nic: 2000, tag: 500, instance: 100, vxnet: 100 },
};
