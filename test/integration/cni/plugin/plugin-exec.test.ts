import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CNI_ERROR, SUPPORTED_CNI_VERSIONS } from '../../../../src/cni/types.js';
import { buildPlugin, type BuiltPlugin } from './build-plugin.js';
import { FakeHttpDaemon } from './fake-daemon.js';

 
type JsonDoc = Record<string, any>;

interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

const NETNS = '/var/run/netns/cni-exec-1';
const POD_ARGS = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_UID=u-1';

let plugin: BuiltPlugin;
let dir: string;
let daemon: FakeHttpDaemon;

beforeAll(async () => {
  plugin = await buildPlugin();
});

afterAll(async () => {
  await plugin?.remove();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostnic-exec-'));
  daemon = new FakeHttpDaemon(join(dir, 'hostnic.sock'));
  await daemon.listen();
});

afterEach(async () => {
  await daemon.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the compiled plugin as the runtime does: CNI_* env (nothing else but PATH), config on stdin. */
function exec(env: Record<string, string>, stdin: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [plugin.mainJs], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ stdout, stderr, exitCode }));
    child.stdin.end(stdin);
  });
}

function cniEnv(command: string, extra: Record<string, string> = {}): Record<string, string> {
  return { CNI_COMMAND: command, CNI_CONTAINERID: 'c1', CNI_NETNS: NETNS, CNI_IFNAME: 'eth0', CNI_ARGS: POD_ARGS, CNI_PATH: '/opt/cni/bin', ...extra };
}

function conf(extra: Record<string, unknown> = {}, socket = daemon.socketPath): string {
  return JSON.stringify({ cniVersion: '1.1.0', name: 'hostnic-net', type: 'hostnic', socket, serviceCIDR: '10.96.0.0/12', ...extra });
}

/** Exactly one JSON document on stdout. */
function oneDoc(out: ExecResult): JsonDoc {
  const text = out.stdout.trim();
  expect(text).not.toBe('');
  expect(text.split('\n')).toHaveLength(1);
  return JSON.parse(text) as JsonDoc;
}

