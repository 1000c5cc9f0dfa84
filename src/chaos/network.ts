import type { NetworkLab } from '../demo/network-lab.js';

/** CNI codes a container runtime meets in a chaos run and retries (daemon restarting, cloud busy or failing). */
const EXPECTED_CNI_CODES = new Set([11, 100, 103]);

/** What the network half of a chaos run found. */
export interface NetworkChaosReport {
  completed: number;
  /** Two live pods with one IP at the same time. */
  sharedAddresses: number;
  /** Pods whose node could not reach them over TCP after their ADD. */
  trafficFailures: number;
  /** CNI answers no runtime should get (config, decode or internal errors). */
  wrong: string[];
  /** ADD/DEL attempts by CNI code ('ok' for success). */
  codes: Map<string, number>;
}

/** Address book of live pods, to catch an address handed to two pods at once. */
class Addresses {
  private readonly byIp = new Map<string, string>();
  shared = 0;

  take(ip: string, pod: string): void {
    const holder = this.byIp.get(ip);
    if (holder !== undefined && holder !== pod) this.shared += 1;
    this.byIp.set(ip, pod);
  }

  release(ip: string, pod: string): void {
    if (this.byIp.get(ip) === pod) this.byIp.delete(ip);
  }
}

/**
 * Pod lifecycles as a container runtime drives them on the lab's two nodes: ADD (after a failed ADD, DEL and try
 * again), a TCP round trip from the node to the pod, DEL until it succeeds. Meanwhile the caller kills daemons.
 */
export async function podLifecycles(
  lab: NetworkLab,
  options: { size: number; concurrency: number; prefix: string; sleep: (ms: number) => Promise<void> },
): Promise<NetworkChaosReport> {
  const report: NetworkChaosReport = { completed: 0, sharedAddresses: 0, trafficFailures: 0, wrong: [], codes: new Map() };
  const addresses = new Addresses();
  const count = (code: string): void => void report.codes.set(code, (report.codes.get(code) ?? 0) + 1);
  const judge = (verb: string, pod: string, exec: { exitCode: number; json: Record<string, unknown> | undefined; stdout: string }): void => {
    if (exec.exitCode === 0) return count('ok');
    const code = typeof exec.json?.['code'] === 'number' ? exec.json['code'] : -1;
    count(String(code));
    if (!EXPECTED_CNI_CODES.has(code)) report.wrong.push(`${verb} ${pod}: ${exec.stdout.trim().slice(0, 240)}`);
  };
  const delUntilOk = async (pod: string): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const del = await lab.delPod(pod);
      judge('DEL', pod, del);
      if (del.exitCode === 0) return;
      if (attempt > 100) throw new Error(`DEL of ${pod} never succeeded: ${del.stdout}`);
      await options.sleep(Math.min(1_000, 25 * 2 ** Math.min(attempt, 5)));
    }
  };

  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.size) {
        const i = next++;
        const pod = `${options.prefix}${i}`;
        const node = (i % lab.nodes.length) + 1;
        let ip = '';
        for (let attempt = 0; ; attempt++) {
          const add = await lab.addPod(node, pod);
          judge('ADD', pod, add);
          if (add.exitCode === 0) {
            ip = (add.result?.ips?.[0]?.address ?? '').split('/')[0] ?? '';
            break;
          }
          // The runtime cleans a failed ADD up with DEL before it tries again.
          await delUntilOk(pod);
          if (attempt > 100) throw new Error(`ADD of ${pod} never succeeded: ${add.stdout}`);
          await options.sleep(Math.min(1_000, 25 * 2 ** Math.min(attempt, 5)));
        }
        addresses.take(ip, pod);
        const server = await lab.echoServer(lab.pod(pod).netns, 8080);
        const echoed = await lab.tcpEcho(lab.nodes[node - 1]!.netns, ip, 8080, `ping-${pod}`);
        await server.stop();
        if (echoed !== `ping-${pod}`) report.trafficFailures += 1;
        addresses.release(ip, pod);
        await delUntilOk(pod);
        report.completed += 1;
      }
    }),
  );
  report.sharedAddresses = addresses.shared;
  return report;
}

/** NICs the cloud holds for the lab's nodes that no daemon accounts for, and NICs still assigned to a pod. */
export async function nicLeftovers(lab: NetworkLab): Promise<{ leaked: number; assigned: number }> {
  let leaked = 0;
  let assigned = 0;
  for (const node of lab.nodes) {
    const view = await lab.introspect(node.index);
    const known = new Set(view.nics.map((n) => n.nicId));
    assigned += view.nics.filter((n) => n.phase === 'assigned').length;
    const inCloud = await lab.sdk.api.nics.describeAllNics({ nic_name: `hostnic_${node.instanceId}` });
    leaked += inCloud.filter((n) => !known.has(n.nic_id)).length;
  }
  return { leaked, assigned };
}
