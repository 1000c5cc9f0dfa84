import { stat as fsStat } from 'node:fs/promises';
import { CommandFailedError, type CommandResult, type CommandRunner } from '../../shared/exec.js';
import { isErrno, messageOf } from '../../shared/errors.js';
import { parseIpAddresses, parseIpLinks, parseIpRoutes, type IpLink } from './ip-json.js';
import { NetOpsError, type NetOpsErrorKind } from './net-error.js';
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
} from './net-ops.js';
import { podProblems, type ObservedNetns } from './pod-check.js';
import { describeNetns, validateDelPodSpec, validatePodNetSpec, type ValidDelPodSpec, type ValidPodNetSpec } from './pod-spec.js';
import { parseNetns, validateIfName, validateMac, type ParsedNetns } from './validate.js';

/** Construction options of IpNetOps. */
export interface IpNetOpsOptions {
  runner: CommandRunner;
  /** Existence check for namespace files (default node:fs/promises stat). */
  stat?: (path: string) => Promise<unknown>;
  /** Per `ip` command. Default 10 s: netlink calls are instant unless the kernel is stuck, and then ADD must fail, not hang. */
  commandTimeoutMs?: number;
  /** Where `ip netns add` keeps named namespaces (iproute2's NETNS_RUN_DIR). Default /var/run/netns. */
  netnsDir?: string;
  /**
   * How commands running inside another namespace name the root namespace when a NIC moves back there.
   * Default /proc/<this process's pid>/ns/net (nsenter changes only the network namespace, so /proc is still ours).
   */
  rootNetnsPath?: string;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
const DEFAULT_NETNS_DIR = '/var/run/netns';

const ADVICE: Readonly<Record<NetOpsErrorKind, string>> = {
  NotFound: 'the namespace or link is gone; look it up again before retrying',
  AlreadyExists: 'another link already holds that name or address; remove it or choose another name',
  InvalidArgument: 'check the arguments',
  Busy: 'the device is busy; retry shortly',
  Internal: 'check the iproute2 message and the kernel log (dmesg)',
};

/** Maps an iproute2/nsenter error message to a NetOps error kind (the tools offer nothing but their stderr). */
export function classifyIpFailure(stderr: string): NetOpsErrorKind {
  if (/Cannot find device|No such device|Cannot open network namespace|cannot open .*No such file|No such file or directory/i.test(stderr)) return 'NotFound';
  if (/File exists|already exists/i.test(stderr)) return 'AlreadyExists';
  if (/Device or resource busy/i.test(stderr)) return 'Busy';
  return 'Internal';
}

/** The argv running `ip <args>` inside `ns`: plain in the root namespace, `ip -n` for names, `nsenter --net=` for paths. */
export function ipCommand(ns: ParsedNetns | undefined, args: readonly string[]): { command: string; args: string[] } {
  if (ns === undefined) return { command: 'ip', args: [...args] };
  if (ns.kind === 'name') return { command: 'ip', args: ['-n', ns.name, ...args] };
  return { command: 'nsenter', args: [`--net=${ns.path}`, '--', 'ip', ...args] };
}

function toLinkInfo(link: { name: string; mac: string | undefined; index: number; up: boolean; kind: string | undefined }): LinkInfo {
  return { name: link.name, mac: link.mac, index: link.index, up: link.up, kind: link.kind };
}

/** NetOps over iproute2 (`ip -json`) and util-linux `nsenter`, run through the CommandRunner port. */
export class IpNetOps implements NetOps {
  private readonly runner: CommandRunner;
  private readonly stat: (path: string) => Promise<unknown>;
  private readonly timeoutMs: number;
  private readonly netnsDir: string;
  private readonly rootNetnsPath: string;

  constructor(options: IpNetOpsOptions) {
    this.runner = options.runner;
    this.stat = options.stat ?? fsStat;
    this.timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.netnsDir = options.netnsDir ?? DEFAULT_NETNS_DIR;
    this.rootNetnsPath = options.rootNetnsPath ?? `/proc/${process.pid}/ns/net`;
  }

