import { beforeEach, describe, expect, it } from 'vitest';
import type { AddRequest, DelRequest, GcRequest } from '../../../../src/cni/protocol.js';
import { CNI_ERROR, SUPPORTED_CNI_VERSIONS, toVersionedResult, type CniResult } from '../../../../src/cni/types.js';
import { DaemonAnswerError, DaemonProtocolError, DaemonTimeoutError, DaemonUnreachableError, type DaemonClientOptions } from '../../../../src/cni/plugin/daemon.js';
import { runSkel, type SkelOutput } from '../../../../src/cni/plugin/skel.js';
import { FakeDaemonClient } from './fake-daemon-client.js';

const SOCKET = '/run/hostnic/hostnic.sock';
const NETNS = '/var/run/netns/cni-1234';
const POD_ARGS = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=ctr1;K8S_POD_UID=uid-1';

 
type JsonDoc = Record<string, any>;

let daemon: FakeDaemonClient;
let connected: DaemonClientOptions[];

beforeEach(() => {
  daemon = new FakeDaemonClient(SOCKET);
  connected = [];
});

function env(command: string, overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { CNI_COMMAND: command, CNI_CONTAINERID: 'ctr1', CNI_NETNS: NETNS, CNI_IFNAME: 'eth0', CNI_ARGS: POD_ARGS, CNI_PATH: '/opt/cni/bin', ...overrides };
}

function conf(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({ cniVersion: '1.1.0', name: 'hostnic-net', type: 'hostnic', serviceCIDR: '10.96.0.0/12', ...overrides });
}

function run(command: string, stdin: string | Error, envOverrides: Record<string, string | undefined> = {}): Promise<SkelOutput> {
  return runSkel({
    env: env(command, envOverrides),
    stdin,
    connect: (options) => {
      connected.push(options);
      return daemon;
    },
  });
}

