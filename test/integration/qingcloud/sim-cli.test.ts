import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createQingCloud, loadConfig } from '../../../src/qingcloud/index.js';
import { distEntry } from '../../support/dist.js';

const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Starts the built CLI and resolves with its one ready line. */
async function startCli(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; line: string }> {
  const child = spawn(process.execPath, [distEntry('qingcloud/sim/main.js'), ...args]);
  children.push(child);
  const lines = createInterface({ input: child.stdout });
  const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => [''])])) as [string];
  return { child, line };
}

describe('qingcloud-sim command line', () => {
  it('prints one ready line, writes a client config that works, and keeps state across a restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'qcsim-cli-'));
    dirs.push(dir);
    const state = path.join(dir, 'state.json');
    const configPath = path.join(dir, 'config.yaml');
    const first = await startCli(['--listen', '127.0.0.1:0', '--state', state, '--write-client-config', configPath]);
    expect(first.line).toMatch(/^qingcloud-sim listening on http:\/\/127\.0\.0\.1:\d+\/iaas\/$/);
    expect((await stat(configPath)).mode & 0o777).toBe(0o600);
    const yaml = await readFile(configPath, 'utf8');
    for (const key of ['qy_access_key_id', 'qy_secret_access_key', 'zone', 'host', 'port', 'protocol', 'uri']) expect(yaml).toContain(`${key}:`);

    const sdk = createQingCloud({ config: await loadConfig({ file: configPath }), budget: null, waiter: { initialIntervalMs: 20 } });
    const volumeId = (await sdk.api.volumes.createVolumesAndWait({ size: 20, volume_name: 'kept', count: 1 })).volumeIds[0]!;
    await sdk.close();
    first.child.kill('SIGTERM');
    const [code] = (await once(first.child, 'exit')) as [number];
    expect(code).toBe(0);

    const second = await startCli(['--listen', '127.0.0.1:0', '--state', state, '--write-client-config', configPath]);
    expect(second.line).toContain('listening');
    const again = createQingCloud({ config: await loadConfig({ file: configPath }), budget: null });
    expect((await again.api.volumes.getVolume(volumeId))?.volume_name).toBe('kept');
    await again.close();
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
  });

  it('fails fast with a usage message on a bad flag', async () => {
    const child = spawn(process.execPath, [distEntry('qingcloud/sim/main.js'), '--listen', 'nowhere', '--state', '/tmp/unused-state.json']);
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(stderr).toContain('--listen must be HOST:PORT');
  });
});
