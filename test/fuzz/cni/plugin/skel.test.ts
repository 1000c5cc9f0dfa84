import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DaemonAnswerError, DaemonProtocolError, DaemonTimeoutError, DaemonUnreachableError } from '../../../../src/cni/plugin/daemon.js';
import { runSkel, type SkelOutput } from '../../../../src/cni/plugin/skel.js';
import { CNI_COMMANDS } from '../../../../src/cni/plugin/env.js';
import { parseResult, SUPPORTED_CNI_VERSIONS } from '../../../../src/cni/types.js';
import { FakeDaemonClient } from '../../../unit/cni/plugin/fake-daemon-client.js';
import { anyJson, deepJsonText, fuzz, hugeString, noNulString } from '../../support/fuzz.js';

const SOCKET = '/run/hostnic/hostnic.sock';

/** A value that is sometimes valid for its key and otherwise anything at all. */
const validOr = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: anyJson() });

const cniVersion = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SUPPORTED_CNI_VERSIONS) },
  { weight: 1, arbitrary: fc.constantFrom('0.1.0', '0.2.0', '2.0.0', '1.1', 'v1.0.0', '1.0.0-rc1', '99999.0.0', '') },
  { weight: 1, arbitrary: fc.tuple(fc.nat(20_000), fc.nat(20_000), fc.nat(20_000)).map((p) => p.join('.')) },
);

const prevResult = fc.record(
  {
    cniVersion,
    interfaces: fc.array(fc.record({ name: fc.constantFrom('eth0', 'veth1', ''), mac: fc.string(), sandbox: fc.constantFrom('/var/run/netns/p1', '') }, { requiredKeys: [] }), { maxLength: 3 }),
    ips: fc.array(fc.record({ address: fc.constantFrom('10.0.0.5/24', 'fd00::5/64', '10.0.0.5', 'x'), interface: fc.integer({ min: -1, max: 4 }), gateway: fc.constantFrom('10.0.0.1', 'nope') }, { requiredKeys: [] }), { maxLength: 3 }),
    routes: fc.array(fc.record({ dst: fc.constantFrom('0.0.0.0/0', '10.96.0.0/12', 'bad'), gw: fc.constantFrom('10.0.0.1', '') }, { requiredKeys: [] }), { maxLength: 2 }),
    dns: fc.oneof(fc.constant({}), anyJson()),
  },
  { requiredKeys: [] },
);

/** A hostnic network config where every key may be missing, valid or of any type. */
const config = fc.record(
  {
    cniVersion: validOr(cniVersion),
    name: validOr(fc.constantFrom('hostnic', 'k8s-pod-network', 'a.b_c-1')),
    type: validOr(fc.constant('hostnic')),
    socket: validOr(fc.constantFrom(SOCKET, '/tmp/x.sock', 'relative.sock', `/${'s'.repeat(200)}`)),
    serviceCIDR: validOr(fc.constantFrom('10.96.0.0/12', 'fd00::/108', '10.96.0.0/33', '10.96.0.0')),
    debug: validOr(fc.boolean()),
    runtimeConfig: validOr(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })),
    prevResult: validOr(prevResult),
    ipam: fc.jsonValue({ maxDepth: 2 }),
    'cni.dev/valid-attachments': validOr(fc.array(fc.record({ containerID: fc.constantFrom('c1', 'c2', '_bad'), ifname: fc.constantFrom('eth0', 'a/b') }), { maxLength: 3 })),
    'cni.dev/attachments': validOr(fc.array(fc.record({ containerID: fc.constant('c1'), ifname: fc.constant('eth0') }), { maxLength: 2 })),
  },
  { requiredKeys: [] },
);