/** stdout must be exactly one JSON document (one line). */
function doc(out: SkelOutput): JsonDoc {
  expect(out.stdout.endsWith('\n')).toBe(true);
  expect(out.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(out.stdout) as JsonDoc;
}

function expectError(out: SkelOutput, code: number, msg?: RegExp): JsonDoc {
  expect(out.exitCode).not.toBe(0);
  const d = doc(out);
  expect(Object.keys(d).sort()).toEqual(d.details === undefined ? ['cniVersion', 'code', 'msg'] : ['cniVersion', 'code', 'details', 'msg']);
  expect(d.code).toBe(code);
  if (msg) expect(d.msg).toMatch(msg);
  return d;
}

async function addPod(version = '1.1.0', containerId = 'ctr1'): Promise<JsonDoc> {
  const out = await run('ADD', conf({ cniVersion: version }), { CNI_CONTAINERID: containerId });
  expect(out.exitCode).toBe(0);
  return doc(out);
}

describe('runSkel without a verb', () => {
  it('prints the about text and the supported versions to stderr and exits 0 when CNI_COMMAND is unset', async () => {
    const out = await runSkel({ env: {}, stdin: '', connect: () => daemon });
    expect(out).toMatchObject({ stdout: '', exitCode: 0 });
    expect(out.stderr).toContain('hostnic CNI plugin');
    expect(out.stderr).toContain('1.1.0');
  });

  it('rejects an unknown CNI_COMMAND with code 4', async () => {
    expectError(await run('BOGUS', conf()), CNI_ERROR.InvalidEnvironment, /CNI_COMMAND "BOGUS"/);
  });
});

describe('VERSION', () => {
  it('echoes the caller cniVersion and lists every supported version', async () => {
    const out = await run('VERSION', '{"cniVersion":"0.4.0"}', { CNI_CONTAINERID: undefined });
    expect(out.exitCode).toBe(0);
    expect(doc(out)).toEqual({ cniVersion: '0.4.0', supportedVersions: [...SUPPORTED_CNI_VERSIONS] });
    expect(daemon.calls).toEqual([]);
  });

  it('ignores unreadable stdin and answers with 1.1.0', async () => {
    expect(doc(await run('VERSION', 'not json'))).toEqual({ cniVersion: '1.1.0', supportedVersions: [...SUPPORTED_CNI_VERSIONS] });
    expect((await run('VERSION', new Error('EBADF'))).exitCode).toBe(0);
  });
});

describe('ADD', () => {
  it.each(SUPPORTED_CNI_VERSIONS)('returns the daemon result rendered as a %s result', async (version) => {
    const result = await addPod(version);
    expect(result.cniVersion).toBe(version);
    expect(result.interfaces[1]).toMatchObject({ name: 'eth0', mac: '52:54:9e:00:00:01', sandbox: NETNS });
    expect(result.ips[0]).toMatchObject({ address: '172.22.1.11/24', gateway: '172.22.1.1', interface: 1 });
    const legacy = version.startsWith('0.');
    expect(result.ips[0].version).toBe(legacy ? '4' : undefined);
    expect(result.interfaces[1].mtu).toBe(version === '1.1.0' ? 1500 : undefined);
    expect(result.routes[1].scope).toBe(version === '1.1.0' ? 0 : undefined);
  });

  it('sends the attachment, the pod args, runtimeConfig and serviceCIDR to the daemon socket from the config', async () => {
    const out = await run('ADD', conf({ socket: '/tmp/x/h.sock', runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }] } }));
    expect(out.exitCode).toBe(0);
    expect(connected[0]).toEqual({ socketPath: '/tmp/x/h.sock', timeoutsMs: { add: 120_000, del: 60_000, check: 10_000, status: 10_000, gc: 10_000 } });
    const req = daemon.calls[0]?.request as AddRequest;
    expect(req).toEqual({
      protocolVersion: 1,
      containerId: 'ctr1',
      netns: NETNS,
      ifName: 'eth0',
      args: { IgnoreUnknown: '1', K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: 'web-0', K8S_POD_INFRA_CONTAINER_ID: 'ctr1', K8S_POD_UID: 'uid-1' },
      runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }] },
      serviceCIDR: '10.96.0.0/12',
    });
  });

  it('keeps a previous chained plugin result in front of ours, with our ips pointing at our pod interface', async () => {
    const prev = { cniVersion: '0.4.0', interfaces: [{ name: 'lo0', sandbox: NETNS }], ips: [{ version: '4', address: '192.168.5.2/24', interface: 0 }], routes: [], dns: {} };
    const result = doc(await run('ADD', conf({ cniVersion: '0.4.0', prevResult: prev })));
    expect(result.interfaces.map((i: { name: string }) => i.name)).toEqual(['lo0', 'hnic01', 'eth0']);
    expect(result.ips).toEqual([
      { version: '4', address: '192.168.5.2/24', interface: 0 },
      { version: '4', address: '172.22.1.11/24', gateway: '172.22.1.1', interface: 2 },
    ]);
  });

  it('fails with code 7 when a plugin before it in the chain already created the pod interface', async () => {
    const prev = { cniVersion: '1.1.0', interfaces: [{ name: 'eth0', sandbox: NETNS }], ips: [], routes: [], dns: {} };
    expectError(await run('ADD', conf({ prevResult: prev })), CNI_ERROR.InvalidNetworkConfig, /eth0 .* already exists .*must come before/);
    expect(daemon.calls).toEqual([]);
  });

  it('rejects an unreadable prevResult with code 6 before asking the daemon', async () => {
    expectError(await run('ADD', conf({ prevResult: { ips: [{ address: 'nope' }] } })), CNI_ERROR.DecodingFailure, /prevResult/);
    expect(daemon.calls).toEqual([]);
  });

  it('names every missing environment variable with code 4 and never calls the daemon', async () => {
    const d = expectError(await run('ADD', conf(), { CNI_CONTAINERID: undefined, CNI_NETNS: '', CNI_IFNAME: undefined }), CNI_ERROR.InvalidEnvironment);
    expect(d.msg).toContain('CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME');
    expect(daemon.calls).toEqual([]);
  });

  it('reports the environment before the config, as the reference skel does', async () => {
    expectError(await run('ADD', 'garbage', { CNI_IFNAME: undefined }), CNI_ERROR.InvalidEnvironment);
  });

  it('answers code 5 when stdin could not be read', async () => {
    expectError(await run('ADD', new Error('EIO: read failed')), CNI_ERROR.IoFailure, /EIO/);
  });

  it('answers code 6 for stdin that is not JSON', async () => {
    const d = expectError(await run('ADD', '{"cniVersion": "1.0.0",'), CNI_ERROR.DecodingFailure);
    expect(d.cniVersion).toBe('1.1.0');
  });

  it('answers code 7 for a config without a valid network name, in the requested version', async () => {
    const d = expectError(await run('ADD', conf({ cniVersion: '0.4.0', name: '' })), CNI_ERROR.InvalidNetworkConfig, /"name"/);
    expect(d.cniVersion).toBe('0.4.0');
  });

  it('answers code 1 for a version it does not speak, echoing that version', async () => {
    const d = expectError(await run('ADD', conf({ cniVersion: '0.2.0' })), CNI_ERROR.IncompatibleVersion, /0\.2\.0/);
    expect(d.cniVersion).toBe('0.2.0');
  });

  it('answers code 100 naming the socket and the daemon pod when the daemon is unreachable', async () => {
    daemon.failNext = new DaemonUnreachableError('add', SOCKET, 'ECONNREFUSED');
    expectError(await run('ADD', conf()), CNI_ERROR.DaemonUnreachable, /\/run\/hostnic\/hostnic\.sock.*hostnic-daemon pod/);
  });

  it('passes the daemon pod-limit error through as code 101 with its message', async () => {
    daemon.maxPods = 1;
    await addPod('1.1.0', 'ctr0');
    expectError(await run('ADD', conf()), CNI_ERROR.NodePodLimit, /node i-fake0001 runs 1 of 1 pods \(maxPods\)/);
  });

  it('passes other daemon codes and details through (102 no free address)', async () => {
    daemon.failNext = new DaemonAnswerError('add', SOCKET, 503, CNI_ERROR.NoFreeAddress, 'no free address in vxnets vxnet-a, vxnet-b', 'vxnet-a: 0 of 252 free');
    const d = expectError(await run('ADD', conf()), CNI_ERROR.NoFreeAddress, /vxnet-a, vxnet-b/);
    expect(d.details).toBe('vxnet-a: 0 of 252 free');
  });

  it('answers code 11 when the daemon does not answer in time', async () => {
    daemon.failNext = new DaemonTimeoutError('add', SOCKET, 120_000);
    expectError(await run('ADD', conf()), CNI_ERROR.TryAgainLater, /within 120 s/);
  });

  it('answers code 999 when the daemon answer breaks the protocol', async () => {
    daemon.failNext = new DaemonProtocolError('add', SOCKET, 'result has no ips');
    expectError(await run('ADD', conf()), CNI_ERROR.Internal, /same release/);
  });
});

