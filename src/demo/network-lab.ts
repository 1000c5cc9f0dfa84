// A two-node (or N-node) hostnic "network lab" on one machine, used by the e2e tests, bench:cni and the demo: the
// simulator with real effects (a netns per node, veth NICs, a VPC netns routing between vxnet bridges), one REAL
// hostnic-daemon process per node, and pods whose ADD/DEL/CHECK/STATUS/GC exec the REAL plugin the way a container
// runtime does. Needs root. stop() removes everything the lab made, also after a failure.
import { killWithParent } from '../shared/reap.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import { BaseError, messageOf } from '../shared/errors.js';
import { runChecked, type CommandRunner } from '../shared/exec.js';
import { NodeCommandRunner } from '../shared/node-exec.js';
import { createQingCloud, type QingCloud } from '../qingcloud/index.js';
import { sdkConfigFor } from '../qingcloud/sim/client-config.js';
import { startSimulator, type JobLatencyOption, type RunningSimulator } from '../qingcloud/sim/index.js';
import { RealEffects } from '../qingcloud/sim/real-effects.js';

/** Where the lab finds its built entry points (dist/ of this package). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The bundled plugin (scripts/build-cni-plugin.mjs), else tsc's per-file output. */
const PLUGIN_BUNDLE = path.join(ROOT, 'dist/bundle/hostnic.cjs');
const PLUGIN_MODULES = path.join(ROOT, 'dist/cni/plugin/main.js');
/** The plugin file the lab execs: the bundle when built, else tsc's output. */
export const LAB_PLUGIN_PATH = existsSync(PLUGIN_BUNDLE) ? PLUGIN_BUNDLE : PLUGIN_MODULES;
const DAEMON_MAIN = path.join(ROOT, 'dist/cni/daemon/main.js');
/** The bundled daemon (scripts/build-cni-plugin.mjs), run the way the CSI image runs its bundle. */
const DAEMON_BUNDLE = path.join(ROOT, 'dist/bundle/hostnic-daemon.mjs');
/**
 * Node flags of the bundled daemon: the CSI image's small, steady heap (bench/csi-driver.ts SHIPPED_NODE_FLAGS), plus no
 * optimising tiers (--no-opt, --no-wasm-tier-up: the daemon waits on ip and the cloud, its JS is never hot, and the
 * optimising compilers' code and output cost RSS) and one GC thread. With 60 pods this measured 67 MiB against 72-82 MiB
 * with the CSI flags alone; the chart should start the daemon with the same flags.
 */
export const DAEMON_BUNDLE_NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size', '--no-opt', '--no-wasm-tier-up', '--single-threaded-gc'];
/** Debian's containernetworking-plugins directory. */
export const DEBIAN_CNI_DIR = '/usr/lib/cni';
/** The service CIDR every lab node's conflist carries. */
export const LAB_SERVICE_CIDR = '10.96.0.0/12';
const NODE_VXNET_CIDR = '192.168.49.0/24';
const DEFAULT_POD_VXNETS = ['192.168.50.0/24', '192.168.51.0/24'];
const POD_NAME = /^[a-z0-9][a-z0-9-]{0,15}$/;
const DAEMON_READY_MS = 60_000;

/** The lab could not be built, a step failed, or it was used wrongly; the message names the step and the resource. */
export class NetworkLabError extends BaseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NETWORK_LAB', message, options);
  }
}

/** How to build a lab. */
export interface NetworkLabOptions {
  /** Existing absolute directory; the lab keeps its files in a subdirectory it removes on stop. */
  dir: string;
  /** Nodes (default 2, at most 9). */
  nodes?: number;
  /** Pod vxnet CIDRs (default 192.168.50.0/24 and 192.168.51.0/24); the node vxnet is 192.168.49.0/24. */
  vxnets?: readonly string[];
  /** Per node, the indexes (into `vxnets`) its daemon gives pods NICs from; default every pod vxnet. */
  nodeVxnets?: readonly (readonly number[])[];
  /** Simulator job latency (default 0). */
  jobLatencyMs?: JobLatencyOption;
  /** Warm pool marks of every daemon (default 1 and 2). */
  poolLow?: number;
  poolHigh?: number;
  /** Pod limit: one for all nodes or one per node (default 60). */
  maxPods?: number | readonly number[];
  /** Chain Debian's portmap after hostnic when a pod asks for port mappings (needs /usr/lib/cni/portmap). */
  portmap?: boolean;
  /** Client API budget of the daemons (default: far above anything the lab does; the simulator has no quota). */
  apiRate?: number;
  apiBurst?: number;
  /** Runs ip, sysctl and the other host tools (default NodeCommandRunner). */
  runner?: CommandRunner;
  /** Node flags of the daemon processes (default: the small-heap flags when the bundle runs, none otherwise). */
  daemonNodeFlags?: readonly string[];
}

