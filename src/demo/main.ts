#!/usr/bin/env node
// `npm start`: the embedded demo. Starts the QingCloud simulator in-process and drives it the way the driver does,
// with real loop devices and network namespaces when run as root.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NodeCommandRunner } from '../shared/node-exec.js';
import { RealEffects } from '../qingcloud/sim/real-effects.js';
import { startSimulator } from '../qingcloud/sim/index.js';
import { sdkForSimulator } from '../bench/sim-client.js';
import { Reporter } from './reporter.js';

const report = new Reporter();
const isRoot = process.getuid?.() === 0;
const dir = await mkdtemp(path.join(tmpdir(), 'qingcloud-demo-'));
const effects = isRoot
  ? new RealEffects({ runner: new NodeCommandRunner(), dataDir: path.join(dir, 'data'), deviceRoot: path.join(dir, 'by-id'), namePrefix: 'qdemo' })
  : undefined;

report.section('QingCloud simulator');
const sim = await report.step(
  `start the simulator (${isRoot ? 'real effects: loop devices, veth NICs' : 'pure state'})`,
  () => startSimulator({ stateFile: path.join(dir, 'state.json'), jobLatencyMs: 50, ...(effects === undefined ? {} : { effects }) }),
  (s) => s.url,
);
if (!isRoot) report.skip('real effects (loop devices, mounts, namespaces)', 'they need root; run `sudo npm start` to see them');
const sdk = sdkForSimulator(sim, { budget: null, waiter: { initialIntervalMs: 25, maxIntervalMs: 200 } });

try {
  report.section('SDK round trip');
  await report.step('DescribeZones', () => sdk.api.zones.describeZones(), (p) => p.items.map((z) => z.zone_id).join(', '));
  const instances = await report.step('DescribeInstances', () => sdk.api.instances.describeAllInstances(), (l) => l.map((i) => `${i.instance_id} (class ${i.instance_class})`).join(', '));
  await report.step('DescribeVxnets', () => sdk.api.vxnets.describeVxnets(), (p) => p.items.map((v) => `${v.vxnet_id} ${v.router?.ip_network ?? ''}`).join(', '));
  const node = instances.find((i) => i.instance_class === 0) ?? instances[0]!;
  const created = await report.step('CreateVolumes 20 GB and wait for the job', () => sdk.api.volumes.createVolumesAndWait({ size: 20, volume_name: 'demo', count: 1 }), (c) => c.volumeIds.join(''));
  const volumeId = created.volumeIds[0]!;
  await report.step(`AttachVolumes to ${node.instance_id}`, () => sdk.api.volumes.attachVolumesAndWait([volumeId], node.instance_id));
  await report.step('DescribeVolumes', () => sdk.api.volumes.getVolume(volumeId), (v) => `${v?.status} on ${v?.instance?.instance_id} as ${v?.instance?.device}`);
  await report.step('DetachVolumes', () => sdk.api.volumes.detachVolumesAndWait([volumeId], node.instance_id));
  const snapshot = await report.step('CreateSnapshots', () => sdk.api.snapshots.createSnapshotsAndWait({ resources: [volumeId], snapshot_name: 'demo', is_full: true }), (s) => s.snapshotIds.join(''));
  const restored = await report.step('CreateVolumeFromSnapshot', () => sdk.api.snapshots.createVolumeFromSnapshotAndWait({ snapshot: snapshot.snapshotIds[0]!, volume_name: 'demo-restored' }), (r) => r.volumeId);
  await report.step('DeleteSnapshots and DeleteVolumes', async () => {
    await sdk.api.snapshots.deleteSnapshotsAndWait(snapshot.snapshotIds);
    await sdk.api.volumes.deleteVolumesAndWait([volumeId, restored.volumeId]);
  });
  const calls = sim.callCounts();
  report.summary([`${Object.values(calls).reduce((a, b) => a + b, 0)} API calls: ${Object.entries(calls).map(([a, n]) => `${a} ${n}`).join(', ')}`]);
} finally {
  await sdk.close();
  await sim.stop({ cleanup: true });
  await rm(dir, { recursive: true, force: true });
}
