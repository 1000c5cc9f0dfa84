/**
 * The simulator's effects port: what a state change does outside the simulator's own state.
 * `NoEffects` keeps pure state (`--effects none`); the real adapter (`--effects real`, root) makes volumes
 * sparse files and loop devices, and NICs veth pairs on per-vxnet bridges inside a "VPC" namespace.
 * Every method is idempotent: the simulator may repeat a call after a crash or restart.
 */
export interface SimEffects {
  readonly kind: 'none' | 'real';
  /** Re-establishes the effects of persisted state after a restart (attached loop devices, links). */
  restore(world: EffectsWorld): Promise<void>;
  /** A new blank volume of `sizeGB`. */
  createVolume(volumeId: string, sizeGB: number): Promise<void>;
  /** Removes the volume's backing store; gone already is fine. */
  deleteVolume(volumeId: string): Promise<void>;
  /** Grows the backing store (and the loop device when attached). */
  resizeVolume(volumeId: string, sizeGB: number): Promise<void>;
  /** Makes the volume visible on the instance; returns the device path reported as `instance.device`. */
  attachVolume(volumeId: string, instance: EffectsInstance): Promise<{ device: string }>;
  /** True while the attached device is mounted or held open (DetachVolumes then answers 1400). */
  isVolumeBusy(volumeId: string): Promise<boolean>;
  /** Removes the device from the instance. */
  detachVolume(volumeId: string, instance: EffectsInstance): Promise<void>;
  /** Copies the volume's current data into the snapshot (sparse). */
  snapshotVolume(volumeId: string, snapshotId: string): Promise<void>;
  /** A new volume holding the snapshot's data, at least `sizeGB` large. */
  createVolumeFromSnapshot(snapshotId: string, volumeId: string, sizeGB: number): Promise<void>;
  /** A new volume holding a copy of another volume's data. */
  cloneVolume(sourceVolumeId: string, volumeId: string, sizeGB: number): Promise<void>;
  /** Removes the snapshot's data; gone already is fine. */
  deleteSnapshot(snapshotId: string): Promise<void>;
  /** Makes sure the vxnet's switch and gateway exist. */
  ensureVxnet(vxnet: EffectsVxnet): Promise<void>;
  /**
   * Optional: checks done while an AttachNics job is pending, so that attachNic at the job's end is one command and the
   * link appears when the job's latency says. attachNic stays correct without it, or when things changed meanwhile.
   */
  prepareAttachNic?(nic: EffectsNic, instance: EffectsInstance): Promise<void>;
  /** Plugs the NIC into the instance (link with MAC = nic id) and into its vxnet's switch. */
  attachNic(nic: EffectsNic, instance: EffectsInstance): Promise<void>;
  /** Unplugs the NIC from the instance and the switch; gone already is fine. */
  detachNic(nic: EffectsNic, instance: EffectsInstance): Promise<void>;
  /** Removes everything these effects ever made (`--cleanup`). */
  cleanup(): Promise<void>;
}

/** The instance side of an effect. */
export interface EffectsInstance {
  instanceId: string;
  /** Network namespace name of the simulated instance; undefined = the root namespace. */
  netns?: string;
}

/** A vxnet as the effects see it. */
export interface EffectsVxnet {
  vxnetId: string;
  /** e.g. "192.168.10.0/24" */
  cidr: string;
  /** e.g. "192.168.10.1" */
  gateway: string;
}

/** A NIC as the effects see it. */
export interface EffectsNic {
  /** The MAC address, e.g. "52:54:9e:d0:dd:96". */
  nicId: string;
  vxnetId: string;
  privateIp: string;
}

/** Everything persisted state says should exist, for restore(). */
export interface EffectsWorld {
  vxnets: EffectsVxnet[];
  attachedVolumes: { volumeId: string; instance: EffectsInstance }[];
  attachedNics: { nic: EffectsNic; instance: EffectsInstance }[];
}

/** Pure-state effects: nothing happens outside the simulator. */
export class NoEffects implements SimEffects {
  readonly kind = 'none' as const;
  async restore(): Promise<void> {}
  async createVolume(): Promise<void> {}
  async deleteVolume(): Promise<void> {}
  async resizeVolume(): Promise<void> {}
  async attachVolume(volumeId: string): Promise<{ device: string }> {
    return { device: `/dev/disk/by-id/virtio-${volumeId}` };
  }
  async isVolumeBusy(): Promise<boolean> {
    return false;
  }
  async detachVolume(): Promise<void> {}
  async snapshotVolume(): Promise<void> {}
  async createVolumeFromSnapshot(): Promise<void> {}
  async cloneVolume(): Promise<void> {}
  async deleteSnapshot(): Promise<void> {}
  async ensureVxnet(): Promise<void> {}
  async attachNic(): Promise<void> {}
  async detachNic(): Promise<void> {}
  async cleanup(): Promise<void> {}
}
