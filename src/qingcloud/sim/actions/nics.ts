import { denied, invalidParam } from '../errors.js';
import type { SimEngine } from '../engine.js';
import { allocateIp, inRange, parseIpv4, randomMac, type DhcpRange } from '../ip.js';
import type { NicRec, VxnetRec } from '../model.js';
import { hasAnyTag, nicView } from '../render.js';
import { listResult, matchesWord, NAME_OPTIONS, newestFirst, type ActionHandler } from './common.js';

const IPV4_TEXT = /^\d{1,3}(\.\d{1,3}){3}$/;

function rangeOf(v: VxnetRec): DhcpRange {
  return { gateway: v.gateway, start: v.dyn_ip_start, end: v.dyn_ip_end };
}

function usedIps(sim: SimEngine, vxnetId: string): Set<string> {
  return new Set(Object.values(sim.world.nics).filter((n) => n.vxnet_id === vxnetId && n.private_ip !== '').map((n) => n.private_ip));
}

/** Throws unless `ip` may be given to a NIC in `vxnet`. */
function checkFixedIp(sim: SimEngine, vxnet: VxnetRec, ip: string, used: ReadonlySet<string>): void {
  if (parseIpv4(ip) === undefined) throw invalidParam(`private ip ${JSON.stringify(ip.slice(0, 64))} is not an IPv4 address`);
  if (!inRange(ip, rangeOf(vxnet))) {
    throw denied(`private ip ${ip} is outside the DHCP range ${vxnet.dyn_ip_start}-${vxnet.dyn_ip_end} of vxnet [${vxnet.vxnet_id}]`);
  }
  if (used.has(ip)) throw denied(`private ip ${ip} is already used in vxnet [${vxnet.vxnet_id}]; pick another or let the cloud assign one`);
}

const describeNics: ActionHandler = (sim, p) => {
  const ids = p.ids('nics', 'nic');
  const instances = p.ids('instances', 'instance');
  const vxnets = p.ids('vxnets', 'vxnet');
  const name = p.str('nic_name', NAME_OPTIONS);
  const status = p.str('status', { oneOf: ['available', 'in-use'] });
  const tags = p.ids('tags', 'tag');
  const items = newestFirst(sim.world.nics).filter(
    (n) =>
      (ids.length === 0 || ids.includes(n.nic_id)) &&
      (instances.length === 0 || instances.includes(n.instance_id)) &&
      (vxnets.length === 0 || vxnets.includes(n.vxnet_id)) &&
      matchesWord(name, n.nic_name) &&
      (status === undefined || n.status === status) &&
      hasAnyTag(sim.world, n.nic_id, tags),
  );
  return listResult('nic_set', items, p, (n) => nicView(sim.world, n));
};

const createNics: ActionHandler = (sim, p) => {
  const vxnet = sim.vxnet(p.id('vxnet', 'vxnet', { required: true }));
  const name = p.str('nic_name', NAME_OPTIONS) ?? '';
  const fixedIps = p.list('private_ips', { maxItems: 252, pattern: IPV4_TEXT });
  const countParam = p.int('count', { min: 1, max: 252 });
  if (countParam !== undefined && fixedIps.length > 0 && countParam !== fixedIps.length) {
    throw invalidParam(`count ${countParam} differs from the ${fixedIps.length} private_ips given; send one private ip per NIC`);
  }
  const count = countParam ?? (fixedIps.length || 1);
  const noIp = p.flag('disable_ip') ?? false;
  const inVxnet = Object.values(sim.world.nics).filter((n) => n.vxnet_id === vxnet.vxnet_id).length;
  const max = sim.world.limits.max_nics_per_vxnet;
  if (inVxnet + count > max) {
    throw denied(`vxnet [${vxnet.vxnet_id}] has ${inVxnet} NICs and may have at most ${max}; use another vxnet or delete unused NICs`);
  }
  sim.requireQuota('nic', count);
  const used = usedIps(sim, vxnet.vxnet_id);
  for (const ip of fixedIps) checkFixedIp(sim, vxnet, ip, used);
  const ips: string[] = [];
  for (let i = 0; i < count; i++) {
    const ip = noIp ? '' : (fixedIps[i] ?? allocateIp(rangeOf(vxnet), new Set([...used, ...ips, ...fixedIps])));
    if (ip === undefined) throw denied(`vxnet [${vxnet.vxnet_id}] has no free private ip left; use another vxnet`);
    ips.push(ip);
  }
  const macs = new Set(Object.keys(sim.world.nics));
  const now = sim.now();
  const nics = ips.map((ip) => {
    const nic: NicRec = {
      nic_id: randomMac(sim.options.random, macs),
      nic_name: name,
      vxnet_id: vxnet.vxnet_id,
      private_ip: ip,
      instance_id: '',
      status: 'available',
      transition_status: '',
      role: 0,
      sequence: 0,
      create_time: now,
      status_time: now,
    };
    macs.add(nic.nic_id);
    sim.world.nics[nic.nic_id] = nic;
    return { nic_id: nic.nic_id, private_ip: nic.private_ip };
  });
  sim.changed();
  return { nics };
};