  async netnsExists(netns: NetnsRef): Promise<boolean> {
    return this.exists(parseNetns(netns));
  }

  async listLinks(netns?: NetnsRef): Promise<LinkInfo[]> {
    return (await this.links(netns === undefined ? undefined : parseNetns(netns))).map(toLinkInfo);
  }

  async findLinkByMac(mac: string, netns?: NetnsRef): Promise<LinkInfo | undefined> {
    const wanted = validateMac(mac);
    return (await this.listLinks(netns)).find((link) => link.mac === wanted);
  }

  async linkExists(name: string, netns?: NetnsRef): Promise<boolean> {
    validateIfName(name);
    const ns = netns === undefined ? undefined : parseNetns(netns);
    const result = await this.tryIp(ns, ['link', 'show', 'dev', name]);
    return result.exitCode === 0;
  }

  async addPod(spec: PodNetSpec, options: NetChangeOptions = {}): Promise<AddPodResult> {
    const s = validatePodNetSpec(spec);
    const after = options.after ?? Promise.resolve();
    await this.requireNetns(s.pod, 'ADD needs the pod network namespace; the runtime must create it before ADD');
    if (s.host !== undefined) await this.requireNetns(s.host, 'pass an existing host namespace');
    const fast = await this.fastAdd(s, after);
    if (fast !== undefined) return fast;
    await after;
    await this.moveNicIntoPod(s);
    await this.configureNic(s);
    await this.createVeth(s);
    const podLinks = await this.links(s.pod);
    const hostLinks = await this.links(s.host);
    const podInterface = podLinks.find((l) => l.name === s.ifName);
    const podVeth = podLinks.find((l) => l.name === POD_VETH_NAME);
    const hostVeth = hostLinks.find((l) => l.name === s.hostVeth);
    if (podInterface === undefined || podVeth === undefined || hostVeth === undefined) {
      throw new NetOpsError('Internal', `ADD of container ${s.containerId}: links vanished right after being set up in ${describeNetns(s.pod)}; was the namespace deleted? Run DEL and retry`);
    }
    return { podInterface: toLinkInfo(podInterface), podVeth: toLinkInfo(podVeth), hostVeth: toLinkInfo(hostVeth) };
  }

  async delPod(spec: DelPodSpec, options: NetChangeOptions = {}): Promise<DelPodResult> {
    const s = validateDelPodSpec(spec);
    const after = options.after ?? Promise.resolve();
    if (s.host !== undefined) await this.requireNetns(s.host, 'pass an existing host namespace');
    let nic: DelPodResult['nic'] = 'not-found';
    const pod = s.pod !== undefined && (await this.exists(s.pod)) ? s.pod : undefined;
    const fast = pod === undefined ? undefined : await this.fastDel(s, pod, after);
    if (fast !== undefined) return fast;
    await after;
    if (pod !== undefined) {
      // The pod netns may vanish at any moment (the runtime deletes it concurrently): a failure there is success once it is gone.
      const returned = await this.whilePodExists(pod, () => this.returnNicFromPod(s, pod), false);
      if (returned) nic = 'returned';
    }
    const inHost = (await this.links(s.host)).find((l) => l.mac === s.mac);
    if (inHost !== undefined) {
      if (nic === 'not-found') nic = 'already-in-host';
      await this.quiesceNic(s.host, inHost.name, inHost.up);
      if (inHost.name !== s.stableName) await this.ip(s.host, ['link', 'set', 'dev', inHost.name, 'name', s.stableName], `renaming NIC ${s.mac} to ${s.stableName}`);
    }
    // Deleting the host end removes the pod end and both /32 routes with it.
    let hostVethRemoved = await this.deleteLinkIfPresent(s.host, s.hostVeth);
    if (pod !== undefined) {
      // a pod end whose host end is already gone
      const podEndRemoved = await this.whilePodExists(pod, () => this.deleteLinkIfPresent(pod, POD_VETH_NAME), false);
      hostVethRemoved ||= podEndRemoved;
    }
    return nic === 'not-found' ? { nic, hostVethRemoved } : { nic, hostName: s.stableName, hostVethRemoved };
  }

