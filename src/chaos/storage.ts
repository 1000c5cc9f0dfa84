import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DriverProcess } from '../bench/csi-driver.js';
import { callUntilOk, type CallLedger } from './retry.js';

const GiB = 1024 ** 3;
const cap = { mount: { fs_type: 'xfs' }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };

/** The two driver processes of a cluster: the controller Deployment's and one node DaemonSet pod's. */
export interface StorageCluster {
  controller(): DriverProcess;
  node(): DriverProcess;
  nodeId: string;
  kubeletDir: string;
}

/** Result of one PVC lifecycle. */
export interface LifecycleOutcome {
  checksumOk: boolean;
}

/**
 * One PVC's life as Kubernetes drives it, every call retried like a sidecar: create, attach, stage, publish, write a
 * checksummed file, grow online, snapshot, tear down, restore into a new volume, verify the checksum, delete all.
 */
export async function pvcLifecycle(cluster: StorageCluster, name: string, ledger: CallLedger, sleep: (ms: number) => Promise<void>): Promise<LifecycleOutcome> {
  const retry = <T>(method: string, fn: () => Promise<T>) => callUntilOk(ledger, method, fn, { sleep });
  const ctl = (method: string, req: object) => retry(method, () => cluster.controller().call('controller', method, req, 20_000));
  const nod = (method: string, req: object) => retry(method, () => cluster.node().call('node', method, req, 20_000));
  const dirs = (tag: string) => ({
    staging: path.join(cluster.kubeletDir, 'plugins', `${name}-${tag}`, 'globalmount'),
    target: path.join(cluster.kubeletDir, 'pods', `${name}-${tag}`, 'mount'),
  });
  const up = async (volumeId: string, p: { staging: string; target: string }) => {
    await mkdir(p.staging, { recursive: true });
    await mkdir(path.dirname(p.target), { recursive: true });
    await ctl('ControllerPublishVolume', { volume_id: volumeId, node_id: cluster.nodeId, volume_capability: cap });
    await nod('NodeStageVolume', { volume_id: volumeId, staging_target_path: p.staging, volume_capability: cap });
    await nod('NodePublishVolume', { volume_id: volumeId, staging_target_path: p.staging, target_path: p.target, volume_capability: cap, readonly: false });
  };
  const down = async (volumeId: string, p: { staging: string; target: string }) => {
    await nod('NodeUnpublishVolume', { volume_id: volumeId, target_path: p.target });
    await nod('NodeUnstageVolume', { volume_id: volumeId, staging_target_path: p.staging });
    await ctl('ControllerUnpublishVolume', { volume_id: volumeId, node_id: cluster.nodeId });
  };

  const created = await ctl('CreateVolume', { name, capacity_range: { required_bytes: String(20 * GiB) }, volume_capabilities: [cap], parameters: { fsType: 'xfs' } });
  const volumeId: string = created.volume.volume_id;
  const a = dirs('a');
  await up(volumeId, a);
  const data = randomBytes(64 * 1024);
  const sum = createHash('sha256').update(data).digest('hex');
  await writeFile(path.join(a.target, 'data.bin'), data);
  await writeFile(path.join(a.target, 'data.sha256'), sum);
  await ctl('ControllerExpandVolume', { volume_id: volumeId, capacity_range: { required_bytes: String(30 * GiB) }, volume_capability: cap });
  await nod('NodeExpandVolume', { volume_id: volumeId, volume_path: a.target, capacity_range: { required_bytes: String(30 * GiB) }, staging_target_path: a.staging });
  await down(volumeId, a);

  let snapshot = await ctl('CreateSnapshot', { name: `${name}-snap`, source_volume_id: volumeId });
  while (!snapshot.snapshot.ready_to_use) {
    await sleep(50);
    snapshot = await ctl('CreateSnapshot', { name: `${name}-snap`, source_volume_id: volumeId });
  }
  const restored = await ctl('CreateVolume', {
    name: `${name}-restored`,
    capacity_range: { required_bytes: String(30 * GiB) },
    volume_capabilities: [cap],
    volume_content_source: { snapshot: { snapshot_id: snapshot.snapshot.snapshot_id } },
  });
  const restoredId: string = restored.volume.volume_id;
  const b = dirs('b');
  await up(restoredId, b);
  const back = await readFile(path.join(b.target, 'data.bin'));
  const checksumOk = createHash('sha256').update(back).digest('hex') === (await readFile(path.join(b.target, 'data.sha256'), 'utf8'));
  await down(restoredId, b);
  await ctl('DeleteSnapshot', { snapshot_id: snapshot.snapshot.snapshot_id });
  await ctl('DeleteVolume', { volume_id: restoredId });
  await ctl('DeleteVolume', { volume_id: volumeId });
  return { checksumOk };
}
