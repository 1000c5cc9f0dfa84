/*
 * hostnic pod networking (passthrough mode): what NetOps leaves behind.
 *
 * Namespaces. "host" is the namespace the NIC is hot-plugged into: the root namespace by default, or any namespace
 * named/pathed by the caller (the simulator and the e2e test use a netns per simulated node). "pod" is CNI_NETNS.
 * A reference is a name under /var/run/netns (`ip -n <name>`) or an absolute path (`nsenter --net=<path> ip …`, since
 * `ip -n` only takes names); `ip link set … netns <ref>` takes either.
 *
 * ADD (addPod), for NIC <mac> with address <ip>/<prefix> and vxnet gateway <gw>:
 *   host:  NIC link (found by MAC, any name, DOWN, no address)
 *          --`ip link set dev <nic> netns <pod> name <ifName>` (one netlink call: move and rename, so a host eth0 and a
 *            pod eth0 never clash)-->
 *   pod:   <ifName>   = NIC, UP, <ip>/<prefix>; `default via <gw> dev <ifName>`
 *   veth:  host `hn<8 hex of sha256(container id)>` <──> pod `hostnic-v`
 *   host:  hn…        UP, 169.254.1.1/32 scope link (the same address on every host veth, like a link-local gateway);
 *                     `<ip>/32 dev hn… scope link src 169.254.1.1`
 *   pod:   hostnic-v  UP, no address; `169.254.1.1/32 dev hostnic-v scope link`;
 *                     `<service CIDR> via 169.254.1.1 dev hostnic-v` (kube-proxy on the host handles services);
 *                     `<host IP>/32 via 169.254.1.1 dev hostnic-v` for each host IP given.
 * Return traffic. The node reaches the pod over the veth; host-originated packets leave with source 169.254.1.1 (the
 * route's src), so the pod answers them over hostnic-v without knowing any node address, and the vxnet never sees
 * host↔pod traffic (no asymmetric path for rp_filter or the SDN to drop). Packets the host forwards or SNATs to a node
 * IP (kube-proxy masquerade, NodePort) come back over the veth through the `<host IP>/32` routes. Service traffic whose
 * backend answers over the vxnet must be masqueraded by the host (kube-proxy's job, not NetOps'), as in hostnic.
 * Everything else (vxnet, Internet) uses the NIC and the vxnet gateway.
 * Fast path. ADD runs as two `ip -batch` execs, one in the host (move the NIC by its known name, make and wire the veth)
 * and one in the pod (address, routes, read back the links), and verifies the moved link's MAC; DEL reads the pod's links
 * once and runs one batch there (down, flush, move back, delete the veth pair by its pod end). Anything unexpected (a
 * step fails, the name is stale, a leftover veth) hands over to the step-by-step path below, which is re-runnable from
 * any state the batch may have left, so the outcome is the same and only the cost differs.
 * ADD does not roll back: a failed ADD is always followed by DEL (CNI spec), which removes whatever ADD left. ADD can be
 * re-run: a NIC already in the pod is reconfigured, addresses are flushed and re-added, routes replaced, an existing
 * host veth of the same container replaced.
 *
 * DEL (delPod): in the pod (if it still exists) the NIC is set down, flushed and moved back to the host as
 * `hn_<last 4 octets of the MAC>`; a NIC already in the host (a vanished pod netns hands physical NICs back to the root
 * namespace) is set down, flushed and renamed the same way; the host veth (and with it the pod end and both /32 routes)
 * is deleted. Missing netns, NIC or veth is success, so DEL can repeat.
 *
 * CHECK (checkPod): lists every difference from the ADD picture above; empty means healthy.
 */

/** A network namespace: a name under /var/run/netns or an absolute nsfs path (CNI_NETNS). undefined = the root namespace. */
export type NetnsRef = string;

/** Name of the pod end of the host veth pair. */
export const POD_VETH_NAME = 'hostnic-v';
/** Link-scope address of every host veth end: the pod's next hop to the host. */
export const HOST_VETH_ADDRESS = '169.254.1.1';

/** One link as `ip -json -details link show` reports it. */
export interface LinkInfo {
  name: string;
  /** Lower-case MAC; undefined for links without one. */
  mac: string | undefined;
  index: number;
  /** Administratively up. */
  up: boolean;
  /** Driver kind ("veth", "bridge", …); undefined for physical NICs and lo. */
  kind: string | undefined;
}