describe('DEL', () => {
  it('releases the attachment and prints nothing', async () => {
    await addPod();
    const out = await run('DEL', conf());
    expect(out).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(daemon.attachments.size).toBe(0);
  });

  it('succeeds for a container the daemon never saw, and when repeated', async () => {
    expect((await run('DEL', conf(), { CNI_CONTAINERID: 'never-added' })).exitCode).toBe(0);
    await addPod();
    expect((await run('DEL', conf())).exitCode).toBe(0);
    expect((await run('DEL', conf())).exitCode).toBe(0);
    expect(daemon.calls.filter((c) => c.verb === 'del')).toHaveLength(3);
  });

  it('succeeds when the netns is already gone (CNI_NETNS empty)', async () => {
    await addPod();
    const out = await run('DEL', conf(), { CNI_NETNS: '' });
    expect(out.exitCode).toBe(0);
    expect((daemon.calls.at(-1)?.request as DelRequest).netns).toBe('');
  });

  it('treats a daemon "unknown container" answer (code 3) as already deleted', async () => {
    daemon.failNext = new DaemonAnswerError('del', SOCKET, 404, CNI_ERROR.UnknownContainer, 'no such attachment');
    expect((await run('DEL', conf())).exitCode).toBe(0);
  });

  it('forwards a readable prevResult as a hint and drops an unreadable one without failing', async () => {
    const prev = toVersionedResult({ interfaces: [{ name: 'eth0', mac: '52:54:9e:00:00:01', sandbox: NETNS }], ips: [{ address: '172.22.1.11/24', interface: 0 }], routes: [], dns: {} }, '1.0.0');
    expect((await run('DEL', conf({ cniVersion: '1.0.0', prevResult: prev }))).exitCode).toBe(0);
    expect((daemon.calls.at(-1)?.request as DelRequest).prevResult?.interfaces[0]?.mac).toBe('52:54:9e:00:00:01');
    expect((await run('DEL', conf({ prevResult: 'garbage' }))).exitCode).toBe(0);
    expect((daemon.calls.at(-1)?.request as DelRequest).prevResult).toBeUndefined();
  });

  it('answers code 11 (try again later) when the daemon is unreachable, so the runtime retries', async () => {
    daemon.failNext = new DaemonUnreachableError('del', SOCKET, 'ENOENT');
    const d = expectError(await run('DEL', conf()), CNI_ERROR.TryAgainLater, /hostnic\.sock/);
    expect(d.details).toMatch(/retries DEL/);
  });

  it('answers code 11 on a daemon timeout, and passes a cloud error (103) through', async () => {
    daemon.failNext = new DaemonTimeoutError('del', SOCKET, 60_000);
    expectError(await run('DEL', conf()), CNI_ERROR.TryAgainLater);
    daemon.failNext = new DaemonAnswerError('del', SOCKET, 502, CNI_ERROR.CloudError, 'DetachNics failed: ret_code 5000');
    expectError(await run('DEL', conf()), CNI_ERROR.CloudError, /DetachNics/);
  });
});