/** One simulated node. */
export interface LabNode {
  /** 1-based. */
  index: number;
  instanceId: string;
  /** The node's network namespace (its "host"). */
  netns: string;
  /** The primary NIC's IP (the node IP). */
  ip: string;
  socket: string;
  /** The pod vxnet ids its daemon uses. */
  vxnets: string[];
  maxPods: number;
  /** The daemon's pid (undefined while it is down). */
  daemonPid(): number | undefined;
}

/** A pod the lab made (its netns may already be gone). */
export interface LabPod {
  name: string;
  node: number;
  containerId: string;
  netns: string;
  netnsPath: string;
  /** The final ADD result (after chained plugins) once an ADD succeeded. */
  result?: CniResultJson;
  /** The CNI version of the chain it was added with. */
  cniVersion: string;
  portMappings?: PortMapping[];
}

/** The parts of a CNI result the lab reads. */
export interface CniResultJson {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
  [key: string]: unknown;
}

/** A Kubernetes hostPort mapping (runtimeConfig portMappings). */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

/** One plugin exec: exit code, output, the parsed stdout and the wall time from spawn to exit. */
export interface CniExec {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (undefined when empty or not JSON). */
  json: Record<string, unknown> | undefined;
  ms: number;
}

/** What addPod did: the hostnic exec (and the portmap one when chained). */
export interface AddOutcome extends CniExec {
  pod: LabPod;
  result?: CniResultJson;
  portmap?: CniExec;
}

/** The daemon's GET /v1/introspect answer (the fields the lab's users read). */
export interface DaemonView {
  node: string;
  ready: boolean;
  pods: { count: number; max: number };
  pool: { idle: number; inFlight: number; ownedNics: number; foreignNics: number; vxnetsFull: boolean };
  nics: { nicId: string; vxnetId: string; privateIp: string; phase: string; sinceMs: number; pod?: { containerId: string; ifName: string; netns: string } }[];
  creating: unknown[];
  operations: string[];
  lastErrors: { atMs: number; reason: string; message: string }[];
}

/** A running lab. */
export interface NetworkLab {
  readonly sim: RunningSimulator;
  /** An SDK client of the lab's own (checks, not the daemons'). */
  readonly sdk: QingCloud;
  readonly nodes: readonly LabNode[];
  /** Prefix of every namespace and link the lab makes. */
  readonly prefix: string;
  readonly vxnetIds: readonly string[];
  /** The plugin file exec'd for hostnic. */
  readonly pluginPath: string;
  pod(name: string): LabPod;
  /** Creates the pod netns and execs ADD (then portmap, when mappings are given); never throws for a failed ADD. */
  addPod(node: number, name: string, options?: { portMappings?: PortMapping[] }): Promise<AddOutcome>;
  /** Execs DEL (portmap first when chained) with the final result; removes the pod netns unless `keepNetns`. */
  delPod(name: string, options?: { keepNetns?: boolean }): Promise<CniExec>;
  checkPod(name: string): Promise<CniExec>;
  /** Deletes the pod's netns the way a runtime does before a late DEL. */
  removePodNetns(name: string): Promise<void>;
  status(node: number): Promise<CniExec>;
  /** GC on the node with the given pods as the valid attachments. */
  gc(node: number, validPods: readonly string[]): Promise<CniExec>;
  /** GET /v1/introspect of the node's daemon. */
  introspect(node: number): Promise<DaemonView>;
  killDaemon(node: number, signal: NodeJS.Signals): Promise<void>;
  restartDaemon(node: number): Promise<void>;
  /** RSS of the node's daemon from /proc/<pid>/status, in KiB. */
  daemonRssKiB(node: number): Promise<number>;
  /** Runs a host tool (through the lab's CommandRunner). */
  sh(command: string, args: readonly string[]): Promise<string>;
  /** Starts a TCP echo server inside a netns; resolves once it listens. */
  echoServer(netns: string, port: number): Promise<{ stop(): Promise<void> }>;
  /** Connects from inside a netns, sends `payload` and returns what came back ("refused", "timeout", "error:X" otherwise). */
  tcpEcho(netns: string, host: string, port: number, payload: string): Promise<string>;
  /** Removes everything the lab made. Idempotent. */
  stop(): Promise<void>;
}