/** Everything ADD and CHECK need to know about one pod. */
export interface PodNetSpec {
  /** CNI_CONTAINERID: names the host veth. */
  containerId: string;
  /** CNI_NETNS: the pod's namespace (path or name). */
  podNetns: NetnsRef;
  /** CNI_IFNAME: the name the NIC gets in the pod (e.g. eth0). */
  ifName: string;
  /** The NIC id = its MAC (52:54:…). */
  nicMac: string;
  /** The NIC's private IP with the vxnet prefix, e.g. 192.168.1.10/24. */
  address: string;
  /** The vxnet gateway (inside `address`'s prefix). */
  gateway: string;
  /** Service CIDRs routed to the host over the veth (canonical, e.g. 10.96.0.0/12). */
  serviceCidrs: readonly string[];
  /** Node addresses whose traffic to the pod must be answered over the veth (e.g. the node's primary IP). */
  hostIps?: readonly string[];
  /** Where the NIC was hot-plugged; default: the root namespace. */
  hostNetns?: NetnsRef;
  /**
   * The NIC's link name in the host netns when the caller knows it (default: its stable name hn_<mac tail>, which DEL
   * gives it). ADD then skips the link listings; a wrong or stale name only costs the step-by-step ADD, never a wrong NIC.
   */
  nicName?: string;
}

/** What DEL needs: the pod netns may be empty or already gone. */
export interface DelPodSpec {
  containerId: string;
  /** CNI_NETNS; undefined or "" when the runtime has none any more. */
  podNetns?: NetnsRef;
  nicMac: string;
  hostNetns?: NetnsRef;
}

/** The links ADD left behind (the daemon builds the CNI result from them). */
export interface AddPodResult {
  /** The NIC in the pod: name = ifName, mac = the NIC id. */
  podInterface: LinkInfo;
  /** Host end of the veth pair. */
  hostVeth: LinkInfo;
  /** Pod end of the veth pair. */
  podVeth: LinkInfo;
}

/** Where DEL found the NIC: moved back from the pod, already in the host, or nowhere (the daemon reconciles). */
export type DelNicOutcome = 'returned' | 'already-in-host' | 'not-found';

/** What DEL did. */
export interface DelPodResult {
  nic: DelNicOutcome;
  /** The NIC's name in the host after DEL (hn_<mac tail>), unless not found. */
  hostName?: string;
  /** A veth pair of this container existed and was deleted. */
  hostVethRemoved: boolean;
}

/** Options of the NetOps calls that change the kernel. */
export interface NetChangeOptions {
  /**
   * The first change waits for it (the checkpoint announcing the changes); validation, lookups and starting the tools
   * overlap it. When it rejects, nothing is changed and the call rejects with its reason.
   */
  after?: Promise<unknown>;
}

/**
 * Network-namespace operations of the hostnic daemon (the only thing it calls to touch links, addresses and routes).
 * Every method validates its inputs first (MAC, interface names ≤15 chars, IPv4 CIDRs, namespace names/paths) and throws
 * NetOpsError: InvalidArgument, NotFound (namespace/NIC missing where required), AlreadyExists, Busy, Internal.
 */
export interface NetOps {
  /** Whether the namespace exists (stat of /var/run/netns/<name> or of the path). */
  netnsExists(netns: NetnsRef): Promise<boolean>;
  /** `ip [-n ns] -json -details link show`; NotFound when the namespace is missing. */
  listLinks(netns?: NetnsRef): Promise<LinkInfo[]>;
  /** The link whose MAC is `mac` (`ip -json link show` filtered by address); undefined when none. */
  findLinkByMac(mac: string, netns?: NetnsRef): Promise<LinkInfo | undefined>;
  /** `ip link show dev <name>` succeeds; false also when the namespace is missing. */
  linkExists(name: string, netns?: NetnsRef): Promise<boolean>;
  /**
   * ADD: `ip link set dev <nic> netns <pod> name <ifName>`, `ip addr add`, `ip route replace default via <gw>`,
   * `ip link add hn… type veth peer name hostnic-v netns <pod>`, the /32 and service routes (see the design above).
   * NotFound when the pod netns or the NIC (in host or pod) is missing; AlreadyExists when another link holds ifName in the pod.
   */
  addPod(spec: PodNetSpec, options?: NetChangeOptions): Promise<AddPodResult>;
  /** DEL: `ip link set dev <ifName> down`, `ip addr flush`, `ip link set … netns <host> name hn_<mac tail>`, `ip link del hn…`; idempotent. */
  delPod(spec: DelPodSpec, options?: NetChangeOptions): Promise<DelPodResult>;
  /** CHECK: compares pod and host with what ADD leaves (`ip -json link/addr/route show`); returns the problems, [] when healthy. */
  checkPod(spec: PodNetSpec): Promise<string[]>;
}
