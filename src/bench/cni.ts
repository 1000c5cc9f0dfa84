// `npm run bench:cni [-- --pods 50 --latency-ms 300]`: the hostnic CNI on the network lab (real daemon process, real
// plugin exec'd per verb, simulator with real veth NICs): ADD/DEL latency with a warm pool and with an empty one (cold:
// create + attach per ADD, given a simulated attach latency), the plugin's start-up against a bare node, the daemon's
// RSS with 60 pods, and Go's ptp plugin (host-local IPAM) measured in the same run as the yardstick. Needs root.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEBIAN_CNI_DIR, LAB_PLUGIN_PATH, execCni, startNetworkLab, type CniExec, type NetworkLab } from '../demo/network-lab.js';
import { percentiles } from './sim-client.js';

const { values } = parseArgs({ options: { pods: { type: 'string', default: '50' }, 'latency-ms': { type: 'string', default: '300' } } });
const pods = Math.max(50, Number(values.pods));
const latencyMs = Number(values['latency-ms']);
const RSS_PODS = 60;
const SAMPLES = 20;

if (process.getuid?.() !== 0) {
  console.log('bench:cni needs root (it builds network namespaces, veth NICs and a simulated VPC); run it as root. Nothing measured.');
  process.exit(0);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function must(exec: CniExec, what: string): CniExec {
  if (exec.exitCode !== 0) throw new Error(`${what} failed (exit ${exec.exitCode}): ${exec.stdout.trim()} ${exec.stderr.trim()}`);
  return exec;
}

async function repeat(n: number, fn: () => Promise<CniExec>, what: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push(must(await fn(), what).ms);
  return times;
}

/** Waits (polling the introspection view) until the daemon's pool holds an idle NIC: the "warm" precondition. */
async function warm(lab: NetworkLab): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await lab.introspect(1)).pool.idle === 0) {
    if (Date.now() > deadline) throw new Error('the warm pool did not refill within 60 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
const verdict = (ok: boolean): string => (ok ? 'OK' : 'MISSED');
const dir = await mkdtemp(path.join(tmpdir(), 'bench-cni-'));
const labs: NetworkLab[] = [];
try {
  // 1. start-up, on a quiet machine: the plugin's VERSION and a bare node, interleaved, same env, same spawn path
  const bare: number[] = [];
  const version: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    bare.push(must(await execCni(process.execPath, ['-e', ''], {}, ''), "node -e ''").ms);
    version.push(must(await execCni(process.execPath, [LAB_PLUGIN_PATH], { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.1.0"}'), 'plugin VERSION').ms);
  }
  const bareMs = median(bare);
  const versionMs = median(version);
  const warmLab = await startNetworkLab({ dir, nodes: 1, poolLow: 3, poolHigh: 5, maxPods: RSS_PODS });
  labs.push(warmLab);

  // 2. warm pool: every ADD finds an idle NIC (the refill between ADDs is not timed)
  const warmAdd: number[] = [];
  for (let i = 0; i < pods; i++) {
    await warm(warmLab);
    warmAdd.push(must(await warmLab.addPod(1, `w${i}`), `warm ADD ${i}`).ms);
  }
  for (let i = pods; i < RSS_PODS; i++) {
    await warm(warmLab);
    must(await warmLab.addPod(1, `w${i}`), `ADD ${i}`);
  }
  const rssKiB = await warmLab.daemonRssKiB(1);
  const warmDel: number[] = [];
  for (let i = 0; i < RSS_PODS; i++) {
    const ms = must(await warmLab.delPod(`w${i}`), `warm DEL ${i}`).ms;
    if (i < pods) warmDel.push(ms);
  }

  // 3. Go's ptp + host-local in the same run (in a namespace of the lab; nsenter's own cost is measured and taken off)
  const ptpPath = path.join(DEBIAN_CNI_DIR, 'ptp');
  let ptp: { add: number[]; del: number[]; nsenterMs: number } | undefined;
  if (existsSync(ptpPath)) {
    const hostNs = `${warmLab.prefix}-ptph`;
    await warmLab.sh('ip', ['netns', 'add', hostNs]);
    const nsenter = ['--net=/var/run/netns/' + hostNs, '--'];
    const nsenterMs = median(await repeat(SAMPLES, () => execCni('nsenter', [...nsenter, '/bin/true'], {}, ''), 'nsenter'));
    const config = JSON.stringify({ cniVersion: '1.0.0', name: 'ptpbench', type: 'ptp', ipMasq: false, ipam: { type: 'host-local', subnet: '10.77.0.0/16', dataDir: path.join(dir, 'ipam') } });
    const env = (verb: string, i: number): Record<string, string> => ({
      CNI_COMMAND: verb,
      CNI_CONTAINERID: `ptp-${i}`,
      CNI_NETNS: `/var/run/netns/${warmLab.prefix}-pp${i}`,
      CNI_IFNAME: 'eth0',
      CNI_PATH: DEBIAN_CNI_DIR,
    });
    const add: number[] = [];
    const del: number[] = [];
    for (let i = 0; i < pods; i++) {
      await warmLab.sh('ip', ['netns', 'add', `${warmLab.prefix}-pp${i}`]);
      add.push(must(await execCni('nsenter', [...nsenter, ptpPath], env('ADD', i), config), `ptp ADD ${i}`).ms - nsenterMs);
    }
    for (let i = 0; i < pods; i++) {
      del.push(must(await execCni('nsenter', [...nsenter, ptpPath], env('DEL', i), config), `ptp DEL ${i}`).ms - nsenterMs);
      await warmLab.sh('ip', ['netns', 'delete', `${warmLab.prefix}-pp${i}`]);
    }
    await warmLab.sh('ip', ['netns', 'delete', hostNs]);
    ptp = { add, del, nsenterMs };
  }
  await warmLab.stop();

  // 4. empty pool: every ADD creates and attaches its NIC; AttachNics (and DetachNics) jobs take latencyMs
  const coldLab = await startNetworkLab({ dir, nodes: 1, poolLow: 0, poolHigh: 0, maxPods: RSS_PODS, jobLatencyMs: { default: 0, actions: { AttachNics: latencyMs, DetachNics: latencyMs } } });
  labs.push(coldLab);
  const coldAdd: number[] = [];
  for (let i = 0; i < pods; i++) coldAdd.push(must(await coldLab.addPod(1, `c${i}`), `cold ADD ${i}`).ms);
  const coldDel: number[] = [];
  for (let i = 0; i < pods; i++) coldDel.push(must(await coldLab.delPod(`c${i}`), `cold DEL ${i}`).ms);
  await coldLab.stop();

  const wa = percentiles(warmAdd);
  const wd = percentiles(warmDel);
  const ca = percentiles(coldAdd);
  const cd = percentiles(coldDel);
  const rssMiB = rssKiB / 1024;
  console.log(`bench:cni — hostnic (real daemon process + plugin exec per verb) on the network lab, ${pods} pods per series`);
  console.log(`  plugin start-up (VERSION, median of ${SAMPLES}):  ${fmt(versionMs)}  vs bare \`node -e ''\` ${fmt(bareMs)}: ${(versionMs / bareMs).toFixed(2)}x  (target <= 1.3x: ${verdict(versionMs <= 1.3 * bareMs)})  [${path.basename(LAB_PLUGIN_PATH)}]`);
  if (ptp !== undefined) {
    const pa = percentiles(ptp.add);
    const pd = percentiles(ptp.del);
    const budget = bareMs + 2 * pa.p50;
    console.log(`  Go ptp + host-local ADD p50/p99:                ${fmt(pa.p50)} / ${fmt(pa.p99)}   DEL p50/p99: ${fmt(pd.p50)} / ${fmt(pd.p99)}  (nsenter's ${fmt(ptp.nsenterMs)} taken off)`);
    console.log(`  warm ADD p50/p99:                               ${fmt(wa.p50)} / ${fmt(wa.p99)}   (p50 target <= bare node + 2x ptp ADD = ${fmt(budget)}: ${verdict(wa.p50 <= budget)}; p99 target <= 150 ms: ${verdict(wa.p99 <= 150)}; ratio to ptp ADD p50 ${(wa.p50 / pa.p50).toFixed(1)}x)`);
    console.log(`  warm DEL p50/p99:                               ${fmt(wd.p50)} / ${fmt(wd.p99)}   (ratio to ptp DEL p50 ${(wd.p50 / pd.p50).toFixed(1)}x)`);
  } else {
    console.log(`  Go ptp: ${ptpPath} missing (apt-get install containernetworking-plugins); no yardstick this run`);
    console.log(`  warm ADD p50/p99:                               ${fmt(wa.p50)} / ${fmt(wa.p99)}   (p99 target <= 150 ms: ${verdict(wa.p99 <= 150)})`);
    console.log(`  warm DEL p50/p99:                               ${fmt(wd.p50)} / ${fmt(wd.p99)}`);
  }
  console.log(`  cold ADD p50/p99 (attach latency ${latencyMs} ms):    ${fmt(ca.p50)} / ${fmt(ca.p99)}   (target <= ${latencyMs} + 150 ms: p50 ${verdict(ca.p50 <= latencyMs + 150)}, p99 ${verdict(ca.p99 <= latencyMs + 150)})`);
  console.log(`  cold DEL p50/p99 (NIC back to the pool):        ${fmt(cd.p50)} / ${fmt(cd.p99)}`);
  console.log(`  daemon RSS with ${RSS_PODS} pods:                       ${rssMiB.toFixed(1)} MiB  (target <= 60 MiB: ${verdict(rssMiB <= 60)})`);
} finally {
  for (const lab of labs) await lab.stop();
  await rm(dir, { recursive: true, force: true });
}