describe('CHECK', () => {
  it('succeeds silently when the daemon confirms the ADD result', async () => {
    const result = await addPod('0.4.0');
    const out = await run('CHECK', conf({ cniVersion: '0.4.0', prevResult: result }));
    expect(out).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(daemon.calls.at(-1)?.verb).toBe('check');
  });

  it('is refused for config versions before 0.4.0 with code 1', async () => {
    expectError(await run('CHECK', conf({ cniVersion: '0.3.1', prevResult: {} })), CNI_ERROR.IncompatibleVersion, /does not allow CHECK/);
  });

  it('needs a prevResult (code 7)', async () => {
    expectError(await run('CHECK', conf()), CNI_ERROR.InvalidNetworkConfig, /prevResult/);
  });

  it('reports code 3 for a container the daemon does not know', async () => {
    const prev: CniResult = { interfaces: [{ name: 'eth0', sandbox: NETNS }], ips: [{ address: '10.0.0.2/24', interface: 0 }], routes: [], dns: {} };
    expectError(await run('CHECK', conf({ prevResult: toVersionedResult(prev, '1.1.0') })), CNI_ERROR.UnknownContainer);
  });
});

describe('STATUS', () => {
  const statusEnv = { CNI_CONTAINERID: undefined, CNI_NETNS: undefined, CNI_IFNAME: undefined, CNI_ARGS: undefined };

  it('exits 0 with no output when the daemon is ready', async () => {
    expect(await run('STATUS', conf(), statusEnv)).toEqual({ stdout: '', stderr: '', exitCode: 0 });
  });

  it('reports code 50 with the daemon reason when it cannot serve ADD, e.g. at the pod limit', async () => {
    daemon.statusAnswer = { ready: false, code: CNI_ERROR.NodePodLimit, msg: 'node i-fake0001 runs 60 of 60 pods (maxPods)' };
    expectError(await run('STATUS', conf(), statusEnv), CNI_ERROR.NotAvailable, /60 of 60 pods/);
  });

  it('keeps code 51 (limited connectivity) from the daemon', async () => {
    daemon.statusAnswer = { ready: false, code: 51, msg: 'reconciling NICs' };
    expectError(await run('STATUS', conf(), statusEnv), 51);
  });

  it('reports code 50 naming the socket when the daemon is unreachable', async () => {
    daemon.failNext = new DaemonUnreachableError('status', SOCKET, 'ENOENT');
    expectError(await run('STATUS', conf(), statusEnv), CNI_ERROR.NotAvailable, /hostnic\.sock/);
  });

  it('is refused before 1.1.0 with code 1', async () => {
    expectError(await run('STATUS', conf({ cniVersion: '1.0.0' }), statusEnv), CNI_ERROR.IncompatibleVersion);
  });
});

