#!/usr/bin/env node
// `npm run chaos [-- --size 8 --pods 8 --concurrency 4 --seed 1 --kill-every-ms 1500]`: PVC lifecycles and pod
// lifecycles at the same time, against simulators with real effects, while the cloud misbehaves (5000/5100/2500,
// failed and slow jobs) and the CSI controller, the CSI node plugin and the hostnic daemons of two nodes are killed
// with SIGKILL at random moments and restarted, as Kubernetes would. Prints what is left over and exits non-zero when
// anything leaked, was duplicated, lost data or was shared. Soak: `npm run chaos -- --size 200 --pods 200 --concurrency 8`.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startDriver, type DriverProcess } from '../bench/csi-driver.js';
import { startSimulator } from '../qingcloud/sim/index.js';
import { RealEffects } from '../qingcloud/sim/real-effects.js';
import { seededRandom } from '../qingcloud/sim/rng.js';
import { NodeCommandRunner } from '../shared/node-exec.js';
import { runChecked } from '../shared/exec.js';
import { CallLedger } from './retry.js';
import { nicLeftovers, podLifecycles, type NetworkChaosReport } from './network.js';
import { startNetworkLab, type NetworkLab } from '../demo/network-lab.js';
import { pvcLifecycle, type StorageCluster } from './storage.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    'kill-every-ms': { type: 'string', default: '1500' },
    pods: { type: 'string', default: '16' },
  },
});
const podCount = Number(values.pods);
const size = Number(values.size);
const concurrency = Number(values.concurrency);
const seed = Number(values.seed);
const killEveryMs = Number(values['kill-every-ms']);

