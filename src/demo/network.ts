import { startNetworkLab, type AddOutcome, type NetworkLab } from './network-lab.js';
import type { Reporter } from './reporter.js';

const ECHO_PORT = 8080;

function describeAdd(add: AddOutcome): string {
  const eth0 = add.result?.interfaces?.find((i) => i.name === 'eth0');
  return `NIC ${eth0?.mac ?? '?'}, ${add.result?.ips?.[0]?.address ?? '?'} via ${add.result?.ips?.[0]?.gateway ?? '?'} (plugin exec ${add.ms.toFixed(0)} ms)`;
}

function ipOf(add: AddOutcome): string {
  return add.result?.ips?.[0]?.address.split('/')[0] ?? '';
}

/**
 * The hostnic part of the demo: a two-node lab (simulated VPC, one real hostnic-daemon per node), one pod per node on
 * different vxnets through the real plugin, data over TCP between them, then DEL and teardown. `dir` is an existing
 * directory for the lab's files. Without root it reports what it skipped.
 */
export async function networkDemo(report: Reporter, dir: string): Promise<void> {
  report.section('hostnic CNI (two simulated nodes, real hostnic-daemon processes, the plugin exec\'d per pod)');
  if (process.getuid?.() !== 0) {
    report.skip('hostnic pod network', 'it creates network namespaces, veth NICs and a simulated VPC, which needs root; run `sudo npm start`');
    return;
  }
  let lab: NetworkLab | undefined;
  try {
    lab = await report.step(
      'build the lab: simulator with real effects, node netns with primary NICs, one hostnic-daemon per node',
      () => startNetworkLab({ dir, nodes: 2, nodeVxnets: [[0], [1]], poolLow: 1, poolHigh: 2 }),
      (l) => l.nodes.map((n) => `${n.instanceId} ${n.ip} (pods from ${n.vxnets.join(', ')})`).join('; '),
    );
    const l = lab;
    const mustAdd = async (node: number, name: string): Promise<AddOutcome> => {
      const add = await l.addPod(node, name);
      if (add.exitCode !== 0) throw new Error(`ADD of pod ${name} on node ${node} failed: ${add.stdout.trim()}`);
      return add;
    };
    const a = await report.step('CNI ADD pod web-a on node 1', () => mustAdd(1, 'web-a'), describeAdd);
    const b = await report.step('CNI ADD pod web-b on node 2', () => mustAdd(2, 'web-b'), describeAdd);
    const echo = await report.step(`start a TCP echo server in web-b on port ${ECHO_PORT}`, () => l.echoServer(l.pod('web-b').netns, ECHO_PORT));
    try {
      await report.step(`web-a sends "hello from web-a" to web-b ${ipOf(b)}:${ECHO_PORT} (across nodes and vxnets, through the VPC router)`, async () => {
        const reply = await l.tcpEcho(l.pod('web-a').netns, ipOf(b), ECHO_PORT, 'hello from web-a');
        if (reply !== 'hello from web-a') throw new Error(`web-b answered ${JSON.stringify(reply)} instead of the echo`);
        return reply;
      }, (reply) => `echoed ${JSON.stringify(reply)}`);
      await report.step(`node 1 reaches web-a ${ipOf(a)} over the host veth`, async () => {
        const probe = await l.tcpEcho(l.nodes[0]!.netns, ipOf(a), ECHO_PORT, 'probe');
        // nothing listens in web-a: a refused connection is the pod's kernel answering
        if (probe !== 'refused') throw new Error(`expected a refused connection from web-a, got ${probe}`);
        return probe;
      }, () => 'web-a answered (connection refused: no server there)');
    } finally {
      await echo.stop();
    }
    for (const name of ['web-a', 'web-b']) {
      await report.step(`CNI DEL pod ${name} (its NIC goes back to the node's pool)`, async () => {
        const del = await l.delPod(name);
        if (del.exitCode !== 0) throw new Error(`DEL of pod ${name} failed: ${del.stdout.trim()}`);
        return del;
      }, (del) => `plugin exec ${del.ms.toFixed(0)} ms`);
    }
    const calls = l.sim.callCounts();
    report.note(`IaaS calls by both daemons and the lab: ${Object.entries(calls).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  } finally {
    const built = lab;
    if (built !== undefined) await report.step('tear the lab down (daemons, namespaces, NICs, VPC)', () => built.stop());
  }
}
