import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDriver, type DriverProcess } from '../../../src/bench/csi-driver.js';
import { startSimulator, type RunningSimulator } from '../../../src/qingcloud/sim/index.js';
import { distEntry } from '../../support/dist.js';

// The qingcloud-csi process as the image runs it: flags, socket handling, metrics, shutdown.

let sim: RunningSimulator | undefined;
let driver: DriverProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  await driver?.stop();
  await sim?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  driver = sim = dir = undefined;
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  return port;
}

describe('qingcloud-csi process', () => {
  it('replaces a stale socket, serves metrics without secrets, and drains on SIGTERM', async () => {
    distEntry('bundle/qingcloud-csi.mjs');
    dir = await mkdtemp(path.join(tmpdir(), 'csi-proc-'));
    sim = await startSimulator({ random: 4 });
    const configPath = path.join(dir, 'config.yaml');
    await sim.writeClientConfig(configPath);
    const socket = path.join(dir, 'csi.sock');
    // A socket left by a crashed process.
    const stale = createServer().listen(socket);
    await once(stale, 'listening');
    stale.close();
    const port = await freePort();
    driver = await startDriver(socket, ['--mode', 'controller', '--config', configPath, '--metrics-address', `127.0.0.1:${port}`]);
    expect((await stat(socket)).mode & 0o777).toBe(0o660);
    await driver.call('controller', 'CreateVolume', { name: 'pvc-metrics', capacity_range: { required_bytes: String(20 * 1024 ** 3) }, volume_capabilities: [{ mount: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } }] });
    await driver.call('controller', 'DeleteVolume', {}).catch(() => undefined);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(/qingcloud_csi_rpc_total\{method="CreateVolume",code="OK"\} 1/);
    expect(text).toMatch(/qingcloud_csi_rpc_total\{method="DeleteVolume",code="INVALID_ARGUMENT"\} 1/);
    expect(text).toMatch(/qingcloud_csi_cloud_calls_total\{action="CreateVolumes",outcome="ok"\} 1/);
    expect(text).toContain('qingcloud_csi_operations_in_flight 0');
    expect(text).not.toContain(sim.clientConfig.qy_secret_access_key);
    driver.child.kill('SIGTERM');
    const [code] = (await once(driver.child, 'exit')) as [number];
    expect(code).toBe(0);
    await expect(stat(socket)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fails fast with one message naming every bad flag', async () => {
    const child = spawn(process.execPath, [distEntry('bundle/qingcloud-csi.mjs'), '--endpoint', 'tcp://x', '--mode', 'both']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(stderr).toContain('--endpoint tcp://x must look like unix:///path/csi.sock');
    expect(stderr).toContain('--mode both must be controller, node or all');
  });

  it('refuses to start a controller without credentials, saying which file', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'csi-proc-'));
    const child = spawn(process.execPath, [distEntry('bundle/qingcloud-csi.mjs'), '--endpoint', `unix://${dir}/x.sock`, '--mode', 'controller', '--config', `${dir}/missing.yaml`]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(stderr).toContain(`${dir}/missing.yaml`);
  });
});
