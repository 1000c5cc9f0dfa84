import { NetOpsError } from '../../src/cni/net/net-error.js';
import type { IpLink, IpLinkAddresses, IpRoute } from '../../src/cni/net/ip-json.js';
import {
  HOST_VETH_ADDRESS,
  POD_VETH_NAME,
  type AddPodResult,
  type DelPodResult,
  type DelPodSpec,
  type LinkInfo,
  type NetChangeOptions,
  type NetOps,
  type NetnsRef,
  type PodNetSpec,
} from '../../src/cni/net/net-ops.js';
import { podProblems, type ObservedNetns } from '../../src/cni/net/pod-check.js';
import { validateDelPodSpec, validatePodNetSpec } from '../../src/cni/net/pod-spec.js';
import { formatIpv4, networkOf, parseIpv4, parseNetns, validateIfName, validateMac, type ParsedNetns } from '../../src/cni/net/validate.js';

/** One link of the fake kernel. `peer` ties the two ends of a veth: deleting one end deletes the other. */
export interface FakeLink {
  name: string;
  mac: string;
  index: number;
  up: boolean;
  /** undefined = a physical NIC (survives its namespace: it goes back to the root namespace). */
  kind: string | undefined;
  addresses: { local: string; prefix: number; scope: string }[];
  peer?: { netns: string; name: string };
}

interface FakeNetns {
  links: FakeLink[];
  routes: IpRoute[];
}

/** The NetOps methods a test can make fail. */
export type FakeNetOpsMethod = 'netnsExists' | 'listLinks' | 'findLinkByMac' | 'linkExists' | 'addPod' | 'delPod' | 'checkPod';

/** Key of the root namespace in the fake. */
export const FAKE_ROOT_NETNS = '';
const NETNS_DIRS = ['/var/run/netns/', '/run/netns/'];

/**
 * A stateful in-memory NetOps: namespaces holding links (MAC, up, kind, addresses, veth peers) and routes.
 * It validates like IpNetOps, follows the design in src/cni/net/net-ops.ts, and CHECKs with the same pure podProblems().
 * "/var/run/netns/x" and "x" are the same namespace; the root namespace always exists.
 */
export class FakeNetOps implements NetOps {
  /** Every call, in order (method and its first argument). */
  readonly calls: { method: FakeNetOpsMethod; arg: unknown }[] = [];
  private readonly namespaces = new Map<string, FakeNetns>([[FAKE_ROOT_NETNS, { links: [], routes: [] }]]);
  private readonly failures: { method: FakeNetOpsMethod; error: Error }[] = [];
  private nextIndex = 2;
  private nextMac = 1;

  // ---- test set-up and inspection

  /** Creates a namespace (as `ip netns add` or a container runtime would); idempotent. */
  addNetns(ref: NetnsRef): this {
    const key = this.key(ref);
    if (!this.namespaces.has(key)) this.namespaces.set(key, { links: [this.newLink('lo', '00:00:00:00:00:00', undefined, true)], routes: [] });
    return this;
  }

  /** Deletes a namespace as the kernel does: physical NICs go back to the root namespace (down, no address), veths die with their peers. */
  deleteNetns(ref: NetnsRef): this {
    const key = this.key(ref);
    const ns = this.namespaces.get(key);
    if (ns === undefined || key === FAKE_ROOT_NETNS) return this;
    for (const link of [...ns.links]) {
      if (link.name === 'lo') continue;
      if (link.kind === undefined) this.moveLink(key, link, FAKE_ROOT_NETNS, this.freeName(FAKE_ROOT_NETNS, link.name, link.index));
      else this.deleteLink(key, link.name);
    }
    this.namespaces.delete(key);
    return this;
  }

  /** Hot-plugs a NIC: a physical link with this MAC, DOWN and without address (name defaults to eth<n>). */
  plugNic(mac: string, options: { netns?: NetnsRef; name?: string } = {}): FakeLink {
    const key = options.netns === undefined ? FAKE_ROOT_NETNS : this.key(options.netns);
    const ns = this.ns(key);
    const link = this.newLink(options.name ?? this.freeName(key, 'eth1', 0), validateMac(mac), undefined, false);
    if (ns.links.some((l) => l.name === link.name)) throw new Error(`FakeNetOps.plugNic: ${link.name} already exists in ${key || 'the root namespace'}`);
    ns.links.push(link);
    return link;
  }

