import { BaseError, type BaseErrorOptions } from '../../shared/errors.js';

/** The closed set of NIC failures the daemon branches on. */
export type NicErrorKind = 'NotFound' | 'LimitExceeded' | 'NoAddresses' | 'Busy' | 'Internal';

/** A NicProvider failure, already classified; `message` names the action, the NICs/vxnet/instance and the next step. */
export class NicProviderError extends BaseError {
  constructor(
    readonly kind: NicErrorKind,
    message: string,
    options?: BaseErrorOptions,
  ) {
    super(`NIC_${kind.toUpperCase()}`, message, options);
  }
}

/** True when `err` is a NicProviderError (of `kind`, when given). */
export function isNicError(err: unknown, kind?: NicErrorKind): err is NicProviderError {
  return err instanceof NicProviderError && (kind === undefined || err.kind === kind);
}

/** The name every hostnic NIC of `instanceId` carries: a daemon that lost its disk finds its NICs by it. */
export function nicNameFor(instanceId: string): string {
  return `hostnic_${instanceId}`;
}

/** Where a cloud NIC is: not attached, attached to `instanceId`, or in a transition between the two. */
export type CloudNicState = 'available' | 'attaching' | 'attached' | 'detaching';

/** A NIC as the cloud reports it. */
export interface CloudNic {
  /** The NIC id, which is its MAC (lower case). */
  nicId: string;
  name: string;
  vxnetId: string;
  privateIp: string;
  state: CloudNicState;
  /** The instance it is (being) attached to; undefined when available. */
  instanceId: string | undefined;
  /** The instance's primary NIC (never ours to touch). */
  primary: boolean;
}

/** A NIC CreateNics made. */
export interface CreatedNic {
  nicId: string;
  privateIp: string;
  vxnetId: string;
}

/** What the daemon needs of a vxnet. */
export interface VxnetInfo {
  vxnetId: string;
  /** The VPC router the vxnet belongs to; undefined for vxnets outside a VPC. */
  vpcRouterId: string | undefined;
  /** The vxnet network in CIDR notation (router.ip_network), undefined when the vxnet has no router. */
  network: string | undefined;
  /** The gateway (router.manager_ip). */
  gateway: string | undefined;
  dhcpStart: string | undefined;
  dhcpEnd: string | undefined;
  /** Addresses still free for new NICs. */
  freeAddresses: number;
}

/** What the daemon needs of its own instance. */
export interface NodeInfo {
  instanceId: string;
  /** The vxnet of the primary NIC. */
  primaryVxnetId: string | undefined;
  /** Private IPs of the primary NIC(s): the pod routes them over the host veth. */
  primaryIps: string[];
}

/**
 * The cloud side of hostnic's NICs, shaped for the daemon. Every NIC created is named nicNameFor(instance).
 * Idempotency: detach of a detached NIC and delete of a deleted NIC succeed; create is not idempotent (no client
 * token), so callers checkpoint an intent first and reconcile adopts NICs found by name. Errors are NicProviderError.
 */
export interface NicProvider {
  /** NICs named for `instanceId` (any state) and NICs attached to it (primary and foreign ones included, flagged). */
  listOwned(instanceId: string): Promise<CloudNic[]>;
  /** CreateNics in `vxnetId`; NoAddresses when the vxnet is full, LimitExceeded on quota. */
  create(vxnetId: string, count: number): Promise<CreatedNic[]>;
  /** One AttachNics for all `nicIds`, waiting for its job; LimitExceeded when the instance has no NIC slot left. */
  attach(nicIds: readonly string[], instanceId: string): Promise<void>;
  /** One DetachNics for all `nicIds`, waiting for its job; NICs already detached or gone are skipped. */
  detach(nicIds: readonly string[]): Promise<void>;
  /** DeleteNics (NICs must be detached); NICs already gone are skipped. */
  delete(nicIds: readonly string[]): Promise<void>;
  /** Free addresses per vxnet id (vxnets that do not exist are left out). */
  freeAddresses(vxnetIds: readonly string[]): Promise<Map<string, number>>;
  /** The vxnets that exist among `vxnetIds`. */
  describeVxnets(vxnetIds: readonly string[]): Promise<VxnetInfo[]>;
  /** The instance; NotFound when it does not exist. */
  describeNode(instanceId: string): Promise<NodeInfo>;
}