  async checkPod(spec: PodNetSpec): Promise<string[]> {
    const s = validatePodNetSpec(spec);
    if (!(await this.exists(s.pod))) return [`pod ${describeNetns(s.pod)} does not exist`];
    const pod = await this.observe(s.pod);
    const host = s.host === undefined || (await this.exists(s.host)) ? await this.observe(s.host) : undefined;
    return podProblems(s, pod, host);
  }

  // ---- fast paths (see net-ops.ts): a few `ip -batch` execs; undefined hands over to the step-by-step path

  private async fastAdd(s: ValidPodNetSpec, after: Promise<unknown>): Promise<AddPodResult | undefined> {
    const pod = this.netnsTarget(s.pod);
    const hostLines = [
      ['link', 'set', 'dev', s.nicName, 'down'],
      ['link', 'set', 'dev', s.nicName, 'netns', pod, 'name', s.ifName],
      ['link', 'add', 'name', s.hostVeth, 'type', 'veth', 'peer', 'name', POD_VETH_NAME, 'netns', pod],
      ['addr', 'replace', `${HOST_VETH_ADDRESS}/32`, 'dev', s.hostVeth, 'scope', 'link'],
      ['link', 'set', 'dev', s.hostVeth, 'up'],
      ['route', 'replace', `${s.ip}/32`, 'dev', s.hostVeth, 'scope', 'link', 'src', HOST_VETH_ADDRESS],
      ['link', 'show', 'dev', s.hostVeth],
    ];
    const hostSide = this.batch(s.host, after.then(() => hostLines));
    const podLines = [
      ['addr', 'flush', 'dev', s.ifName],
      ['link', 'set', 'dev', s.ifName, 'up'],
      ['addr', 'add', s.address, 'dev', s.ifName],
      ['route', 'replace', 'default', 'via', s.gateway, 'dev', s.ifName],
      ['link', 'set', 'dev', POD_VETH_NAME, 'up'],
      ['route', 'replace', `${HOST_VETH_ADDRESS}/32`, 'dev', POD_VETH_NAME, 'scope', 'link'],
      ...s.serviceCidrs.map((cidr) => ['route', 'replace', cidr, 'via', HOST_VETH_ADDRESS, 'dev', POD_VETH_NAME]),
      ...s.hostIps.map((hostIp) => ['route', 'replace', `${hostIp}/32`, 'via', HOST_VETH_ADDRESS, 'dev', POD_VETH_NAME]),
      ['link', 'show', 'dev', s.ifName],
      ['link', 'show', 'dev', POD_VETH_NAME],
    ];
    // Forked once changes may begin, so its fork overlaps the host side's ≈ 20 ms NIC move rather than the checkpoint write.
    const podSide = after.then(() => this.batch(s.pod, hostSide.then((host) => (host.failedLine === undefined ? podLines : undefined))));
    const [host, inPod] = await Promise.all([hostSide, podSide]);
    if (host.failedLine !== undefined || inPod.failedLine !== undefined) return undefined;
    const [hostVeth] = host.shown;
    const [podInterface, podVeth] = inPod.shown;
    if (podInterface === undefined || podVeth === undefined || hostVeth === undefined) return undefined;
    if (podInterface.mac !== s.mac) {
      // The name pointed at another link (renamed behind our back): give it back under its old name, then go step by step.
      await this.ip(s.pod, ['link', 'set', 'dev', s.ifName, 'netns', this.netnsTarget(s.host), 'name', s.nicName], `returning link ${podInterface.mac ?? '?'} that is not NIC ${s.mac} to ${describeNetns(s.host)}`);
      return undefined;
    }
    return { podInterface: toLinkInfo(podInterface), podVeth: toLinkInfo(podVeth), hostVeth: toLinkInfo(hostVeth) };
  }