if (process.getuid?.() !== 0) {
  console.log('chaos: skipped — it needs root (loop devices, file systems, mounts); run it as root');
  process.exit(0);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const random = seededRandom(seed);
const runner = new NodeCommandRunner();
const NODE = 'i-chaos001';
const started = performance.now();
const dir = await mkdtemp(path.join(tmpdir(), 'qingcloud-chaos-'));
const deviceRoot = path.join(dir, 'by-id');
const dataDir = path.join(dir, 'data');
const kubeletDir = path.join(dir, 'kubelet');
const sim = await startSimulator({
  random: seed,
  stateFile: path.join(dir, 'state.json'),
  effects: new RealEffects({ runner, dataDir, deviceRoot, namePrefix: `x${seed.toString(36).slice(-4)}` }),
  jobLatencyMs: { min: 20, max: 300 },
  seed: { instances: [{ id: NODE, name: 'chaos-node', instance_class: 0, instance_type: 'c2m4' }], limits: { max_volumes_per_instance: 64 } },
});
const configPath = path.join(dir, 'config.yaml');
await sim.writeClientConfig(configPath);

let done = false;
let lab: NetworkLab | undefined;
let net: NetworkChaosReport | undefined;
let nics: { leaked: number; assigned: number } | undefined;
let netCalls: Record<string, number> = {};
let report: Record<'completed' | 'leakedVolumes' | 'duplicated' | 'leakedSnapshots' | 'attachments' | 'mounts' | 'loops' | 'mismatches' | 'totalCalls', number> | undefined;
const kills = { controller: 0, node: 0, daemons: 0 };
const ledger = new CallLedger();
let calls: Record<string, number> = {};
const procs: Record<'controller' | 'node', DriverProcess | undefined> = { controller: undefined, node: undefined };
try {
  const flags = {
    controller: ['--mode', 'controller', '--config', configPath, '--api-rate', '1000', '--api-burst', '1000', '--log-level', 'error'],
    node: ['--mode', 'node', '--config', configPath, '--node-id', NODE, '--device-dir', path.join(deviceRoot, NODE), '--log-level', 'error'],
  };
  const start = async (role: 'controller' | 'node') => {
    procs[role] = await startDriver(path.join(dir, `${role}.sock`), flags[role], 'bundle', { upIsEnough: true, readyTimeoutMs: 60_000 });
  };
  await start('controller');
  await start('node');
  const labDir = path.join(dir, 'network');
  await mkdir(labDir);
  lab = await startNetworkLab({ dir: labDir, nodes: 2, poolLow: 1, poolHigh: 3, maxPods: 30, jobLatencyMs: { min: 20, max: 200 } });
  const theLab = lab;
  const cluster: StorageCluster = {
    controller: () => procs.controller!,
    node: () => procs.node!,
    nodeId: NODE,
    kubeletDir,
  };

  // The clouds misbehave from here on.
  const faults = { retCodes: { 5000: 0.02, 5100: 0.05, 2500: 0.02 }, jobFailureRate: 0.05 };
  sim.setFaults(faults);
  sim.resetCallCounts();
  theLab.sim.setFaults(faults);
  theLab.sim.resetCallCounts();

  const killer = (async () => {
    while (!done) {
      await sleep(killEveryMs * (0.5 + random()));
      if (done) break;
      const pick = random();
      if (pick >= 0.5) {
        const node = pick < 0.75 ? 1 : 2;
        await theLab.killDaemon(node, 'SIGKILL');
        kills.daemons += 1;
        await sleep(50 + random() * 200);
        await theLab.restartDaemon(node);
        continue;
      }
      const role = pick < 0.25 ? 'controller' : 'node';
      const victim = procs[role]!;
      victim.child.kill('SIGKILL');
      await new Promise((r) => victim.child.once('exit', r));
      kills[role] += 1;
      await victim.stop();
      await sleep(50 + random() * 200);
      // Like a kubelet restarting a crashed container: keep trying until it runs.
      for (let attempt = 1; ; attempt++) {
        try {
          await start(role);
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          console.error(`chaos: restarting the ${role} failed (${(err as Error).message.slice(0, 200)}); retrying`);
        }
      }
    }
  })();
  // Reported here at once; `await killer` below fails the run (and the finally block still cleans up).
  killer.catch((err: unknown) => console.error(`chaos: the process killer failed: ${(err as Error).message}`));

  let next = 0;
  let mismatches = 0;
  let completed = 0;
  const pods = podLifecycles(theLab, { size: podCount, concurrency, prefix: `p${seed.toString(36).slice(-3)}x`, sleep });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < size) {
        const i = next++;
        const outcome = await pvcLifecycle(cluster, `chaos-${seed}-${i}`, ledger, sleep);
        if (!outcome.checksumOk) mismatches += 1;
        completed += 1;
      }
    }),
  );
  net = await pods;
  done = true;
  await killer;
  sim.setFaults({});
  await sim.settled();
  theLab.sim.setFaults({});
  await theLab.sim.settled();
  nics = await nicLeftovers(theLab);
  netCalls = theLab.sim.callCounts();

  const world = sim.world();
  const ours = (name: string) => name.startsWith(`chaos-${seed}-`);
  const live = (status: string) => status !== 'deleted' && status !== 'ceased';
  const volumes = Object.values(world.volumes).filter((v) => ours(v.volume_name));
  const leakedVolumes = volumes.filter((v) => live(v.status)).length;
  const attachments = volumes.filter((v) => v.status === 'in-use' || (v.instance_id ?? '') !== '').length;
  const perName = new Map<string, number>();
  for (const v of volumes) if (v.status !== 'ceased') perName.set(v.volume_name, (perName.get(v.volume_name) ?? 0) + 1);
  const duplicated = [...perName.values()].filter((n) => n > 1).length;
  const leakedSnapshots = Object.values(world.snapshots).filter((s) => ours(s.snapshot_name) && live(s.status)).length;
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => (l.split(' ')[4] ?? '').startsWith(dir)).length;
  const loopsOut = await runChecked(runner, 'losetup', ['--list', '--json']);
  const loops = loopsOut.trim() === '' ? 0 : (JSON.parse(loopsOut) as { loopdevices: { 'back-file': string | null }[] }).loopdevices.filter((l) => (l['back-file'] ?? '').startsWith(dataDir)).length;
  calls = sim.callCounts();
  const totalCalls = Object.values(calls).reduce((a, b) => a + b, 0);
  report = { completed, leakedVolumes, duplicated, leakedSnapshots, attachments, mounts, loops, mismatches, totalCalls };
} finally {
  // Also when the run failed: stop the workload's processes, unmount what is left under our directory (deepest
  // first), let the simulator remove its loop devices and links, and delete the files.
  done = true;
  await procs.controller?.stop().catch(() => undefined);
  await procs.node?.stop().catch(() => undefined);
  await lab?.stop().catch((err: unknown) => console.error(`chaos: stopping the network lab failed: ${(err as Error).message}`));
  const leftMounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir));
  for (const m of leftMounts.sort((x, y) => y.length - x.length)) await runner.run('umount', ['-l', '--', m]).catch(() => undefined);
  await sim.stop({ cleanup: true }).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}
