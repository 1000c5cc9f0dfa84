import { rangeSize } from './ip.js';
import type { InstanceRec, JobRec, NicRec, SnapshotRec, TagRec, VolumeRec, VxnetRec, World } from './model.js';

/** Transition values the API documents for volumes; simulator-only locks (e.g. `resizing`) show as ''. */
const VOLUME_TRANSITIONS = new Set(['', 'creating', 'attaching', 'detaching', 'suspending', 'resuming', 'deleting', 'recovering']);

/** The `tags[]` array a resource carries. */
export function tagsOf(world: World, resourceId: string): Record<string, unknown>[] {
  return world.tag_pairs
    .filter((p) => p.resource_id === resourceId)
    .map((p) => world.tags[p.tag_id])
    .filter((t): t is TagRec => t !== undefined)
    .map((t) => ({ tag_id: t.tag_id, tag_name: t.tag_name, color: t.color, tag_key: t.tag_name }));
}

/** True when the resource carries any of `tagIds` (or `tagIds` is empty). */
export function hasAnyTag(world: World, resourceId: string, tagIds: readonly string[]): boolean {
  if (tagIds.length === 0) return true;
  return world.tag_pairs.some((p) => p.resource_id === resourceId && tagIds.includes(p.tag_id));
}

/** A volume as DescribeVolumes returns it (qingcloud-api.md §5.1): detached → `instance` without `device`. */
export function volumeView(world: World, v: VolumeRec): Record<string, unknown> {
  const instance = world.instances[v.instance_id];
  const attached = v.status === 'in-use' && v.instance_id !== '';
  const instanceObj = attached
    ? { instance_id: v.instance_id, instance_name: instance?.instance_name ?? '', device: v.device }
    : { instance_id: '', instance_name: '' };
  return {
    volume_id: v.volume_id,
    volume_name: v.volume_name,
    description: v.description,
    size: v.size,
    volume_type: v.volume_type,
    status: v.status,
    transition_status: VOLUME_TRANSITIONS.has(v.transition_status) ? v.transition_status : '',
    create_time: v.create_time,
    status_time: v.status_time,
    instance: instanceObj,
    instances: [instanceObj],
    resources: [
      attached
        ? { device: v.device, resource_name: instance?.instance_name ?? '', resource_type: 'instance', resource_id: v.instance_id }
        : { device: '', resource_name: '', resource_type: '', resource_id: '' },
    ],
    owner: world.owner,
    zone_id: world.zone,
    repl: 'rpp-00000002',
    place_group_id: 'plg-00000000',
    sub_code: 0,
    tags: tagsOf(world, v.volume_id),
    extra: null,
    lastest_snapshot_time: null,
  };
}

/** A snapshot as DescribeSnapshots returns it (§5.6); every snapshot is a full point in the simulator. */
export function snapshotView(world: World, s: SnapshotRec): Record<string, unknown> {
  return {
    snapshot_id: s.snapshot_id,
    snapshot_name: s.snapshot_name,
    description: s.description,
    snapshot_type: 1,
    status: s.status,
    transition_status: s.transition_status,
    create_time: s.create_time,
    status_time: s.status_time,
    snapshot_time: s.create_time,
    is_taken: s.status === 'pending' ? 0 : 1,
    is_head: 1,
    root_id: s.snapshot_id,
    parent_id: 'self',
    head_chain: s.snapshot_id,
    size: s.size,
    total_size: s.size,
    total_count: 1,
    virtual_size: s.source_volume_size * 1024,
    resource: { resource_id: s.source_volume_id, resource_name: s.source_volume_name, resource_type: 'volume' },
    snapshot_resource: { volume_id: s.source_volume_id, volume_type: s.source_volume_type, size: s.source_volume_size },
    owner: world.owner,
    provider: 'self',
    visibility: 'private',
    sub_code: 0,
    tags: tagsOf(world, s.snapshot_id),
  };
}

/** A NIC as DescribeNics returns it (§5.2). */
export function nicView(world: World, n: NicRec): Record<string, unknown> {
  return {
    nic_id: n.nic_id,
    nic_name: n.nic_name,
    vxnet_id: n.vxnet_id,
    vxnet: { vxnet_id: n.vxnet_id, vxnet_name: world.vxnets[n.vxnet_id]?.vxnet_name ?? '', vxnet_type: 1 },
    private_ip: n.private_ip,
    instance_id: n.instance_id,
    status: n.status,
    role: n.role,
    sequence: n.sequence,
    security_group: '',
    create_time: n.create_time,
    status_time: n.status_time,
    owner: world.owner,
    root_user_id: world.owner,
    zone_id: world.zone,
    tags: tagsOf(world, n.nic_id),
    eip: { eip_id: '', eip_addr: '', bandwidth: 0 },
  };
}