describe('hostnic plugin executable', () => {
  it('answers VERSION with the caller version and every supported version', async () => {
    const out = await exec({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
    expect(out.exitCode).toBe(0);
    expect(oneDoc(out)).toEqual({ cniVersion: '1.0.0', supportedVersions: [...SUPPORTED_CNI_VERSIONS] });
    expect(out.stderr).toBe('');
  });

  it('prints the about text to stderr and exits 0 without CNI_COMMAND', async () => {
    const out = await exec({}, '');
    expect(out).toMatchObject({ stdout: '', exitCode: 0 });
    expect(out.stderr).toMatch(/hostnic CNI plugin/);
  });

  it.each(SUPPORTED_CNI_VERSIONS)('runs ADD, CHECK (when the version has it) and DEL end to end in %s', async (version) => {
    const add = await exec(cniEnv('ADD'), conf({ cniVersion: version }));
    expect(add.exitCode).toBe(0);
    const result = oneDoc(add);
    expect(result.cniVersion).toBe(version);
    expect(result.interfaces[1]).toMatchObject({ name: 'eth0', sandbox: NETNS });
    expect(result.ips[0]).toMatchObject({ address: '172.22.1.11/24', interface: 1, ...(version.startsWith('0.') ? { version: '4' } : {}) });
    expect(daemon.received[0]?.body).toMatchObject({ containerId: 'c1', netns: NETNS, ifName: 'eth0', serviceCIDR: '10.96.0.0/12', args: { K8S_POD_NAME: 'web-0', K8S_POD_UID: 'u-1' } });

    if (version !== '0.3.0' && version !== '0.3.1') {
      const check = await exec(cniEnv('CHECK'), conf({ cniVersion: version, prevResult: result }));
      expect(check).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    } else {
      const check = await exec(cniEnv('CHECK'), conf({ cniVersion: version, prevResult: result }));
      expect(oneDoc(check).code).toBe(CNI_ERROR.IncompatibleVersion);
    }

    const del = await exec(cniEnv('DEL'), conf({ cniVersion: version, prevResult: result }));
    expect(del).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(daemon.state.attachments.size).toBe(0);
    const again = await exec(cniEnv('DEL', { CNI_NETNS: '' }), conf({ cniVersion: version }));
    expect(again.exitCode).toBe(0);
  });

  it('runs STATUS and GC against the daemon', async () => {
    await exec(cniEnv('ADD', { CNI_CONTAINERID: 'keep' }), conf());
    await exec(cniEnv('ADD', { CNI_CONTAINERID: 'stale' }), conf());
    const status = await exec({ CNI_COMMAND: 'STATUS', CNI_PATH: '/opt/cni/bin' }, conf());
    expect(status).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    const gc = await exec({ CNI_COMMAND: 'GC', CNI_PATH: '/opt/cni/bin' }, conf({ 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }] }));
    expect(gc).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect([...daemon.state.attachments.keys()]).toEqual(['keep/eth0']);

    daemon.state.statusAnswer = { ready: false, code: CNI_ERROR.NodePodLimit, msg: 'node i-fake0001 runs 60 of 60 pods (maxPods)' };
    const notReady = await exec({ CNI_COMMAND: 'STATUS' }, conf());
    expect(notReady.exitCode).not.toBe(0);
    expect(oneDoc(notReady)).toEqual({ cniVersion: '1.1.0', code: 50, msg: 'node i-fake0001 runs 60 of 60 pods (maxPods)' });
  });

  it('fails ADD with code 101 naming the limit and the node when the daemon says the node is full', async () => {
    daemon.state.maxPods = 0;
    const out = await exec(cniEnv('ADD'), conf());
    expect(out.exitCode).not.toBe(0);
    expect(oneDoc(out)).toMatchObject({ code: CNI_ERROR.NodePodLimit, msg: expect.stringMatching(/i-fake0001 runs 0 of 0 pods \(maxPods\)/) });
  });

  describe('with the daemon down', () => {
    const missing = (): string => join(dir, 'no-daemon.sock');

    it('fails ADD with code 100 saying where the socket is expected', async () => {
      const out = await exec(cniEnv('ADD'), conf({}, missing()));
      expect(out.exitCode).not.toBe(0);
      const d = oneDoc(out);
      expect(d.code).toBe(CNI_ERROR.DaemonUnreachable);
      expect(d.msg).toContain(missing());
      expect(d.msg).toContain('hostnic-daemon pod');
      expect(out.stderr).toBe('');
    });

    it('fails DEL with code 11 so the runtime retries it', async () => {
      const out = await exec(cniEnv('DEL'), conf({}, missing()));
      expect(out.exitCode).not.toBe(0);
      expect(oneDoc(out)).toMatchObject({ cniVersion: '1.1.0', code: CNI_ERROR.TryAgainLater });
    });

    it('reports STATUS code 50', async () => {
      const out = await exec({ CNI_COMMAND: 'STATUS' }, conf({}, missing()));
      expect(oneDoc(out).code).toBe(CNI_ERROR.NotAvailable);
    });
  });

  it.each([
    ['missing CNI_CONTAINERID', cniEnv('ADD', { CNI_CONTAINERID: '' }), () => conf(), CNI_ERROR.InvalidEnvironment],
    ['stdin that is not JSON', cniEnv('ADD'), () => '{not json', CNI_ERROR.DecodingFailure],
    ['a config without a name', cniEnv('ADD'), () => conf({ name: undefined }), CNI_ERROR.InvalidNetworkConfig],
    ['an unsupported cniVersion', cniEnv('ADD'), () => conf({ cniVersion: '0.2.0' }), CNI_ERROR.IncompatibleVersion],
    ['GC in 1.0.0', { CNI_COMMAND: 'GC' }, () => conf({ cniVersion: '1.0.0', 'cni.dev/valid-attachments': [] }), CNI_ERROR.IncompatibleVersion],
  ])('prints exactly one error JSON and exits non-zero for %s', async (_what, env, stdin, code) => {
    const out = await exec(env, stdin());
    expect(out.exitCode).toBe(1);
    const d = oneDoc(out);
    expect(d.code).toBe(code);
    expect(typeof d.cniVersion).toBe('string');
    expect(typeof d.msg).toBe('string');
    expect(out.stderr).toBe('');
    expect(daemon.received).toEqual([]);
  });

  it('writes diagnostics to stderr only when the config asks for them', async () => {
    const out = await exec(cniEnv('ADD'), conf({ debug: true }));
    expect(out.exitCode).toBe(0);
    expect(out.stderr).toBe('hostnic: ADD c1/eth0 done\n');
    expect(oneDoc(out).cniVersion).toBe('1.1.0');
  });

  it('loads nothing but its own modules and node built-ins', async () => {
    const { readdir } = await import('node:fs/promises');
    const files = (await readdir(plugin.dir, { recursive: true })).filter((f) => f.endsWith('.js')).sort();
    expect(files).toEqual(['cni/plugin/config.js', 'cni/plugin/daemon-client.js', 'cni/plugin/daemon.js', 'cni/plugin/env.js', 'cni/plugin/http1.js', 'cni/plugin/main.js', 'cni/plugin/skel.js', 'cni/protocol.js', 'cni/types.js', 'shared/clock.js', 'shared/errors.js']);
  });
});