const { completed, leakedVolumes, duplicated, leakedSnapshots, attachments, mounts, loops, mismatches, totalCalls } = report;
const rows: [string, number | string, string][] = [
  ['PVC lifecycles completed', `${completed}/${size}`, completed === size ? 'ok' : 'FAIL'],
  ['volumes leaked in the cloud', leakedVolumes, leakedVolumes === 0 ? 'ok' : 'FAIL'],
  ['volumes duplicated (one name, two volumes)', duplicated, duplicated === 0 ? 'ok' : 'FAIL'],
  ['snapshots leaked', leakedSnapshots, leakedSnapshots === 0 ? 'ok' : 'FAIL'],
  ['attachments left', attachments, attachments === 0 ? 'ok' : 'FAIL'],
  ['mounts left on the host', mounts, mounts === 0 ? 'ok' : 'FAIL'],
  ['loop devices left on the host', loops, loops === 0 ? 'ok' : 'FAIL'],
  ['data checksum mismatches', mismatches, mismatches === 0 ? 'ok' : 'FAIL'],
  ['answers no sidecar should get', ledger.wrong.length, ledger.wrong.length === 0 ? 'ok' : 'FAIL'],
  ['pod lifecycles completed', `${net.completed}/${podCount}`, net.completed === podCount ? 'ok' : 'FAIL'],
  ['NICs leaked (in the cloud, no daemon knows them)', nics.leaked, nics.leaked === 0 ? 'ok' : 'FAIL'],
  ['NICs still assigned after every pod left', nics.assigned, nics.assigned === 0 ? 'ok' : 'FAIL'],
  ['pods that shared an address', net.sharedAddresses, net.sharedAddresses === 0 ? 'ok' : 'FAIL'],
  ['pods the node could not reach over TCP', net.trafficFailures, net.trafficFailures === 0 ? 'ok' : 'FAIL'],
  ['CNI answers no runtime should get', net.wrong.length, net.wrong.length === 0 ? 'ok' : 'FAIL'],
];
console.log(`chaos (seed ${seed}, ${size} PVC lifecycles, ${concurrency} at a time, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
console.log(`  SIGKILLs: CSI controller ${kills.controller}, CSI node plugin ${kills.node}, hostnic daemons ${kills.daemons}; cloud faults: 5000 2%, 5100 5%, 2500 2%, failed jobs 5%, job latency 20-300 ms`);
for (const [what, value, verdict] of rows) console.log(`  ${what.padEnd(44)} ${String(value).padStart(8)}  ${verdict}`);
console.log(`  IaaS calls per PVC lifecycle                  ${(totalCalls / Math.max(1, completed)).toFixed(1)}  (${Object.entries(calls).sort().map(([a, n]) => `${a} ${n}`).join(', ')})`);
console.log(`  RPC answers: ${[...ledger.codes.entries()].sort().map(([c, n]) => `${c} ${n}`).join(', ')}`);
const netTotal = Object.values(netCalls).reduce((a, b) => a + b, 0);
console.log(`  IaaS calls per pod lifecycle                  ${(netTotal / Math.max(1, net.completed)).toFixed(1)}  (${Object.entries(netCalls).sort().map(([a, n]) => `${a} ${n}`).join(', ')})`);
console.log(`  CNI answers: ${[...net.codes.entries()].sort().map(([c, n]) => `${c} ${n}`).join(', ')}`);
for (const w of ledger.wrong.slice(0, 10)) console.log(`  wrong answer: ${w}`);
for (const w of net.wrong.slice(0, 10)) console.log(`  wrong CNI answer: ${w}`);
process.exit(rows.some(([, , verdict]) => verdict === 'FAIL') ? 1 : 0);