/** Addresses of the vxnet's DHCP range not held by a NIC. */
export function availableIpCount(world: World, v: VxnetRec): number {
  return rangeSize({ gateway: v.gateway, start: v.dyn_ip_start, end: v.dyn_ip_end }) - Object.values(world.nics).filter((n) => n.vxnet_id === v.vxnet_id && n.private_ip !== '').length;
}

/** A vxnet as DescribeVxnets returns it (§5.3). */
export function vxnetView(world: World, v: VxnetRec, verbose: boolean): Record<string, unknown> {
  const view: Record<string, unknown> = {
    vxnet_id: v.vxnet_id,
    vxnet_name: v.vxnet_name,
    vxnet_type: 1,
    description: null,
    create_time: v.create_time,
    owner: world.owner,
    zone_id: world.zone,
    tags: tagsOf(world, v.vxnet_id),
    available_ip_count: availableIpCount(world, v),
    vpc_router_id: world.router.router_id,
    tunnel_type: 'vxlan',
    router: {
      router_id: world.router.router_id,
      router_name: world.router.router_name,
      manager_ip: v.gateway,
      ip_network: v.cidr,
      dyn_ip_start: v.dyn_ip_start,
      dyn_ip_end: v.dyn_ip_end,
      mode: 0,
    },
  };
  if (verbose) {
    view['instance_ids'] = [...new Set(Object.values(world.nics).filter((n) => n.vxnet_id === v.vxnet_id && n.instance_id !== '').map((n) => n.instance_id))];
  }
  return view;
}

/** An instance as DescribeInstances returns it (§5.4): every attached NIC in `vxnets[]`, primary first. */
export function instanceView(world: World, i: InstanceRec): Record<string, unknown> {
  const nics = Object.values(world.nics)
    .filter((n) => n.instance_id === i.instance_id && n.status === 'in-use')
    .sort((a, b) => b.role - a.role || a.sequence - b.sequence);
  const volumes = Object.values(world.volumes).filter((v) => v.instance_id === i.instance_id && v.status === 'in-use');
  return {
    instance_id: i.instance_id,
    instance_name: i.instance_name,
    description: null,
    instance_type: i.instance_type,
    instance_class: i.instance_class,
    vcpus_current: i.vcpus_current,
    memory_current: i.memory_current,
    status: i.status,
    transition_status: '',
    create_time: i.create_time,
    status_time: i.status_time,
    image: {
      image_id: 'img-sim00001',
      image_name: 'simulated linux',
      platform: 'linux',
      os_family: 'debian',
      processor_type: '64bit',
      provider: 'system',
      features_supported: { disk_hot_plug: 1, nic_hot_plug: 1 },
    },
    vxnets: nics.map((n) => ({
      vxnet_id: n.vxnet_id,
      vxnet_name: world.vxnets[n.vxnet_id]?.vxnet_name ?? '',
      vxnet_type: 1,
      nic_id: n.nic_id,
      private_ip: n.private_ip,
      role: n.role,
      ipv6_address: '',
      security_group: '',
    })),
    volume_ids: volumes.map((v) => v.volume_id),
    volumes: volumes.map((v) => ({ volume_id: v.volume_id, device: v.device })),
    eip: { eip_id: '', eip_addr: '', bandwidth: 0 },
    security_group: { security_group_id: '', is_default: 0 },
    keypair_ids: [],
    zone_id: world.zone,
    owner: world.owner,
    repl: 'rpp-00000002',
    sub_code: 0,
    tags: tagsOf(world, i.instance_id),
    extra: { os_disk_size: 20, hypervisor: 'kvm' },
  };
}

/** A job as DescribeJobs returns it (§5.5): resource_ids space-separated, directive a JSON string. */
export function jobView(world: World, j: JobRec): Record<string, unknown> {
  return {
    job_id: j.job_id,
    job_action: j.job_action,
    status: j.status,
    create_time: j.create_time,
    status_time: j.status_time,
    resource_ids: j.resource_ids.join(' '),
    directive: j.directive,
    error_codes: j.error_codes,
    owner: world.owner,
  };
}

/** A tag as DescribeTags returns it (§5.7); `verbose` adds resource_tag_pairs. */
export function tagView(world: World, t: TagRec, verbose: boolean): Record<string, unknown> {
  const pairs = world.tag_pairs.filter((p) => p.tag_id === t.tag_id);
  const byType = new Map<string, number>();
  for (const p of pairs) byType.set(p.resource_type, (byType.get(p.resource_type) ?? 0) + 1);
  const view: Record<string, unknown> = {
    tag_id: t.tag_id,
    tag_name: t.tag_name,
    tag_key: t.tag_name,
    description: t.description,
    color: t.color,
    create_time: t.create_time,
    owner: world.owner,
    resource_count: pairs.length,
    resource_type_count: [...byType].map(([resource_type, count]) => ({ resource_type, count })),
  };
  if (verbose) view['resource_tag_pairs'] = pairs.map((p) => ({ ...p, status: 'active' }));
  return view;
}