  private async fastDel(s: ValidDelPodSpec, pod: ParsedNetns, after: Promise<unknown>): Promise<DelPodResult | undefined> {
    const found = this.links(pod).then(
      (links) => links.find((l) => l.mac === s.mac),
      () => undefined,
    );
    // The batch's process starts while the listing runs; it gets its lines once the NIC's name in the pod is known.
    const out = await this.batch(
      pod,
      Promise.all([found, after]).then(([link]) =>
        link === undefined
          ? undefined
          : [
              ['link', 'set', 'dev', link.name, 'down'],
              ['addr', 'flush', 'dev', link.name],
              ['link', 'set', 'dev', link.name, 'netns', this.netnsTarget(s.host), 'name', s.stableName],
              // Deleting the pod end removes the host end and its /32 route with it.
              ['link', 'delete', 'dev', POD_VETH_NAME],
            ],
      ),
    );
    if ((await found) === undefined) return undefined;
    if (out.failedLine === undefined) return { nic: 'returned', hostName: s.stableName, hostVethRemoved: true };
    if (out.failedLine === 4 && out.kind === 'NotFound') {
      return { nic: 'returned', hostName: s.stableName, hostVethRemoved: await this.deleteLinkIfPresent(s.host, s.hostVeth) };
    }
    return undefined;
  }

