#!/usr/bin/env node
// `npm start`: the embedded demo. Starts the QingCloud simulator in-process, runs the storage lifecycle through the
// real qingcloud-csi process (real loop devices, file systems and mounts when run as root), then two pods on two
// simulated nodes reaching each other through their own QingCloud NICs (hostnic; root only).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NodeCommandRunner } from '../shared/node-exec.js';
import { RealEffects } from '../qingcloud/sim/real-effects.js';
import { startSimulator } from '../qingcloud/sim/index.js';
import { sdkForSimulator } from '../bench/sim-client.js';
import { Reporter } from './reporter.js';
import { storageDemo } from './storage.js';
import { networkDemo } from './network.js';

const report = new Reporter();
const isRoot = process.getuid?.() === 0;
const dir = await mkdtemp(path.join(tmpdir(), 'qingcloud-demo-'));
const deviceRoot = path.join(dir, 'by-id');
const effects = isRoot ? new RealEffects({ runner: new NodeCommandRunner(), dataDir: path.join(dir, 'data'), deviceRoot, namePrefix: 'qdemo' }) : undefined;
let failed = false;

report.section('QingCloud simulator');
const sim = await report.step(
  `start the simulator (${isRoot ? 'real effects: loop devices, veth NICs' : 'pure state'}, 200 ms per cloud job)`,
  () => startSimulator({ stateFile: path.join(dir, 'state.json'), jobLatencyMs: 200, ...(effects === undefined ? {} : { effects }) }),
  (s) => s.url,
);
if (!isRoot) report.skip('real effects (loop devices, mounts, namespaces)', 'they need root; run `sudo npm start` to see them');
const sdk = sdkForSimulator(sim, { budget: null });
try {
  report.section('The simulated cloud, through the SDK');
  await report.step('DescribeZones', () => sdk.api.zones.describeZones(), (p) => p.items.map((z) => z.zone_id).join(', '));
  await report.step('DescribeInstances', () => sdk.api.instances.describeAllInstances(), (l) => l.map((i) => `${i.instance_id} (class ${i.instance_class})`).join(', '));
  await report.step('DescribeVxnets', () => sdk.api.vxnets.describeVxnets(), (p) => p.items.map((v) => `${v.vxnet_id} ${v.router?.ip_network ?? ''}`).join(', '));
  await storageDemo(report, sim, dir, { id: 'i-sim00001', deviceDir: path.join(deviceRoot, 'i-sim00001') }, isRoot);
  const networkDir = path.join(dir, 'network');
  await mkdir(networkDir);
  await networkDemo(report, networkDir);
  report.summary();
} catch (err) {
  failed = true;
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
} finally {
  await sdk.close();
  await sim.stop({ cleanup: true });
  await rm(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