const attachNics: ActionHandler = (sim, p, call) => {
  const ids = p.ids('nics', 'nic', { required: true });
  const instanceId = p.id('instance', 'instance', { required: true });
  const nics = ids.map((id) => sim.idleNic(id));
  const instance = sim.instance(instanceId);
  sim.requireRunning(instance, 'attach NICs');
  for (const n of nics) {
    if (n.status !== 'available') throw denied(`nic [${n.nic_id}] is in-use on instance [${n.instance_id}], detach it first`);
  }
  const max = sim.world.limits.max_nics_per_instance;
  const onInstance = Object.values(sim.world.nics).filter((n) => n.instance_id === instanceId).length;
  if (onInstance + nics.length > max) {
    throw denied(`instance [${instanceId}] has ${onInstance} NICs and may have at most ${max} (the primary included); detach a NIC first`);
  }
  for (const n of nics) {
    n.transition_status = 'attaching';
    n.instance_id = instanceId;
  }
  const job = sim.startJob(call.action, { kind: 'attachNics', nicIds: ids, instanceId }, [...ids, instanceId], { nics: ids, instance: instanceId });
  return { job_id: job.job_id };
};

const detachNics: ActionHandler = (sim, p, call) => {
  const ids = p.ids('nics', 'nic', { required: true });
  const nics = ids.map((id) => sim.idleNic(id));
  for (const n of nics) {
    if (n.status !== 'in-use') throw denied(`nic [${n.nic_id}] is not attached to any instance`);
    if (n.role === 1) throw denied(`nic [${n.nic_id}] is the primary NIC of instance [${n.instance_id}], can not be detached`);
  }
  for (const n of nics) n.transition_status = 'detaching';
  const instances = [...new Set(nics.map((n) => n.instance_id))];
  const job = sim.startJob(call.action, { kind: 'detachNics', nicIds: ids }, [...ids, ...instances], { nics: ids });
  return { job_id: job.job_id };
};

const deleteNics: ActionHandler = (sim, p) => {
  const ids = p.ids('nics', 'nic', { required: true });
  const nics = ids.map((id) => sim.idleNic(id));
  for (const n of nics) {
    if (n.status !== 'available') throw denied(`nic [${n.nic_id}] is attached to instance [${n.instance_id}], detach it first`);
  }
  for (const id of ids) delete sim.world.nics[id];
  sim.world.tag_pairs = sim.world.tag_pairs.filter((pair) => !ids.includes(pair.resource_id));
  sim.changed();
  return { nics: ids };
};

const modifyNicAttributes: ActionHandler = (sim, p) => {
  const nic = sim.idleNic(p.id('nic', 'nic', { required: true }));
  const name = p.str('nic_name', NAME_OPTIONS);
  const ip = p.str('private_ip', { maxLength: 64 });
  const vxnetId = p.id('vxnet', 'vxnet');
  if ((ip !== undefined || vxnetId !== undefined) && nic.status !== 'available') {
    throw denied(`nic [${nic.nic_id}] is in-use on instance [${nic.instance_id}], detach it before changing its address or vxnet`);
  }
  const target = vxnetId === undefined ? undefined : sim.vxnet(vxnetId);
  let newIp: string | undefined;
  if (target !== undefined || ip !== undefined) {
    const vxnet = target ?? sim.vxnet(nic.vxnet_id);
    const used = usedIps(sim, vxnet.vxnet_id);
    used.delete(vxnet.vxnet_id === nic.vxnet_id ? nic.private_ip : '');
    if (ip !== undefined) checkFixedIp(sim, vxnet, ip, used);
    newIp = ip ?? allocateIp(rangeOf(vxnet), used);
    if (newIp === undefined) throw denied(`vxnet [${vxnet.vxnet_id}] has no free private ip left; use another vxnet`);
  }
  if (name !== undefined) nic.nic_name = name;
  if (target !== undefined) nic.vxnet_id = target.vxnet_id;
  if (newIp !== undefined) nic.private_ip = newIp;
  sim.changed();
  return {};
};

/** NIC actions by name (CreateNics, DeleteNics and ModifyNicAttributes are synchronous). */
export const NIC_ACTIONS: Record<string, ActionHandler> = {
  DescribeNics: describeNics,
  CreateNics: createNics,
  AttachNics: attachNics,
  DetachNics: detachNics,
  DeleteNics: deleteNics,
  ModifyNicAttributes: modifyNicAttributes,
};