interface DaemonProc {
  child: ChildProcess;
  exited: Promise<void>;
}

interface NodeState extends LabNode {
  dir: string;
  configPath: string;
  daemon: DaemonProc | undefined;
  log: WriteStream;
}

/** Runs one CNI plugin process with the runtime's env and config; measures spawn-to-exit. */
export async function execCni(command: string, args: readonly string[], env: Record<string, string>, stdin: string): Promise<CniExec> {
  const t0 = performance.now();
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => undefined); // a plugin that exits without reading stdin (VERSION) closes the pipe
  child.stdin.end(stdin);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  const ms = performance.now() - t0;
  let json: Record<string, unknown> | undefined;
  try {
    json = stdout.trim() === '' ? undefined : (JSON.parse(stdout) as Record<string, unknown>);
  } catch {
    json = undefined;
  }
  return { exitCode: code ?? (signal === null ? 1 : 128), stdout, stderr, json, ms };
}

/** A short random [a-z0-9] string. */
function randomName(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}

/** Builds and starts a lab; on any failure everything made so far is removed before the error is thrown. */
export async function startNetworkLab(options: NetworkLabOptions): Promise<NetworkLab> {
  const count = options.nodes ?? 2;
  if (!Number.isInteger(count) || count < 1 || count > 9) throw new NetworkLabError(`nodes must be 1..9, got ${count}`);
  if (!path.isAbsolute(options.dir)) throw new NetworkLabError(`dir must be an absolute directory, got ${JSON.stringify(options.dir)}`);
  if (!existsSync(DAEMON_MAIN)) throw new NetworkLabError(`${DAEMON_MAIN} does not exist; run npm run build first`);
  const pluginPath = LAB_PLUGIN_PATH;
  const bundled = existsSync(DAEMON_BUNDLE);
  const daemonArgv = [...(options.daemonNodeFlags ?? (bundled ? DAEMON_BUNDLE_NODE_FLAGS : [])), bundled ? DAEMON_BUNDLE : DAEMON_MAIN];
  const runner = options.runner ?? new NodeCommandRunner();
  const sh = (command: string, args: readonly string[]): Promise<string> => runChecked(runner, command, args);
  const prefix = `h${randomName(5)}`;
  const labDir = path.join(options.dir, `lab-${prefix}`);
  const cidrs = options.vxnets ?? DEFAULT_POD_VXNETS;
  const vxnetIds = cidrs.map((_, i) => `vxnet-${prefix}p${i}`);
  const nodeVxnetId = `vxnet-${prefix}nd`;
  const portmapPath = path.join(DEBIAN_CNI_DIR, 'portmap');
  if (options.portmap === true && !existsSync(portmapPath)) throw new NetworkLabError(`portmap chaining needs ${portmapPath}; apt-get install containernetworking-plugins`);

  const nodes: NodeState[] = [];
  const pods = new Map<string, LabPod>();
  const echoes = new Set<ChildProcess>();
  let sim: RunningSimulator | undefined;
  let sdk: QingCloud | undefined;
  const madeNetns: string[] = [];

  const maxPodsOf = (i: number): number => {
    const m = options.maxPods;
    if (m === undefined) return 60;
    return typeof m === 'number' ? m : (m[i - 1] ?? 60);
  };

  const spawnDaemon = async (node: NodeState): Promise<void> => {
    const child = spawn(process.execPath, [...daemonArgv, '--config', node.configPath], {
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    killWithParent(child);
    const exited = once(child, 'exit').then(() => undefined);
    node.daemon = { child, exited };
    let tail = '';
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new NetworkLabError(`hostnic-daemon of ${node.instanceId} was not listening after ${DAEMON_READY_MS} ms; log tail: ${tail}`)), DAEMON_READY_MS);
      child.stderr?.on('data', (d: Buffer) => {
        const text = d.toString();
        node.log.write(text);
        tail = (tail + text).slice(-2000);
        if (tail.includes('"hostnic-daemon listening"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new NetworkLabError(`hostnic-daemon of ${node.instanceId} exited with ${child.exitCode ?? child.signalCode} before listening; log tail: ${tail}`));
      });
    });
    await ready;
  };

  const stopDaemon = async (node: NodeState, signal: NodeJS.Signals): Promise<void> => {
    const d = node.daemon;
    if (d === undefined) return;
    if (d.child.exitCode === null && d.child.signalCode === null) {
      d.child.kill(signal);
      // A graceful stop drains running operations; past 5 s the lab does not wait any longer.
      const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => d.child.kill('SIGKILL'), 5_000);
      await d.exited;
      if (timer !== undefined) clearTimeout(timer);
    }
    node.daemon = undefined;
  };

  const nodeOf = (index: number): NodeState => {
    const node = nodes[index - 1];
    if (node === undefined) throw new NetworkLabError(`the lab has no node ${index} (nodes 1..${nodes.length})`);
    return node;
  };
  const podOf = (name: string): LabPod => {
    const pod = pods.get(name);
    if (pod === undefined) throw new NetworkLabError(`the lab has no pod ${name}; add it first`);
    return pod;
  };
  const pluginConfig = (node: NodeState, cniVersion: string): Record<string, unknown> => ({
    cniVersion,
    name: 'hostnic',
    type: 'hostnic',
    socket: node.socket,
    serviceCIDR: LAB_SERVICE_CIDR,
  });
  const attachmentEnv = (verb: string, pod: LabPod): Record<string, string> => ({
    CNI_COMMAND: verb,
    CNI_CONTAINERID: pod.containerId,
    CNI_NETNS: pod.netnsPath,
    CNI_IFNAME: 'eth0',
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${pod.name};K8S_POD_INFRA_CONTAINER_ID=${pod.containerId}`,
    CNI_PATH: `${DEBIAN_CNI_DIR}:/opt/cni/bin`,
  });
  const hostnic = (env: Record<string, string>, config: Record<string, unknown>): Promise<CniExec> => execCni(process.execPath, [pluginPath], env, JSON.stringify(config));
  // The runtime runs chained plugins in the host netns; portmap's iptables rules belong in the node's.
  const portmap = (node: NodeState, env: Record<string, string>, config: Record<string, unknown>): Promise<CniExec> =>
    execCni('nsenter', [`--net=/var/run/netns/${node.netns}`, '--', portmapPath], env, JSON.stringify(config));
  const portmapConfig = (pod: LabPod): Record<string, unknown> => ({
    cniVersion: pod.cniVersion,
    name: 'hostnic',
    type: 'portmap',
    snat: true,
    runtimeConfig: { portMappings: pod.portMappings },
    prevResult: pod.result,
  });
  const deleteNetns = async (name: string): Promise<void> => {
    const r = await runner.run('ip', ['netns', 'delete', name]);
    if (r.exitCode !== 0 && !/No such file|Cannot remove/i.test(r.stderr)) throw new NetworkLabError(`deleting netns ${name} failed: ${r.stderr.trim()}`);
  };

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      const failures: string[] = [];
      const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
        try {
          await fn();
        } catch (err) {
          failures.push(`${what}: ${messageOf(err)}`);
        }
      };
      for (const echo of echoes) echo.kill('SIGKILL');
      for (const node of nodes) await attempt(`stopping the daemon of ${node.instanceId}`, () => stopDaemon(node, 'SIGTERM'));
      for (const pod of pods.values()) await attempt(`deleting pod netns ${pod.netns}`, () => deleteNetns(pod.netns));
      await attempt('closing the lab SDK', async () => sdk?.close());
      await attempt('stopping the simulator with cleanup', async () => sim?.stop({ cleanup: true }));
      for (const ns of madeNetns) await attempt(`deleting node netns ${ns}`, () => deleteNetns(ns));
      // Namespaces of ours that something else made under our prefix (a crashed step) go too.
      await attempt('sweeping namespaces with the lab prefix', async () => {
        const out = await sh('ip', ['-json', 'netns', 'list']);
        const names = out.trim() === '' ? [] : (JSON.parse(out) as { name: string }[]).map((n) => n.name);
        for (const name of names.filter((n) => n.startsWith(`${prefix}-`))) await deleteNetns(name);
      });
      for (const node of nodes) await attempt(`closing the log of ${node.instanceId}`, () => new Promise<void>((r) => node.log.end(() => r())));
      await attempt(`removing ${labDir}`, () => rm(labDir, { recursive: true, force: true }));
      if (failures.length > 0) throw new NetworkLabError(`stopping network lab ${prefix} left ${failures.length} problem(s): ${failures.join('; ')}; remove what remains by hand (ip netns list | grep ${prefix})`);
    })());

  try {
    await mkdir(labDir, { recursive: true });
    for (let i = 1; i <= count; i++) {
      const netns = `${prefix}-node${i}`;
      await sh('ip', ['netns', 'add', netns]);
      madeNetns.push(netns);
      await sh('ip', ['-n', netns, 'link', 'set', 'dev', 'lo', 'up']);
      // A Kubernetes node forwards (kube-proxy's service DNAT, hostPorts).
      await sh('ip', ['netns', 'exec', netns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    }
    sim = await startSimulator({
      stateFile: path.join(labDir, 'sim-state.json'),
      effects: new RealEffects({ runner, dataDir: path.join(labDir, 'sim-data'), deviceRoot: path.join(labDir, 'by-id'), namePrefix: prefix }),
      jobLatencyMs: options.jobLatencyMs ?? 0,
      seed: {
        zone: 'sim1a',
        vxnets: [{ id: nodeVxnetId, name: 'nodes', cidr: NODE_VXNET_CIDR }, ...cidrs.map((cidr, i) => ({ id: vxnetIds[i]!, name: `pods-${i}`, cidr }))],
        instances: madeNetns.map((netns, i) => ({ id: `i-${prefix}n${i + 1}`, name: `node${i + 1}`, instance_class: 0, instance_type: 'c2m4', vxnet: nodeVxnetId, netns })),
      },
    });
    sdk = createQingCloud({ config: sdkConfigFor(sim.clientConfig, { connectionTimeoutMs: 10_000 }), budget: null, waiter: { initialIntervalMs: 20, maxIntervalMs: 200 } });
    const sdkConfigPath = path.join(labDir, 'qingcloud.yaml');
    await sim.writeClientConfig(sdkConfigPath);
    const nodeVxnet = (await sdk.api.vxnets.describeAllVxnets({ vxnets: [nodeVxnetId] }))[0];
    const gateway = nodeVxnet?.router?.manager_ip;
    const prefixLength = NODE_VXNET_CIDR.split('/')[1]!;
    if (gateway === undefined || gateway === '') throw new NetworkLabError(`node vxnet ${nodeVxnetId} has no gateway in DescribeVxnets`);

    for (let i = 1; i <= count; i++) {
      const instanceId = `i-${prefix}n${i}`;
      const netns = madeNetns[i - 1]!;
      // The instance was born with its primary NIC on the node vxnet; the simulator plugged it into the node's netns.
      // The lab plays the guest OS: it names it eth0, addresses it from the cloud's record and routes through it.
      const primary = (await sdk.api.instances.getInstance(instanceId))?.vxnets?.find((v) => v.role === 1);
      if (primary === undefined) throw new NetworkLabError(`instance ${instanceId} has no primary NIC in DescribeInstances`);
      const links = JSON.parse(await sh('ip', ['-n', netns, '-json', 'link', 'show'])) as { ifname: string; address?: string }[];
      const link = links.find((l) => l.address === primary.nic_id.toLowerCase());
      if (link === undefined) throw new NetworkLabError(`primary NIC ${primary.nic_id} of ${instanceId} is not plugged into netns ${netns}`);
      await sh('ip', ['-n', netns, 'link', 'set', 'dev', link.ifname, 'name', 'eth0']);
      await sh('ip', ['-n', netns, 'addr', 'add', `${primary.private_ip}/${prefixLength}`, 'dev', 'eth0']);
      await sh('ip', ['-n', netns, 'link', 'set', 'dev', 'eth0', 'up']);
      await sh('ip', ['-n', netns, 'route', 'replace', 'default', 'via', gateway, 'dev', 'eth0']);

      const dir = path.join(labDir, `node${i}`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'instance-id'), `${instanceId}\n`);
      const vxnets = (options.nodeVxnets?.[i - 1] ?? cidrs.map((_, j) => j)).map((j) => {
        const id = vxnetIds[j];
        if (id === undefined) throw new NetworkLabError(`nodeVxnets of node ${i} names vxnet index ${j}, the lab has ${cidrs.length}`);
        return id;
      });
      const socket = path.join(dir, 'hostnic.sock');
      const config = {
        qingcloudConfig: sdkConfigPath,
        instanceIdFile: path.join(dir, 'instance-id'),
        vxnets,
        pool: { low: options.poolLow ?? 1, high: options.poolHigh ?? 2, cooldownSeconds: 60 },
        maxPods: maxPodsOf(i),
        socket,
        stateDir: path.join(dir, 'state'),
        serviceCIDR: LAB_SERVICE_CIDR,
        hostNetns: netns,
        logLevel: 'info',
        // The simulator has no quota; the default budget (QingCloud's 2000 calls/hour) would throttle a bench.
        apiRate: options.apiRate ?? 1000,
        apiBurst: options.apiBurst ?? 1000,
      };
      const configPath = path.join(dir, 'hostnic.yaml');
      await writeFile(configPath, toYaml(config));
      const node: NodeState = {
        index: i,
        instanceId,
        netns,
        ip: primary.private_ip,
        socket,
        vxnets,
        maxPods: config.maxPods,
        dir,
        configPath,
        daemon: undefined,
        log: createWriteStream(path.join(dir, 'daemon.log'), { flags: 'a' }),
        daemonPid: () => node.daemon?.child.pid,
      };
      nodes.push(node);
    }
    await Promise.all(nodes.map((n) => spawnDaemon(n)));
  } catch (err) {
    await stop().catch(() => undefined);
    throw err instanceof NetworkLabError ? err : new NetworkLabError(`building network lab ${prefix} failed: ${messageOf(err)}`, { cause: err });
  }

  const introspect = (index: number): Promise<DaemonView> => {
    const node = nodeOf(index);
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: node.socket, path: '/v1/introspect', method: 'GET', timeout: 10_000 }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as DaemonView);
          } catch (err) {
            reject(new NetworkLabError(`introspection of ${node.instanceId} is not JSON: ${body.slice(0, 200)}`, { cause: err }));
          }
        });
      });
      req.on('error', (err) => reject(new NetworkLabError(`introspection of ${node.instanceId} failed: ${err.message}; is its daemon running?`, { cause: err })));
      req.end();
    });
  };

  const lab: NetworkLab = {
    sim,
    sdk,
    nodes,
    prefix,
    vxnetIds,
    pluginPath,
    pod: podOf,
    async addPod(index, name, opts = {}) {
      const node = nodeOf(index);
      if (!POD_NAME.test(name)) throw new NetworkLabError(`pod name ${JSON.stringify(name)} must be 1-16 of [a-z0-9-]`);
      if (pods.has(name)) throw new NetworkLabError(`pod ${name} exists already; delete it first`);
      const chained = opts.portMappings !== undefined && opts.portMappings.length > 0;
      if (chained && options.portmap !== true) throw new NetworkLabError(`pod ${name} asks for port mappings but the lab was built without portmap: true`);
      const netns = `${prefix}-${name}`;
      const pod: LabPod = {
        name,
        node: index,
        containerId: `${prefix}-${name}-${randomName(4)}`,
        netns,
        netnsPath: `/var/run/netns/${netns}`,
        // Debian's portmap (1.1.1) speaks up to 1.0.0: a conflist with it says so.
        cniVersion: chained ? '1.0.0' : '1.1.0',
        ...(chained ? { portMappings: opts.portMappings } : {}),
      };
      await sh('ip', ['netns', 'add', netns]);
      pods.set(name, pod);
      await sh('ip', ['-n', netns, 'link', 'set', 'dev', 'lo', 'up']);
      const exec = await hostnic(attachmentEnv('ADD', pod), pluginConfig(node, pod.cniVersion));
      const outcome: AddOutcome = { ...exec, pod };
      if (exec.exitCode !== 0) return outcome;
      pod.result = exec.json as CniResultJson;
      if (chained) {
        const pm = await portmap(node, attachmentEnv('ADD', pod), portmapConfig(pod));
        outcome.portmap = pm;
        if (pm.exitCode !== 0) return { ...outcome, exitCode: pm.exitCode, stdout: pm.stdout, stderr: pm.stderr, json: pm.json };
        pod.result = pm.json as CniResultJson;
      }
      outcome.result = pod.result;
      return outcome;
    },
    async delPod(name, opts = {}) {
      const pod = podOf(name);
      const node = nodeOf(pod.node);
      const withPrev = (config: Record<string, unknown>): Record<string, unknown> => (pod.result === undefined ? config : { ...config, prevResult: pod.result });
      if (pod.portMappings !== undefined) {
        const pm = await portmap(node, attachmentEnv('DEL', pod), portmapConfig(pod));
        if (pm.exitCode !== 0) return pm;
      }
      const exec = await hostnic(attachmentEnv('DEL', pod), withPrev(pluginConfig(node, pod.cniVersion)));
      if (exec.exitCode === 0 && opts.keepNetns !== true) {
        await deleteNetns(pod.netns);
        pods.delete(name);
      }
      return exec;
    },
    async checkPod(name) {
      const pod = podOf(name);
      return hostnic(attachmentEnv('CHECK', pod), { ...pluginConfig(nodeOf(pod.node), pod.cniVersion), prevResult: pod.result });
    },
    async removePodNetns(name) {
      await deleteNetns(podOf(name).netns);
    },
    async status(index) {
      return hostnic({ CNI_COMMAND: 'STATUS', CNI_PATH: DEBIAN_CNI_DIR }, pluginConfig(nodeOf(index), '1.1.0'));
    },
    async gc(index, validPods) {
      const valid = validPods.map((name) => ({ containerID: podOf(name).containerId, ifname: 'eth0' }));
      // libcni sends both spellings of the key.
      return hostnic({ CNI_COMMAND: 'GC', CNI_PATH: DEBIAN_CNI_DIR }, { ...pluginConfig(nodeOf(index), '1.1.0'), 'cni.dev/valid-attachments': valid, 'cni.dev/attachments': valid });
    },
    introspect,
    async killDaemon(index, signal) {
      await stopDaemon(nodeOf(index), signal);
    },
    async restartDaemon(index) {
      const node = nodeOf(index);
      await stopDaemon(node, 'SIGTERM');
      await spawnDaemon(node);
    },
    async daemonRssKiB(index) {
      const pid = nodeOf(index).daemonPid();
      if (pid === undefined) throw new NetworkLabError(`the daemon of node ${index} is not running`);
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    },
    sh,
    async echoServer(netns, port) {
      const script = `
        const server = require('node:net').createServer((s) => s.on('data', (d) => s.end(d)).on('error', () => {}));
        server.listen(Number(process.argv[1]), '0.0.0.0', () => console.log('listening'));`;
      const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
      echoes.add(child);
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('listening')) resolve();
        });
        child.on('exit', (code) => reject(new NetworkLabError(`echo server in ${netns} on port ${port} exited with ${code}: ${err.trim()}`)));
      });
      return {
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGKILL');
            await once(child, 'exit');
          }
          echoes.delete(child);
        },
      };
    },
    async tcpEcho(netns, host, port, payload) {
      const script = `
        const socket = require('node:net').connect({ host: process.argv[1], port: Number(process.argv[2]) });
        let got = '';
        const done = (text) => { console.log(text); socket.destroy(); process.exit(0); };
        socket.setTimeout(3000, () => done('timeout'));
        socket.on('connect', () => socket.write(process.argv[3]));
        socket.on('data', (data) => { got += data.toString(); });
        socket.on('end', () => done(got));
        socket.on('error', (err) => done(err.code === 'ECONNREFUSED' ? 'refused' : 'error:' + err.code));`;
      return (await sh('ip', ['netns', 'exec', netns, process.execPath, '-e', script, host, String(port), payload])).trim();
    },
    stop,
  };
  return lab;
}