  /** Detaches a NIC wherever it is (the cloud took it away). */
  unplugNic(mac: string): void {
    for (const [key, ns] of this.namespaces) {
      const link = ns.links.find((l) => l.mac === mac);
      if (link !== undefined) this.deleteLink(key, link.name);
    }
  }

  /** The link with this MAC and the namespace key ("" = root) it is in, if any. */
  whereIs(mac: string): { netns: string; link: FakeLink } | undefined {
    for (const [netns, ns] of this.namespaces) {
      const link = ns.links.find((l) => l.mac === mac);
      if (link !== undefined) return { netns, link };
    }
    return undefined;
  }

  /** The links of a namespace (live objects: tests may flip `up` or edit addresses to simulate drift). */
  linksIn(netns?: NetnsRef): FakeLink[] {
    return this.ns(this.keyOf(netns)).links;
  }

  /** The routes of a namespace (live array). */
  routesIn(netns?: NetnsRef): IpRoute[] {
    return this.ns(this.keyOf(netns)).routes;
  }

  /** Makes the next call of `method` reject with `error` (queued; first in, first out). */
  failNext(method: FakeNetOpsMethod, error: Error = new NetOpsError('Internal', `FakeNetOps: injected failure of ${method}`)): this {
    this.failures.push({ method, error });
    return this;
  }

  // ---- NetOps

  async netnsExists(netns: NetnsRef): Promise<boolean> {
    this.enter('netnsExists', netns);
    parseNetns(netns);
    return this.namespaces.has(this.key(netns));
  }

  async listLinks(netns?: NetnsRef): Promise<LinkInfo[]> {
    this.enter('listLinks', netns);
    return this.existing(this.keyOf(netns)).links.map(toInfo);
  }

  async findLinkByMac(mac: string, netns?: NetnsRef): Promise<LinkInfo | undefined> {
    this.enter('findLinkByMac', mac);
    const wanted = validateMac(mac);
    const link = this.existing(this.keyOf(netns)).links.find((l) => l.mac === wanted);
    return link === undefined ? undefined : toInfo(link);
  }

  async linkExists(name: string, netns?: NetnsRef): Promise<boolean> {
    this.enter('linkExists', name);
    validateIfName(name);
    const ns = this.namespaces.get(this.keyOf(netns));
    return ns !== undefined && ns.links.some((l) => l.name === name);
  }

  async addPod(spec: PodNetSpec, options: NetChangeOptions = {}): Promise<AddPodResult> {
    this.enter('addPod', spec);
    const s = validatePodNetSpec(spec);
    await options.after;
    const podKey = this.parsedKey(s.pod);
    const hostKey = this.parsedKey(s.host);
    const pod = this.existing(podKey);
    const host = this.existing(hostKey);
    const occupant = pod.links.find((l) => l.name === s.ifName);
    if (occupant !== undefined && occupant.mac !== s.mac) {
      throw new NetOpsError('AlreadyExists', `pod netns ${podKey} already has an interface ${s.ifName} that is not NIC ${s.mac}`);
    }
    let nic = pod.links.find((l) => l.mac === s.mac);
    if (nic === undefined) {
      const inHost = host.links.find((l) => l.mac === s.mac);
      if (inHost === undefined) throw new NetOpsError('NotFound', `NIC ${s.mac} is neither in the host nor in pod netns ${podKey}; wait for the hot-plug`);
      nic = this.moveLink(hostKey, inHost, podKey, s.ifName);
    } else {
      this.renameLink(podKey, nic, s.ifName);
    }
    this.dropRoutes(pod, nic.name);
    nic.up = true;
    nic.addresses = [{ local: s.ip, prefix: s.prefix, scope: 'global' }];
    setRoute(pod, { dst: `${formatIpv4(networkOf(parseIpv4(s.ip), s.prefix))}/${s.prefix}`, gateway: undefined, dev: s.ifName, scope: 'link', prefsrc: s.ip });
    setRoute(pod, { dst: 'default', gateway: s.gateway, dev: s.ifName, scope: 'global', prefsrc: undefined });
    // re-running ADD replaces the veth pair
    if (host.links.some((l) => l.name === s.hostVeth)) this.deleteLink(hostKey, s.hostVeth);
    if (pod.links.some((l) => l.name === POD_VETH_NAME)) this.deleteLink(podKey, POD_VETH_NAME);
    const hostVeth = this.newLink(s.hostVeth, this.randomMac(), 'veth', true);
    const podVeth = this.newLink(POD_VETH_NAME, this.randomMac(), 'veth', true);
    hostVeth.peer = { netns: podKey, name: POD_VETH_NAME };
    podVeth.peer = { netns: hostKey, name: s.hostVeth };
    hostVeth.addresses = [{ local: HOST_VETH_ADDRESS, prefix: 32, scope: 'link' }];
    host.links.push(hostVeth);
    pod.links.push(podVeth);
    setRoute(host, { dst: `${s.ip}/32`, gateway: undefined, dev: s.hostVeth, scope: 'link', prefsrc: HOST_VETH_ADDRESS });
    setRoute(pod, { dst: `${HOST_VETH_ADDRESS}/32`, gateway: undefined, dev: POD_VETH_NAME, scope: 'link', prefsrc: undefined });
    for (const cidr of s.serviceCidrs) setRoute(pod, { dst: cidr, gateway: HOST_VETH_ADDRESS, dev: POD_VETH_NAME, scope: 'global', prefsrc: undefined });
    for (const ip of s.hostIps) setRoute(pod, { dst: `${ip}/32`, gateway: HOST_VETH_ADDRESS, dev: POD_VETH_NAME, scope: 'global', prefsrc: undefined });
    return { podInterface: toInfo(nic), hostVeth: toInfo(hostVeth), podVeth: toInfo(podVeth) };
  }