  /**
   * Runs `ip -json -details -batch -` in `ns`; iproute2 stops at the first failing line and names it. `shown` holds the
   * link of each `link show` line in order. Lines are argv arrays of validated tokens (no blanks, quotes or #). Promised
   * lines let the process start before they are known; undefined (or invalid tokens) runs nothing and reports line 0.
   */
  private async batch(
    ns: ParsedNetns | undefined,
    lines: readonly (readonly string[])[] | Promise<readonly (readonly string[])[] | undefined>,
  ): Promise<{ shown: IpLink[]; failedLine?: number; kind?: NetOpsErrorKind }> {
    const valid = Promise.resolve(lines).then((l) => (l === undefined || l.some((line) => line.some((token) => !/^[^\s"'#\\]+$/.test(token))) ? undefined : l));
    const { command, args } = this.argv(ns, ['-json', '-details', '-batch', '-']);
    let result: CommandResult;
    try {
      result = await this.runner.run(command, args, { timeoutMs: this.timeoutMs, input: valid.then((l) => (l === undefined ? '' : `${l.map((line) => line.join(' ')).join('\n')}\n`)) });
    } catch {
      return { shown: [], failedLine: 0 };
    }
    if ((await valid) === undefined) return { shown: [], failedLine: 0 };
    if (result.exitCode !== 0) {
      const line = /Command failed -:(\d+)/.exec(result.stderr);
      return { shown: [], failedLine: line === null ? 0 : Number(line[1]), kind: classifyIpFailure(result.stderr) };
    }
    try {
      const shown = result.stdout.split('\n').filter((l) => l.trim() !== '').flatMap((l) => parseIpLinks(l));
      return { shown };
    } catch {
      return { shown: [], failedLine: 0 };
    }
  }

  // ---- ADD steps

  /** Idempotent: a NIC already in the pod (an earlier, interrupted ADD) is only renamed if needed. */
  private async moveNicIntoPod(s: ValidPodNetSpec): Promise<void> {
    const podLinks = await this.links(s.pod);
    const occupant = podLinks.find((l) => l.name === s.ifName);
    if (occupant !== undefined && occupant.mac !== s.mac) {
      throw new NetOpsError(
        'AlreadyExists',
        `${describeNetns(s.pod)} already has an interface ${s.ifName} (MAC ${occupant.mac ?? 'none'}) that is not NIC ${s.mac}; CNI forbids replacing it: use another CNI_IFNAME or DEL the other network first`,
      );
    }
    const inPod = podLinks.find((l) => l.mac === s.mac);
    if (inPod !== undefined) {
      if (inPod.name !== s.ifName) {
        await this.ip(s.pod, ['link', 'set', 'dev', inPod.name, 'down'], `setting NIC ${s.mac} down`);
        await this.ip(s.pod, ['link', 'set', 'dev', inPod.name, 'name', s.ifName], `renaming NIC ${s.mac} to ${s.ifName}`);
      }
      return;
    }
    const inHost = (await this.links(s.host)).find((l) => l.mac === s.mac);
    if (inHost === undefined) {
      throw new NetOpsError(
        'NotFound',
        `NIC ${s.mac} is neither in ${describeNetns(s.host)} nor in pod ${describeNetns(s.pod)}; wait until the attached NIC shows up on the host (findLinkByMac) before ADD`,
      );
    }
    if (inHost.up) await this.ip(s.host, ['link', 'set', 'dev', inHost.name, 'down'], `setting NIC ${s.mac} down`);
    // One netlink request moves and renames, so the host's own eth0 and the pod's future eth0 never clash.
    await this.ip(s.host, ['link', 'set', 'dev', inHost.name, 'netns', this.netnsTarget(s.pod), 'name', s.ifName], `moving NIC ${s.mac} into pod ${describeNetns(s.pod)} as ${s.ifName}`);
  }

  private async configureNic(s: ValidPodNetSpec): Promise<void> {
    const what = `configuring NIC ${s.mac} as ${s.ifName} in pod ${describeNetns(s.pod)}`;
    // Flush first so a re-run after a changed address leaves exactly one.
    await this.ip(s.pod, ['addr', 'flush', 'dev', s.ifName], what);
    await this.ip(s.pod, ['link', 'set', 'dev', s.ifName, 'up'], what);
    await this.ip(s.pod, ['addr', 'add', s.address, 'dev', s.ifName], what);
    await this.ip(s.pod, ['route', 'replace', 'default', 'via', s.gateway, 'dev', s.ifName], what);
  }

  /** Replaces any veth pair of this container left by an earlier attempt, then wires both ends. */
  private async createVeth(s: ValidPodNetSpec): Promise<void> {
    const what = `creating veth ${s.hostVeth}/${POD_VETH_NAME} for container ${s.containerId}`;
    await this.deleteLinkIfPresent(s.host, s.hostVeth);
    await this.deleteLinkIfPresent(s.pod, POD_VETH_NAME);
    await this.ip(s.host, ['link', 'add', 'name', s.hostVeth, 'type', 'veth', 'peer', 'name', POD_VETH_NAME, 'netns', this.netnsTarget(s.pod)], what);
    await this.ip(s.host, ['addr', 'replace', `${HOST_VETH_ADDRESS}/32`, 'dev', s.hostVeth, 'scope', 'link'], what);
    await this.ip(s.host, ['link', 'set', 'dev', s.hostVeth, 'up'], what);
    await this.ip(s.host, ['route', 'replace', `${s.ip}/32`, 'dev', s.hostVeth, 'scope', 'link', 'src', HOST_VETH_ADDRESS], what);
    await this.ip(s.pod, ['link', 'set', 'dev', POD_VETH_NAME, 'up'], what);
    await this.ip(s.pod, ['route', 'replace', `${HOST_VETH_ADDRESS}/32`, 'dev', POD_VETH_NAME, 'scope', 'link'], what);
    for (const cidr of s.serviceCidrs) {
      await this.ip(s.pod, ['route', 'replace', cidr, 'via', HOST_VETH_ADDRESS, 'dev', POD_VETH_NAME], what);
    }
    for (const hostIp of s.hostIps) {
      await this.ip(s.pod, ['route', 'replace', `${hostIp}/32`, 'via', HOST_VETH_ADDRESS, 'dev', POD_VETH_NAME], what);
    }
  }

  // ---- DEL steps

  /** True when the NIC was in the pod and now is in the host under its stable name. */
  private async returnNicFromPod(s: ValidDelPodSpec, pod: ParsedNetns): Promise<boolean> {
    const link = (await this.links(pod)).find((l) => l.mac === s.mac);
    if (link === undefined) return false;
    await this.quiesceNic(pod, link.name, link.up);
    await this.ip(pod, ['link', 'set', 'dev', link.name, 'netns', this.netnsTarget(s.host), 'name', s.stableName], `returning NIC ${s.mac} to ${describeNetns(s.host)} as ${s.stableName}`);
    return true;
  }

  private async quiesceNic(ns: ParsedNetns | undefined, name: string, up: boolean): Promise<void> {
    if (up) await this.ip(ns, ['link', 'set', 'dev', name, 'down'], `setting NIC ${name} down`);
    await this.ip(ns, ['addr', 'flush', 'dev', name], `flushing the addresses of NIC ${name}`);
  }

  /** Runs a pod-side step; when it fails because the pod netns vanished meanwhile, returns `fallback` (DEL of a gone pod is success). */
  private async whilePodExists<T>(pod: ParsedNetns, step: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await step();
    } catch (err) {
      if (!(await this.exists(pod))) return fallback;
      throw err;
    }
  }

  /** Deletes a link; true when it existed. Missing link (or namespace) is success: DEL must be repeatable. */
  private async deleteLinkIfPresent(ns: ParsedNetns | undefined, name: string): Promise<boolean> {
    const result = await this.tryIp(ns, ['link', 'delete', 'dev', name]);
    if (result.exitCode === 0) return true;
    if (classifyIpFailure(result.stderr) === 'NotFound') return false;
    throw this.failure(ns, `deleting link ${name}`, this.argv(ns, ['link', 'delete', 'dev', name]), result);
  }

  // ---- observation

  private async observe(ns: ParsedNetns | undefined): Promise<ObservedNetns> {
    const links = await this.links(ns);
    const addresses = parseIpAddresses(await this.ip(ns, ['-json', 'addr', 'show'], 'listing addresses'));
    const routes = parseIpRoutes(await this.ip(ns, ['-json', '-4', 'route', 'show', 'table', 'main'], 'listing routes'));
    return { links, addresses, routes };
  }

  private async links(ns: ParsedNetns | undefined): Promise<IpLink[]> {
    return parseIpLinks(await this.ip(ns, ['-json', '-details', 'link', 'show'], 'listing links'));
  }

  // ---- namespaces and commands

  private async exists(ns: ParsedNetns): Promise<boolean> {
    const path = ns.kind === 'name' ? `${this.netnsDir}/${ns.name}` : ns.path;
    try {
      await this.stat(path);
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return false;
      throw new NetOpsError('Internal', `could not check whether ${describeNetns(ns)} exists (stat ${path}): ${messageOf(err)}; check permissions`, { cause: err });
    }
  }

  private async requireNetns(ns: ParsedNetns, advice: string): Promise<void> {
    if (!(await this.exists(ns))) throw new NetOpsError('NotFound', `${describeNetns(ns)} does not exist; ${advice}`);
  }

  /** What `ip link set … netns <x>` needs. Names go as paths: ip would read an all-digit name as a PID. */
  private netnsTarget(ns: ParsedNetns | undefined): string {
    if (ns === undefined) return this.rootNetnsPath;
    return ns.kind === 'name' ? `${this.netnsDir}/${ns.name}` : ns.path;
  }

  private argv(ns: ParsedNetns | undefined, args: readonly string[]): { command: string; args: string[] } {
    return ipCommand(ns, args);
  }

  private async tryIp(ns: ParsedNetns | undefined, args: readonly string[]): Promise<CommandResult> {
    const { command, args: argv } = this.argv(ns, args);
    try {
      return await this.runner.run(command, argv, { timeoutMs: this.timeoutMs });
    } catch (err) {
      throw new NetOpsError('Internal', `could not run ${command} ${argv.join(' ')}: ${messageOf(err)}; is ${command === 'ip' ? 'iproute2' : 'util-linux (nsenter)'} installed?`, { cause: err });
    }
  }

  private async ip(ns: ParsedNetns | undefined, args: readonly string[], what: string): Promise<string> {
    const result = await this.tryIp(ns, args);
    if (result.exitCode !== 0) throw this.failure(ns, what, this.argv(ns, args), result);
    return result.stdout;
  }

  private failure(ns: ParsedNetns | undefined, what: string, argv: { command: string; args: string[] }, result: CommandResult): NetOpsError {
    const cause = new CommandFailedError(argv.command, argv.args, result);
    const kind = classifyIpFailure(result.stderr);
    const detail = result.stderr.trim().split('\n').slice(-2).join(' | ') || `exit code ${result.exitCode}`;
    return new NetOpsError(kind, `${what} failed in ${describeNetns(ns)}: ${detail}; ${ADVICE[kind]}`, { cause });
  }
}