describe('GC', () => {
  it('sends the valid attachments and the daemon releases the others', async () => {
    await addPod('1.1.0', 'keep');
    await addPod('1.1.0', 'stale');
    const out = await run('GC', conf({ 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }], 'cni.dev/attachments': [{ containerID: 'keep', ifname: 'eth0' }] }), { CNI_CONTAINERID: undefined });
    expect(out).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect((daemon.calls.at(-1)?.request as GcRequest).validAttachments).toEqual([{ containerId: 'keep', ifName: 'eth0' }]);
    expect([...daemon.attachments.keys()]).toEqual(['keep/eth0']);
  });

  it('is refused before 1.1.0 with code 1 and without the attachment list with code 7', async () => {
    expectError(await run('GC', conf({ cniVersion: '1.0.0', 'cni.dev/valid-attachments': [] })), CNI_ERROR.IncompatibleVersion);
    expectError(await run('GC', conf()), CNI_ERROR.InvalidNetworkConfig, /valid-attachments/);
  });

  it('answers code 100 when the daemon is unreachable', async () => {
    daemon.failNext = new DaemonUnreachableError('gc', SOCKET, 'ECONNREFUSED');
    expectError(await run('GC', conf({ 'cni.dev/valid-attachments': [] })), CNI_ERROR.DaemonUnreachable);
  });
});

describe('diagnostics', () => {
  it('writes nothing to stderr unless asked', async () => {
    daemon.failNext = new DaemonUnreachableError('add', SOCKET, 'ECONNREFUSED');
    expect((await run('ADD', conf())).stderr).toBe('');
  });

  it('writes the failure and its cause chain to stderr with debug: true, keeping stdout to the error JSON', async () => {
    daemon.failNext = new DaemonUnreachableError('add', SOCKET, 'ECONNREFUSED', { cause: new Error('connect ECONNREFUSED') });
    const out = await run('ADD', conf({ debug: true }));
    expect(out.stderr).toMatch(/^hostnic: ADD failed with code 100: CniError: .*\n {2}caused by DaemonUnreachableError: .*\n {2}caused by Error: connect ECONNREFUSED/);
    expectError(out, CNI_ERROR.DaemonUnreachable);
  });

  it('writes progress to stderr with HOSTNIC_DEBUG=1', async () => {
    const out = await run('ADD', conf(), { HOSTNIC_DEBUG: '1' });
    expect(out.stderr).toBe('hostnic: ADD ctr1/eth0 done\n');
    expect(doc(out).cniVersion).toBe('1.1.0');
  });
});
