// The hostnic plugin ↔ daemon protocol: the single contract between the exec'd `hostnic` CNI plugin (client) and
// hostnic-daemon (server). Types and constants only, so both sides (and `curl --unix-socket`) agree on one page.
//
// Transport: HTTP/1.1 over the daemon's unix socket (plugin config key `socket`, default DEFAULT_DAEMON_SOCKET).
// Every request and answer body is JSON (`content-type: application/json`). One request per connection
// (`connection: close`): the plugin is a short-lived process.
//
// Versioning: paths carry the major version (/v1/...). Every POST body carries `protocolVersion`
// (= PROTOCOL_VERSION); a daemon answers a body with a version it does not speak with HTTP 400 and an
// ErrorBody whose `code` is CNI_ERROR.IncompatibleVersion (1), naming both versions. Additions that older peers can
// ignore (new optional fields) keep the version; anything else bumps it and the path.
//
// Answers: HTTP 200 with the verb's answer body, or a non-200 status with an ErrorBody. The plugin prints
// `ErrorBody.code/msg/details` as the CNI error, so a daemon picks the CNI code (types.ts CNI_ERROR) and writes a
// `msg` an operator can act on (what failed, on which pod/NIC/node, what to do). Codes a daemon uses:
//   3   CHECK: the daemon has no attachment for (containerId, ifName)
//   7   a request value the daemon cannot use (e.g. serviceCIDR)
//   11  transient: the plugin (and the runtime) should retry, e.g. the daemon is still reconciling after start
//   101 the node is at its pod limit: msg names the limit and the node
//   102 no free address in any configured vxnet: msg names the vxnets
//   103 the QingCloud API failed: msg names the action and the cloud's message (never keys or signatures)
//   999 anything else
// Status choice for errors is informational (4xx: the request, 5xx: the daemon); the plugin reads `code`.
import type { CniResult } from './types.js';

/** The protocol version this file describes; carried in every POST body. */
export const PROTOCOL_VERSION = 1;

/** Where the daemon listens when the plugin config has no `socket` key. */
export const DEFAULT_DAEMON_SOCKET = '/run/hostnic/hostnic.sock';

/** Request paths. */
export const PROTOCOL_PATHS = {
  add: '/v1/cni/add',
  del: '/v1/cni/del',
  check: '/v1/cni/check',
  status: '/v1/cni/status',
  gc: '/v1/cni/gc',
} as const;

/**
 * How long the plugin waits for each answer (ms). ADD may include a cold NIC create + attach on the cloud, which
 * takes tens of seconds; DEL may detach; the rest are local lookups.
 */
export const DEFAULT_TIMEOUTS_MS = {
  add: 120_000,
  del: 60_000,
  check: 10_000,
  status: 10_000,
  gc: 10_000,
} as const;

/** A verb the protocol carries. */
export type ProtocolVerb = keyof typeof PROTOCOL_PATHS;

/**
 * CNI_ARGS parsed into a map (`K1=V1;K2=V2`, split on the first `=`). Kubernetes runtimes send K8S_POD_NAME,
 * K8S_POD_NAMESPACE, K8S_POD_UID, K8S_POD_INFRA_CONTAINER_ID and IgnoreUnknown; other keys pass through unchanged.
 */
export interface PodArgs {
  K8S_POD_NAME?: string;
  K8S_POD_NAMESPACE?: string;
  K8S_POD_UID?: string;
  K8S_POD_INFRA_CONTAINER_ID?: string;
  [key: string]: string | undefined;
}

/** Identifies one attachment: the runtime never runs two operations on the same one at once. */
export interface AttachmentRef {
  /** CNI_CONTAINERID (the pod sandbox id under Kubernetes). */
  containerId: string;
  /** CNI_IFNAME, the interface name inside the pod (usually eth0). */
  ifName: string;
}

/** Fields every verb on one attachment carries. */
export interface AttachmentRequest extends AttachmentRef {
  protocolVersion: typeof PROTOCOL_VERSION;
  /** CNI_NETNS: the pod's netns path. May be "" on DEL (the runtime already removed it). */
  netns: string;
  args: PodArgs;
}

/**
 * POST /v1/cni/add → 200 AddResponse.
 * The daemon gives the pod a NIC (passthrough into `netns` as `ifName`) plus the host veth, and answers the result.
 * The runtime never ADDs the same attachment twice without a DEL between; if the interface already exists in the
 * pod the daemon answers an error. On failure the runtime always follows with DEL.
 */
export interface AddRequest extends AttachmentRequest {
  /** The request config's runtimeConfig (capability args such as portMappings, bandwidth), passed through as is. */
  runtimeConfig?: Record<string, unknown>;
  /** The plugin config's `serviceCIDR`: traffic to it leaves the pod through the host veth (kube-proxy). */
  serviceCIDR?: string;
}

/**
 * The ADD answer. `result` must be a CNI 1.1.0 success result that chained plugins (portmap, bandwidth, tuning)
 * accept as prevResult: `interfaces` lists the host veth (no `sandbox`) and the pod NIC (`name` = ifName, `mac` =
 * the NIC's MAC, `sandbox` = netns); `ips` entries are `{address: "ip/prefix", gateway, interface: <index of the pod
 * NIC>}`; `routes` and `dns` as configured. The plugin checks this and renders it in the requested cniVersion.
 */
export interface AddResponse {
  result: CniResult;
}

/**
 * POST /v1/cni/del → 200 {} (body ignored).
 * Idempotent: an unknown attachment, a vanished netns (`netns` "" or gone) or a repeated DEL answers 200. The plugin
 * also treats code 3 (unknown container) as success.
 */
export interface DelRequest extends AttachmentRequest {
  /**
   * The runtime's cached ADD result, when it sent one (CNI ≥ 0.4.0) and it was readable: a hint (e.g. the NIC MAC)
   * for a daemon that lost its own record. Never required.
   */
  prevResult?: CniResult;
}

/**
 * POST /v1/cni/check → 200 {} when the attachment still matches `prevResult` (the final ADD result of the whole
 * chain, so it may hold interfaces, ips and routes of other plugins: check only what hostnic owns), else an error
 * (code 3 when the daemon has no such attachment).
 */
export interface CheckRequest extends AttachmentRequest {
  prevResult: CniResult;
}

/** GET /v1/cni/status → 200 StatusResponse (readiness is in the body, not the HTTP status). */
export type StatusResponse =
  | { ready: true; protocolVersion?: number }
  | {
      ready: false;
      /** 50 (cannot serve ADD) or 51 (and existing pods may have limited connectivity); others are shown as 50. */
      code: number;
      /** Why, e.g. "node i-abc runs 60 of 60 pods (maxPods)". */
      msg: string;
      details?: string;
      protocolVersion?: number;
    };

/**
 * POST /v1/cni/gc → 200 {}.
 * Every attachment of this network not listed is stale: release it (NIC back to the pool). The runtime runs GC
 * with no concurrent ADD/DEL. Continue past individual failures and report them together in one error.
 */
export interface GcRequest {
  protocolVersion: typeof PROTOCOL_VERSION;
  validAttachments: AttachmentRef[];
}

/** The body of every non-200 answer. */
export interface ErrorBody {
  /** A CNI error code (types.ts CNI_ERROR): the plugin prints it as is. */
  code: number;
  msg: string;
  details?: string;
}