  async delPod(spec: DelPodSpec, options: NetChangeOptions = {}): Promise<DelPodResult> {
    this.enter('delPod', spec);
    const s = validateDelPodSpec(spec);
    await options.after;
    const hostKey = this.parsedKey(s.host);
    const host = this.existing(hostKey);
    const podKey = s.pod === undefined ? undefined : this.parsedKey(s.pod);
    const pod = podKey === undefined ? undefined : this.namespaces.get(podKey);
    let nic: DelPodResult['nic'] = 'not-found';
    if (pod !== undefined && podKey !== undefined) {
      const link = pod.links.find((l) => l.mac === s.mac);
      if (link !== undefined) {
        if (host.links.some((l) => l.name === s.stableName)) throw new NetOpsError('AlreadyExists', `host already has a link ${s.stableName}`);
        this.moveLink(podKey, link, hostKey, s.stableName);
        nic = 'returned';
      }
    }
    const inHost = host.links.find((l) => l.mac === s.mac);
    if (inHost !== undefined) {
      if (nic === 'not-found') nic = 'already-in-host';
      inHost.up = false;
      inHost.addresses = [];
      this.dropRoutes(host, inHost.name);
      this.renameLink(hostKey, inHost, s.stableName);
    }
    let hostVethRemoved = false;
    if (host.links.some((l) => l.name === s.hostVeth)) hostVethRemoved = this.deleteLink(hostKey, s.hostVeth);
    if (pod !== undefined && podKey !== undefined && pod.links.some((l) => l.name === POD_VETH_NAME)) hostVethRemoved = this.deleteLink(podKey, POD_VETH_NAME) || hostVethRemoved;
    return nic === 'not-found' ? { nic, hostVethRemoved } : { nic, hostName: s.stableName, hostVethRemoved };
  }

  async checkPod(spec: PodNetSpec): Promise<string[]> {
    this.enter('checkPod', spec);
    const s = validatePodNetSpec(spec);
    const pod = this.namespaces.get(this.parsedKey(s.pod));
    if (pod === undefined) return [`pod network namespace ${spec.podNetns} does not exist`];
    const host = this.namespaces.get(this.parsedKey(s.host));
    return podProblems(s, observe(pod), host === undefined ? undefined : observe(host));
  }

  // ---- internals

  private enter(method: FakeNetOpsMethod, arg: unknown): void {
    this.calls.push({ method, arg });
    const i = this.failures.findIndex((f) => f.method === method);
    if (i >= 0) {
      const [failure] = this.failures.splice(i, 1);
      throw failure!.error;
    }
  }

  private key(ref: NetnsRef): string {
    return this.parsedKey(parseNetns(ref));
  }

  private keyOf(ref: NetnsRef | undefined): string {
    return ref === undefined ? FAKE_ROOT_NETNS : this.key(ref);
  }

