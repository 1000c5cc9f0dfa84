import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunningSimulator } from '../qingcloud/sim/index.js';
import { startDriver } from '../bench/csi-driver.js';
import type { Reporter } from './reporter.js';

const GiB = 1024 ** 3;

/** Runs a PVC's whole life through the qingcloud-csi process, the way the sidecars and kubelet call it. */
export async function storageDemo(report: Reporter, sim: RunningSimulator, dir: string, node: { id: string; deviceDir: string }, realNode: boolean): Promise<void> {
  report.section('CSI driver disk.csi.qingcloud.com (the real qingcloud-csi process, over its unix socket)');
  const configPath = path.join(dir, 'config.yaml');
  await sim.writeClientConfig(configPath);
  const mode = realNode ? 'all' : 'controller';
  const driver = await report.step(`start qingcloud-csi --mode ${mode}`, () =>
    startDriver(path.join(dir, 'csi.sock'), ['--mode', mode, '--config', configPath, '--node-id', node.id, '--device-dir', node.deviceDir, '--log-level', 'warn']),
  );
  if (!realNode) report.skip('node side (mkfs, mount, write, grow)', 'it formats and mounts real devices, which needs root');
  try {
    sim.resetCallCounts();
    await report.step('GetPluginInfo', () => driver.call('identity', 'GetPluginInfo', {}), (r) => `${r.name} ${r.vendor_version}`);
    // The external-provisioner passes the scheduled node's topology first (WaitForFirstConsumer).
    const topology = { segments: { 'topology.disk.csi.qingcloud.com/zone': 'sim1a', 'topology.disk.csi.qingcloud.com/instance-type': 'HighPerformance' } };
    const mount = { mount: { fs_type: 'xfs' }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };
    const create = (name: string, extra: object = {}) =>
      driver.call('controller', 'CreateVolume', {
        name,
        capacity_range: { required_bytes: String(20 * GiB) },
        volume_capabilities: [mount],
        parameters: { fsType: 'xfs' },
        accessibility_requirements: { preferred: [topology] },
        ...extra,
      });
    const created = await report.step('CreateVolume pvc-demo (qingcloud-storageclass, 20 GiB, node type HighPerformance)', () => create('pvc-demo'), (r) => `${r.volume.volume_id}, volume type ${r.volume.volume_context.volumeType} (performance disk)`);
    const volumeId: string = created.volume.volume_id;
    await report.step(`ControllerPublishVolume to ${node.id}`, () => driver.call('controller', 'ControllerPublishVolume', { volume_id: volumeId, node_id: node.id, volume_capability: mount }));
    const staging = path.join(dir, 'kubelet/plugins/kubernetes.io/csi/disk.csi.qingcloud.com/demo/globalmount');
    const target = path.join(dir, 'kubelet/pods/demo-pod/volumes/kubernetes.io~csi/pvc-demo/mount');
    const target2 = path.join(dir, 'kubelet/pods/demo-pod-2/volumes/kubernetes.io~csi/pvc-restored/mount');
    if (realNode) {
      await mkdir(staging, { recursive: true });
      await mkdir(path.dirname(target), { recursive: true });
      await report.step('NodeStageVolume: find the disk by-id, check its serial, mkfs.xfs, mount', () => driver.call('node', 'NodeStageVolume', { volume_id: volumeId, staging_target_path: staging, volume_capability: mount, volume_context: created.volume.volume_context }));
      await report.step('NodePublishVolume: bind mount into the pod', () => driver.call('node', 'NodePublishVolume', { volume_id: volumeId, staging_target_path: staging, target_path: target, volume_capability: mount, readonly: false }));
      await report.step('the pod writes hello.txt', () => writeFile(path.join(target, 'hello.txt'), 'hello from a QingCloud volume\n'));
    }
    await report.step('ControllerExpandVolume to 30 GiB (online)', () => driver.call('controller', 'ControllerExpandVolume', { volume_id: volumeId, capacity_range: { required_bytes: String(30 * GiB) }, volume_capability: mount }), (r) => `${Number(r.capacity_bytes) / GiB} GiB`);
    if (realNode) {
      await report.step('NodeExpandVolume: xfs_growfs while mounted', () => driver.call('node', 'NodeExpandVolume', { volume_id: volumeId, volume_path: target, capacity_range: { required_bytes: String(30 * GiB) }, staging_target_path: staging }));
      await report.step('NodeGetVolumeStats', () => driver.call('node', 'NodeGetVolumeStats', { volume_id: volumeId, volume_path: target }), (r) => `${(Number(r.usage[0].total) / GiB).toFixed(1)} GiB file system, ${r.volume_condition.abnormal ? 'abnormal' : 'healthy'}`);
      await report.step('NodeUnpublishVolume and NodeUnstageVolume', async () => {
        await driver.call('node', 'NodeUnpublishVolume', { volume_id: volumeId, target_path: target });
        await driver.call('node', 'NodeUnstageVolume', { volume_id: volumeId, staging_target_path: staging });
      });
    }
    await report.step('ControllerUnpublishVolume', () => driver.call('controller', 'ControllerUnpublishVolume', { volume_id: volumeId, node_id: node.id }));
    let snapshot = await report.step('CreateSnapshot', () => driver.call('controller', 'CreateSnapshot', { name: 'snapshot-demo', source_volume_id: volumeId }), (r) => r.snapshot.snapshot_id);
    await report.step('wait until ready_to_use (the CO repeats CreateSnapshot)', async () => {
      while (!snapshot.snapshot.ready_to_use) {
        await new Promise((r) => setTimeout(r, 50));
        snapshot = await driver.call('controller', 'CreateSnapshot', { name: 'snapshot-demo', source_volume_id: volumeId });
      }
    });
    const restored = await report.step('CreateVolume pvc-restored from the snapshot', () => create('pvc-restored', { capacity_range: { required_bytes: String(30 * GiB) }, volume_content_source: { snapshot: { snapshot_id: snapshot.snapshot.snapshot_id } } }), (r) => r.volume.volume_id);
    const restoredId: string = restored.volume.volume_id;
    if (realNode) {
      await mkdir(path.dirname(target2), { recursive: true });
      await report.step('publish, stage and publish the restored volume (no reformat)', async () => {
        await driver.call('controller', 'ControllerPublishVolume', { volume_id: restoredId, node_id: node.id, volume_capability: mount });
        await driver.call('node', 'NodeStageVolume', { volume_id: restoredId, staging_target_path: staging, volume_capability: mount });
        await driver.call('node', 'NodePublishVolume', { volume_id: restoredId, staging_target_path: staging, target_path: target2, volume_capability: mount, readonly: false });
      });
      await report.step('the new pod reads hello.txt', () => readFile(path.join(target2, 'hello.txt'), 'utf8'), (text) => JSON.stringify(text.trim()));
      await report.step('tear the restored volume down on the node', async () => {
        await driver.call('node', 'NodeUnpublishVolume', { volume_id: restoredId, target_path: target2 });
        await driver.call('node', 'NodeUnstageVolume', { volume_id: restoredId, staging_target_path: staging });
        await driver.call('controller', 'ControllerUnpublishVolume', { volume_id: restoredId, node_id: node.id });
      });
    }
    await report.step('DeleteSnapshot and DeleteVolume x2', async () => {
      await driver.call('controller', 'DeleteSnapshot', { snapshot_id: snapshot.snapshot.snapshot_id });
      await driver.call('controller', 'DeleteVolume', { volume_id: restoredId });
      await driver.call('controller', 'DeleteVolume', { volume_id: volumeId });
    });
    const calls = sim.callCounts();
    const total = Object.values(calls).reduce((a, b) => a + b, 0);
    report.note(`IaaS calls made by the driver for all of this: ${total} (${Object.entries(calls).map(([a, n]) => `${a} ${n}`).join(', ')})`);
  } finally {
    await driver.stop();
  }
}
