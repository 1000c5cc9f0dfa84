import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQingCloud, type QingCloud } from '../../../src/qingcloud/index.js';
import { NodeCommandRunner } from '../../../src/shared/node-exec.js';
import { RealEffects } from '../../../src/qingcloud/sim/real-effects.js';
import { sdkConfigFor } from '../../../src/qingcloud/sim/client-config.js';
import { startSimulator, type RunningSimulator } from '../../../src/qingcloud/sim/index.js';
import { isRoot, loopsUnder, netnsNames, randomSuffix, sh, tcpProbe, warnSkip } from '../support/host.js';

warnSkip('test/e2e/qingcloud/sdk-sim-real.test.ts');

describe.skipIf(!isRoot)('SDK + simulator with real effects', () => {
  const suffix = randomSuffix();
  const instanceNetns = `qe2e-${suffix}`;
  const prefix = `q${suffix.slice(0, 5)}`;
  let dir: string;
  let sim: RunningSimulator;
  let sdk: QingCloud;
  const mountPoint = () => path.join(dir, 'mnt');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'qc-e2e-'));
    await sh('ip', ['netns', 'add', instanceNetns]);
    sim = await startSimulator({
      random: 7,
      stateFile: path.join(dir, 'state.json'),
      effects: new RealEffects({ runner: new NodeCommandRunner(), dataDir: path.join(dir, 'data'), deviceRoot: path.join(dir, 'by-id'), namePrefix: prefix }),
      seed: {
        zone: 'sim1a',
        vxnets: [
          { id: 'vxnet-e2e0001', name: 'a', cidr: '192.168.70.0/24' },
          { id: 'vxnet-e2e0002', name: 'b', cidr: '192.168.71.0/24' },
        ],
        instances: [{ id: 'i-e2enode1', name: 'node', instance_class: 0, instance_type: 'c2m4', vxnet: 'vxnet-e2e0001', netns: instanceNetns }],
      },
    });
    const c = sim.clientConfig;
    sdk = createQingCloud({
      config: sdkConfigFor(c, { connectionTimeoutMs: 10_000 }),
      budget: null,
      waiter: { initialIntervalMs: 20, maxIntervalMs: 200 },
    });
  });

  afterAll(async () => {
    // Runs even when a test failed: unmount, stop with cleanup, remove our namespace and files, then check.
    await sh('umount', [mountPoint()]).catch(() => undefined);
    await sdk?.close();
    await sim?.stop({ cleanup: true });
    await sh('ip', ['netns', 'delete', instanceNetns]).catch(() => undefined);
    const leftLoops = dir === undefined ? [] : await loopsUnder(dir);
    const leftNs = (await netnsNames()).filter((n) => n.startsWith(prefix) || n === instanceNetns);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    expect(leftLoops).toEqual([]);
    expect(leftNs).toEqual([]);
  });

  it('attaches a volume as a loop device, keeps data across detach, snapshot and restore', async () => {
    const byId = (volumeId: string) => path.join(dir, 'by-id', 'i-e2enode1', `virtio-${volumeId}`);
    const volumeId = (await sdk.api.volumes.createVolumesAndWait({ size: 20, volume_name: 'e2e', count: 1 })).volumeIds[0]!;
    await sdk.api.volumes.attachVolumesAndWait([volumeId], 'i-e2enode1');
    const device = await realpath(byId(volumeId));
    expect(device).toMatch(/^\/dev\/loop\d+$/);
    expect((await sdk.api.volumes.getVolume(volumeId))?.instance?.device).toBe(device);

    await sh('mkfs.ext4', ['-q', '-F', device]);
    await mkdir(mountPoint(), { recursive: true });
    await sh('mount', [device, mountPoint()]);
    await writeFile(path.join(mountPoint(), 'hello.txt'), 'kept across snapshots\n');
    // Mounted: the cloud refuses the detach, as QingCloud does while the guest holds the disk.
    await expect(sdk.api.volumes.detachVolumes([volumeId], 'i-e2enode1')).rejects.toMatchObject({ retCode: 1400 });
    await sh('umount', [mountPoint()]);
    await sdk.api.volumes.detachVolumesAndWait([volumeId], 'i-e2enode1');
    expect(await realpath(byId(volumeId)).catch(() => 'gone')).toBe('gone');

    const snapshotId = (await sdk.api.snapshots.createSnapshotsAndWait({ resources: [volumeId], snapshot_name: 's', is_full: true })).snapshotIds[0]!;
    const restored = (await sdk.api.snapshots.createVolumeFromSnapshotAndWait({ snapshot: snapshotId, volume_name: 'restored' })).volumeId;
    await sdk.api.volumes.attachVolumesAndWait([restored], 'i-e2enode1');
    await sh('mount', [await realpath(byId(restored)), mountPoint()]);
    expect(await readFile(path.join(mountPoint(), 'hello.txt'), 'utf8')).toBe('kept across snapshots\n');
    await sh('umount', [mountPoint()]);
    await sdk.api.volumes.detachVolumesAndWait([restored], 'i-e2enode1');
    await sdk.api.volumes.deleteVolumesAndWait([volumeId, restored]);
    await sdk.api.snapshots.deleteSnapshotsAndWait([snapshotId]);
  });

  it('plugs an attached NIC into the instance namespace with its MAC, and it reaches the vxnet gateway', async () => {
    const { nics } = await sdk.api.nics.createNics({ vxnet: 'vxnet-e2e0002', nic_name: 'hostnic_i-e2enode1', count: 1 });
    const nic = nics[0]!;
    await sdk.api.nics.attachNicsAndWait([nic.nic_id], 'i-e2enode1');
    const links = JSON.parse(await sh('ip', ['-n', instanceNetns, '-json', 'link', 'show'])) as { ifname: string; address: string }[];
    const link = links.find((l) => l.address === nic.nic_id);
    expect(link).toBeDefined();
    await sh('ip', ['-n', instanceNetns, 'addr', 'add', `${nic.private_ip}/24`, 'dev', link!.ifname]);
    await sh('ip', ['-n', instanceNetns, 'link', 'set', link!.ifname, 'up']);
    expect(await tcpProbe(instanceNetns, '192.168.71.1', 9)).toBe('refused');
    await sdk.api.nics.detachNicsAndWait([nic.nic_id]);
    const after = JSON.parse(await sh('ip', ['-n', instanceNetns, '-json', 'link', 'show'])) as { address: string }[];
    expect(after.some((l) => l.address === nic.nic_id)).toBe(false);
    await sdk.api.nics.deleteNics([nic.nic_id]);
  });
});