/** stdin: a config (whole, truncated or with extra keys), random JSON, deep nesting, a huge document, or garbage. */
const stdin = fc.oneof(
  { weight: 6, arbitrary: config.map((c) => JSON.stringify(c)) },
  { weight: 2, arbitrary: fc.tuple(config.map((c) => JSON.stringify(c)), fc.nat()).map(([t, n]) => t.slice(0, n % (t.length + 1))) },
  { weight: 1, arbitrary: anyJson().map((v) => JSON.stringify(v) ?? 'null') },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom('prevResult', 'runtimeConfig', 'name', 'serviceCIDR', 'debug', 'cniVersion', 'cni.dev/valid-attachments'), fc.constantFrom(...SUPPORTED_CNI_VERSIONS))
      .map(([d, key, v]) => `{"cniVersion":"${v}","name":"n","type":"hostnic",${JSON.stringify(key)}:${deepJsonText(d)}}`),
  },
  { weight: 1, arbitrary: hugeString().map((s) => JSON.stringify({ cniVersion: '1.0.0', name: s, type: 'hostnic' })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);

const envValue = fc.oneof(
  { weight: 3, arbitrary: noNulString(30) },
  { weight: 1, arbitrary: hugeString(1_000, 100_000) },
  { weight: 1, arbitrary: fc.constant('') },
);

/** The runtime's environment: CNI_* variables valid, missing or garbage. */
const env = fc.record(
  {
    CNI_COMMAND: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...CNI_COMMANDS) }, { weight: 1, arbitrary: envValue }),
    CNI_CONTAINERID: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('c1', 'abc.def-1', '0') }, { weight: 1, arbitrary: envValue }),
    CNI_NETNS: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('/var/run/netns/p1', '/proc/1/ns/net') }, { weight: 1, arbitrary: envValue }),
    CNI_IFNAME: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('eth0', 'net1') }, { weight: 1, arbitrary: envValue }),
    CNI_ARGS: fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom('K8S_POD_NAMESPACE=default;K8S_POD_NAME=p;IgnoreUnknown=1', '') },
      { weight: 1, arbitrary: envValue },
    ),
    CNI_PATH: envValue,
    HOSTNIC_DEBUG: fc.constantFrom('1', 'true', '0', 'yes'),
  },
  { requiredKeys: [] },
);

/** What the fake daemon does on the next call: answer normally or fail in one of the ways a real client can. */
const daemonFault = fc.oneof(
  { weight: 5, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Error>(
      new DaemonUnreachableError('add', SOCKET, 'ENOENT'),
      new DaemonTimeoutError('add', SOCKET, 120_000),
      new DaemonAnswerError('add', SOCKET, 409, 101, 'node at its pod limit'),
      new DaemonAnswerError('del', SOCKET, 404, 3, 'unknown container'),
      new DaemonProtocolError('add', SOCKET, 'not JSON'),
      new TypeError('boom'),
    ),
  },
);

function checkOutput(out: SkelOutput, command: string | undefined): void {
  expect(Number.isInteger(out.exitCode)).toBe(true);
  if (out.stdout === '') {
    // Nothing printed is only right for a successful verb without a result, or the about text.
    expect(out.exitCode).toBe(0);
    expect(command).not.toBe('ADD');
    expect(command).not.toBe('VERSION');
    return;
  }
  // Exactly one JSON document, newline-terminated.
  expect(out.stdout.endsWith('\n')).toBe(true);
  const doc = JSON.parse(out.stdout) as Record<string, unknown>;
  expect(`${JSON.stringify(doc)}\n`).toBe(out.stdout);
  expect(typeof doc).toBe('object');
  expect(typeof doc.cniVersion).toBe('string');
  if (out.exitCode !== 0) {
    expect(Number.isInteger(doc.code)).toBe(true);
    expect(typeof doc.msg).toBe('string');
    expect((doc.msg as string).length).toBeGreaterThan(0);
    if (doc.details !== undefined) expect(typeof doc.details).toBe('string');
    return;
  }
  expect(doc.code).toBeUndefined();
  if (command === 'VERSION') {
    expect(Array.isArray(doc.supportedVersions)).toBe(true);
    return;
  }
  expect(command).toBe('ADD');
  expect(SUPPORTED_CNI_VERSIONS as readonly unknown[]).toContain(doc.cniVersion);
  expect(() => parseResult(doc)).not.toThrow();
}

describe('the CNI plugin under random env and stdin (runSkel with a fake daemon)', () => {
  it('always prints one JSON document (a result or a spec error), exits non-zero exactly on error, and never throws', async () => {
    await fuzz(
      fc.asyncProperty(env, stdin, daemonFault, async (e, input, fault) => {
        const daemon = new FakeDaemonClient();
        daemon.failNext = fault;
        const out = await runSkel({ env: e, stdin: input, connect: () => daemon });
        checkOutput(out, e.CNI_COMMAND === '' ? undefined : e.CNI_COMMAND);
        // Bad input is named as such: only a daemon that really broke may surface as an unexpected plugin failure.
        if (!(fault instanceof TypeError)) expect(out.stdout).not.toContain('failed unexpectedly');
      }),
      1_000,
      {
        timeout: 5_000,
        // Regression (found by this property): a deeply nested value made the config error message overflow the stack → 999.
        examples: [[{ CNI_COMMAND: 'STATUS' }, `{"cniVersion":"1.1.0","name":${deepJsonText(20_000)},"type":"hostnic"}`, undefined]],
      },
    );
  });

  it('answers a failed stdin read with one error document, whatever the env', async () => {
    await fuzz(
      fc.asyncProperty(env, async (e) => {
        const out = await runSkel({ env: e, stdin: new Error('EIO: read failed'), connect: () => new FakeDaemonClient() });
        checkOutput(out, e.CNI_COMMAND === '' ? undefined : e.CNI_COMMAND);
      }),
      200,
      { timeout: 5_000 },
    );
  });
});