  private parsedKey(ns: ParsedNetns | undefined): string {
    if (ns === undefined) return FAKE_ROOT_NETNS;
    if (ns.kind === 'name') return ns.name;
    const dir = NETNS_DIRS.find((d) => ns.path.startsWith(d) && !ns.path.slice(d.length).includes('/'));
    return dir === undefined ? ns.path : ns.path.slice(dir.length);
  }

  private ns(key: string): FakeNetns {
    const ns = this.namespaces.get(key);
    if (ns === undefined) throw new Error(`FakeNetOps: namespace ${key} does not exist; call addNetns first`);
    return ns;
  }

  private existing(key: string): FakeNetns {
    const ns = this.namespaces.get(key);
    if (ns === undefined) throw new NetOpsError('NotFound', `network namespace ${key} does not exist`);
    return ns;
  }

  private newLink(name: string, mac: string, kind: string | undefined, up: boolean): FakeLink {
    return { name, mac, index: this.nextIndex++, up, kind, addresses: [] };
  }

  private randomMac(): string {
    const n = this.nextMac++;
    return `0e:00:00:00:${Math.floor(n / 256).toString(16).padStart(2, '0')}:${(n % 256).toString(16).padStart(2, '0')}`;
  }

  private freeName(key: string, wanted: string, index: number): string {
    const ns = this.namespaces.get(key);
    if (ns === undefined || !ns.links.some((l) => l.name === wanted)) return wanted;
    let n = index;
    while (ns.links.some((l) => l.name === `dev${n}`)) n += 1;
    return `dev${n}`;
  }

  /** Moving flushes addresses and routes and sets the link down, as the kernel does. */
  private moveLink(fromKey: string, link: FakeLink, toKey: string, newName: string): FakeLink {
    const from = this.ns(fromKey);
    const to = this.ns(toKey);
    if (to.links.some((l) => l.name === newName)) throw new NetOpsError('AlreadyExists', `a link ${newName} already exists in ${toKey || 'the root namespace'}`);
    from.links.splice(from.links.indexOf(link), 1);
    this.dropRoutes(from, link.name);
    link.name = newName;
    link.up = false;
    link.addresses = [];
    to.links.push(link);
    return link;
  }

  private renameLink(key: string, link: FakeLink, newName: string): void {
    if (link.name === newName) return;
    const ns = this.ns(key);
    if (ns.links.some((l) => l.name === newName)) throw new NetOpsError('AlreadyExists', `a link ${newName} already exists in ${key || 'the root namespace'}`);
    this.dropRoutes(ns, link.name);
    link.name = newName;
  }

  private deleteLink(key: string, name: string): boolean {
    const ns = this.namespaces.get(key);
    const link = ns?.links.find((l) => l.name === name);
    if (ns === undefined || link === undefined) return false;
    ns.links.splice(ns.links.indexOf(link), 1);
    this.dropRoutes(ns, name);
    if (link.peer !== undefined) this.deleteLink(link.peer.netns, link.peer.name);
    return true;
  }

  private dropRoutes(ns: FakeNetns, dev: string): void {
    for (let i = ns.routes.length - 1; i >= 0; i -= 1) if (ns.routes[i]!.dev === dev) ns.routes.splice(i, 1);
  }
}

function toInfo(link: FakeLink): LinkInfo {
  return { name: link.name, mac: link.mac, index: link.index, up: link.up, kind: link.kind };
}

function setRoute(ns: FakeNetns, route: IpRoute): void {
  const i = ns.routes.findIndex((r) => r.dst === route.dst);
  if (i >= 0) ns.routes.splice(i, 1);
  ns.routes.push(route);
}

function observe(ns: FakeNetns): ObservedNetns {
  const links: IpLink[] = ns.links.map((l) => ({ index: l.index, name: l.name, mac: l.mac, up: l.up, kind: l.kind }));
  const addresses: IpLinkAddresses[] = ns.links.map((l) => ({
    index: l.index,
    name: l.name,
    addresses: l.addresses.map((a) => ({ family: 'inet' as const, local: a.local, prefix: a.prefix, scope: a.scope })),
  }));
  // a down link's routes are not used (the kernel drops them); CHECK sees what the kernel would show
  const downDevs = new Set(ns.links.filter((l) => !l.up).map((l) => l.name));
  return { links, addresses, routes: ns.routes.filter((r) => r.dev === undefined || !downDevs.has(r.dev)) };
}
