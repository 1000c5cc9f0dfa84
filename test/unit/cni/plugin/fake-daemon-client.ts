import type { AddRequest, AddResponse, CheckRequest, DelRequest, GcRequest, ProtocolVerb, StatusResponse } from '../../../../src/cni/protocol.js';
import { CNI_ERROR, type CniResult } from '../../../../src/cni/types.js';
import { DaemonAnswerError, type DaemonClient } from '../../../../src/cni/plugin/daemon.js';

/** One call the fake saw. */
export interface FakeDaemonCall {
  verb: ProtocolVerb;
  request?: unknown;
}

interface Attachment {
  request: AddRequest;
  result: CniResult;
}

/**
 * A stateful hostnic daemon behind the DaemonClient port: hands out one NIC per attachment up to `maxPods`,
 * keeps attachments until DEL/GC, answers CHECK from its records. Also used by the integration fake HTTP daemon.
 */
export class FakeDaemonClient implements DaemonClient {
  readonly calls: FakeDaemonCall[] = [];
  readonly attachments = new Map<string, Attachment>();
  statusAnswer: StatusResponse = { ready: true };
  maxPods = 60;
  nodeName = 'i-fake0001';
  /** Thrown by the next call (whatever its verb), then cleared. */
  failNext: Error | undefined;
  private allocated = 0;

  constructor(readonly socketPath = '/run/hostnic/hostnic.sock') {}

  private static key(containerId: string, ifName: string): string {
    return `${containerId}/${ifName}`;
  }

  private record(verb: ProtocolVerb, request?: unknown): void {
    this.calls.push({ verb, request });
    const failure = this.failNext;
    if (failure) {
      this.failNext = undefined;
      throw failure;
    }
  }

  private answerError(verb: ProtocolVerb, cniCode: number, msg: string): DaemonAnswerError {
    return new DaemonAnswerError(verb, this.socketPath, cniCode === CNI_ERROR.UnknownContainer ? 404 : 409, cniCode, msg);
  }

  async add(request: AddRequest): Promise<AddResponse> {
    this.record('add', request);
    const key = FakeDaemonClient.key(request.containerId, request.ifName);
    if (this.attachments.has(key)) {
      throw this.answerError('add', CNI_ERROR.Internal, `interface ${request.ifName} already exists in container ${request.containerId}`);
    }
    if (this.attachments.size >= this.maxPods) {
      throw this.answerError('add', CNI_ERROR.NodePodLimit, `node ${this.nodeName} runs ${this.attachments.size} of ${this.maxPods} pods (maxPods): no pod NIC for ${request.args.K8S_POD_NAMESPACE ?? '?'}/${request.args.K8S_POD_NAME ?? '?'}`);
    }
    const n = ++this.allocated;
    const hex = n.toString(16).padStart(2, '0');
    const result: CniResult = {
      interfaces: [
        { name: `hnic${hex}`, mac: `ee:ee:ee:00:00:${hex}` },
        { name: request.ifName, mac: `52:54:9e:00:00:${hex}`, mtu: 1500, sandbox: request.netns },
      ],
      ips: [{ address: `172.22.1.${n + 10}/24`, gateway: '172.22.1.1', interface: 1 }],
      routes: [
        { dst: '0.0.0.0/0', gw: '172.22.1.1' },
        ...(request.serviceCIDR ? [{ dst: request.serviceCIDR, gw: '169.254.1.1', scope: 0 }] : []),
      ],
      dns: {},
    };
    this.attachments.set(key, { request, result });
    return { result };
  }

  /** Idempotent: unknown or already deleted attachments succeed. */
  async del(request: DelRequest): Promise<void> {
    this.record('del', request);
    this.attachments.delete(FakeDaemonClient.key(request.containerId, request.ifName));
  }

  async check(request: CheckRequest): Promise<void> {
    this.record('check', request);
    const att = this.attachments.get(FakeDaemonClient.key(request.containerId, request.ifName));
    if (!att) throw this.answerError('check', CNI_ERROR.UnknownContainer, `no attachment ${request.containerId}/${request.ifName} on node ${this.nodeName}`);
    const mac = att.result.interfaces[1]?.mac;
    if (!request.prevResult.interfaces.some((i) => i.mac === mac && i.sandbox === request.netns)) {
      throw this.answerError('check', CNI_ERROR.Internal, `prevResult does not list pod NIC ${mac} in ${request.netns}`);
    }
  }

  async status(): Promise<StatusResponse> {
    this.record('status');
    return this.statusAnswer;
  }

  async gc(request: GcRequest): Promise<void> {
    this.record('gc', request);
    const valid = new Set(request.validAttachments.map((a) => FakeDaemonClient.key(a.containerId, a.ifName)));
    for (const key of [...this.attachments.keys()]) if (!valid.has(key)) this.attachments.delete(key);
  }
}
