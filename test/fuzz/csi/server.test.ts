import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateHostPath } from '../../../src/csi/mount/paths.js';
import { blockCapability, DRIVER, GiB, keys, mountCapability, NODE_ID, startHarness, type Harness } from '../../integration/csi/harness.js';
import { fuzz, noNulString } from '../support/fuzz.js';

/** Where this test's "kubelet" stages and publishes: every path a mutating mounter call gets must be under these. */
const STAGING_ROOT = '/kubelet/plugins/staging';
const TARGET_ROOT = '/kubelet/pods';
const ROOTS = [STAGING_ROOT, TARGET_ROOT];
const MUTATING = new Set(['mount', 'bindMount', 'makeDir', 'makeFile', 'removePath', 'unmount', 'format', 'resizeFilesystem']);

let h: Harness;
/** Volumes and a snapshot that exist, so random requests also hit real ids. */
const live = { volumes: [] as string[], snapshots: [] as string[], nodeVolume: '' };

beforeAll(async () => {
  h = await startHarness();
  h.mounter.addDir(STAGING_ROOT).addDir(TARGET_ROOT);
  for (const name of ['fuzz-a', 'fuzz-b', 'fuzz-node']) {
    const res = await h.call('controller', 'CreateVolume', { name, capacity_range: { required_bytes: String(10 * GiB) }, volume_capabilities: [mountCapability()], parameters: {} });
    live.volumes.push(res.volume.volume_id as string);
  }
  // The node side's volume stays attached: the controller properties never see its id (they could detach it).
  live.nodeVolume = live.volumes.pop()!;
  for (const id of [live.volumes[0], live.nodeVolume]) await h.call('controller', 'ControllerPublishVolume', { volume_id: id, node_id: NODE_ID, volume_capability: mountCapability() });
  const snap = await h.call('controller', 'CreateSnapshot', { name: 'fuzz-snap', source_volume_id: live.volumes[1] });
  live.snapshots.push(snap.snapshot.snapshot_id as string);
}, 30_000);

afterAll(async () => {
  await h?.stop(true);
});

// ---- field generators: valid values now and then, hostile ones otherwise ----

const anyString = fc.oneof(
  { weight: 4, arbitrary: noNulString(40) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 20_000 }).map((n) => 'v'.repeat(n)) },
  { weight: 1, arbitrary: fc.constant('') },
);
const volumeId = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('live0', 'live1').map((k) => live.volumes[Number(k.slice(4))]!) },
  { weight: 2, arbitrary: fc.stringMatching(/^vol-[a-z0-9]{8}$/) },
  { weight: 2, arbitrary: anyString },
);
const snapshotId = fc.oneof(
  { weight: 2, arbitrary: fc.constant('snap0').map(() => live.snapshots[0]!) },
  { weight: 2, arbitrary: fc.stringMatching(/^ss-[a-z0-9]{8}$/) },
  { weight: 2, arbitrary: anyString },
);
/** Node-side volume ids: the attached volume, other well-formed ids, anything. */
const nodeVolumeId = fc.oneof(
  { weight: 4, arbitrary: fc.constant('node').map(() => live.nodeVolume) },
  { weight: 1, arbitrary: fc.stringMatching(/^vol-[a-z0-9]{8}$/) },
  { weight: 1, arbitrary: anyString },
);
const nodeId = fc.oneof(fc.constant(NODE_ID), fc.stringMatching(/^i-[a-z0-9]{8}$/), anyString);
const int64 = fc.oneof(
  fc.constantFrom('0', String(GiB), String(10 * GiB), String(20 * GiB), '-1', '9223372036854775807', '-9223372036854775808', String(2 ** 53 + 1)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
);
const capacityRange = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 40 }).map((g) => ({ required_bytes: String(g * GiB) })) },
  { weight: 2, arbitrary: fc.record({ required_bytes: int64, limit_bytes: int64 }, { requiredKeys: [] }) },
);
const stringMap = (maxKeys: number): fc.Arbitrary<Record<string, string>> => fc.dictionary(anyString, anyString, { maxKeys });
/** secrets/parameters/volume_context: small or huge. */
const bigMap = fc.oneof({ weight: 4, arbitrary: stringMap(4) }, { weight: 1, arbitrary: fc.integer({ min: 100, max: 2_000 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]))) });
const params = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  { weight: 3, arbitrary: fc.record({ type: fc.constantFrom('0', '2', '3', '5', '100', '-1', 'x'), fsType: fc.constantFrom('ext4', 'xfs', 'btrfs', ''), replica: fc.constantFrom('1', '2', '3'), tags: fc.constantFrom('', 'tag-abcd1234', 'tag-x') }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: bigMap },
);
const accessMode = fc.oneof(
  fc.constantFrom('SINGLE_NODE_WRITER', 'SINGLE_NODE_READER_ONLY', 'MULTI_NODE_MULTI_WRITER', 'UNKNOWN', 'SINGLE_NODE_MULTI_WRITER'),
  fc.integer({ min: -5, max: 100 }),
);
const capability = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(mountCapability(), blockCapability(), mountCapability('xfs')) },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        mount: fc.record({ fs_type: fc.oneof(fc.constantFrom('ext4', 'xfs', 'ext3', ''), anyString), mount_flags: fc.array(anyString, { maxLength: 4 }) }, { requiredKeys: [] }),
        block: fc.constant({}),
        access_mode: fc.record({ mode: accessMode }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
  },
);
const capabilityOrNull = fc.option(capability, { nil: null });
const topology = fc.option(
  fc.record({
    requisite: fc.array(fc.record({ segments: fc.dictionary(fc.constantFrom(keys.zone, `topology.${DRIVER}/instance-type`, 'x'), anyString, { maxKeys: 2 }) }), { maxLength: 2 }),
    preferred: fc.array(fc.record({ segments: fc.dictionary(fc.constantFrom(keys.zone, 'x'), anyString, { maxKeys: 2 }) }), { maxLength: 2 }),
  }),
  { nil: undefined },
);

const segment = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
/** Staging/target paths: under the roots, or hostile variants (.., relative, NUL, unnormalised, huge, unicode). */
const hostPath = (root: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `${root}/${s.join('/')}`) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        `${root}/../../etc`,
        `${root}/a/../../../../root`,
        `${root}/./x`,
        `${root}//x`,
        `${root}/x/`,
        `${root}/x/..`,
        'kubelet/pods/x',
        '../x',
        'x',
        `${root}/a\0b`,
        `${root}/é😀`,
        `${root}/${'a'.repeat(5_000)}`,
        '/',
        '',
      ),
    },
    { weight: 1, arbitrary: anyString.map((s) => `${root}/${s}`) },
    { weight: 1, arbitrary: anyString },
  );

/**
 * Regression (found by the CreateVolume property): 2000 unknown parameters made an error message so long that its
 * grpc-message trailer stalled the call and the connection until the deadline (DEADLINE_EXCEEDED, later calls too).
 */
const HUGE_PARAMS_CREATE = {
  name: 'pvc-huge',
  volume_capabilities: [mountCapability()],
  parameters: Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, `v${i}`])),
};

type Rpc = [service: 'controller' | 'node', method: string, request: fc.Arbitrary<object>, allowed: readonly string[]];

const RPCS: Rpc[] = [
  [
    'controller',
    'CreateVolume',
    fc.record({
      name: fc.oneof(fc.stringMatching(/^pvc-[a-z0-9]{1,10}$/), anyString),
      capacity_range: capacityRange,
      volume_capabilities: fc.oneof({ weight: 3, arbitrary: fc.constant([mountCapability()]) }, { weight: 2, arbitrary: fc.array(capability, { maxLength: 3 }) }),
      parameters: params,
      secrets: bigMap,
      volume_content_source: fc.option(fc.oneof(fc.record({ snapshot: fc.record({ snapshot_id: snapshotId }) }), fc.record({ volume: fc.record({ volume_id: volumeId }) })), { nil: undefined }),
      accessibility_requirements: topology,
      mutable_parameters: fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: stringMap(2) }),
    }),
    ['OK', 'INVALID_ARGUMENT', 'ALREADY_EXISTS', 'NOT_FOUND', 'OUT_OF_RANGE', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'ABORTED'],
  ],
  ['controller', 'DeleteVolume', fc.record({ volume_id: volumeId, secrets: bigMap }), ['OK', 'INVALID_ARGUMENT', 'FAILED_PRECONDITION', 'ABORTED']],
  [
    'controller',
    'ControllerPublishVolume',
    fc.record({ volume_id: volumeId, node_id: nodeId, volume_capability: capabilityOrNull, readonly: fc.boolean(), secrets: bigMap, volume_context: bigMap }),
    ['OK', 'INVALID_ARGUMENT', 'NOT_FOUND', 'ALREADY_EXISTS', 'FAILED_PRECONDITION', 'RESOURCE_EXHAUSTED', 'ABORTED'],
  ],
  ['controller', 'ControllerUnpublishVolume', fc.record({ volume_id: volumeId, node_id: fc.oneof(fc.constant(''), nodeId), secrets: bigMap }), ['OK', 'INVALID_ARGUMENT', 'NOT_FOUND', 'ABORTED']],
  [
    'controller',
    'ValidateVolumeCapabilities',
    fc.record({ volume_id: volumeId, volume_capabilities: fc.array(capability, { maxLength: 3 }), parameters: params, volume_context: bigMap, secrets: bigMap }),
    ['OK', 'INVALID_ARGUMENT', 'NOT_FOUND'],
  ],
  ['controller', 'ListVolumes', fc.record({ max_entries: fc.integer({ min: -10, max: 2 ** 31 - 1 }), starting_token: fc.oneof(fc.constantFrom('', '0', '1', '5', '999999999', '-1'), anyString) }), ['OK', 'INVALID_ARGUMENT', 'ABORTED']],
  [
    'controller',
    'CreateSnapshot',
    fc.record({ name: fc.oneof(fc.stringMatching(/^snap-[a-z0-9]{1,10}$/), anyString), source_volume_id: volumeId, parameters: fc.oneof(fc.constant({}), stringMap(2), fc.constant({ 'csi.storage.k8s.io/volumesnapshot/name': 'x' })), secrets: bigMap }),
    ['OK', 'INVALID_ARGUMENT', 'ALREADY_EXISTS', 'NOT_FOUND', 'RESOURCE_EXHAUSTED', 'ABORTED'],
  ],
  ['controller', 'DeleteSnapshot', fc.record({ snapshot_id: snapshotId, secrets: bigMap }), ['OK', 'INVALID_ARGUMENT', 'FAILED_PRECONDITION', 'ABORTED']],
  [
    'controller',
    'ListSnapshots',
    fc.record({ max_entries: fc.integer({ min: -10, max: 2 ** 31 - 1 }), starting_token: fc.oneof(fc.constantFrom('', '0', '3'), anyString), source_volume_id: fc.oneof(fc.constant(''), volumeId), snapshot_id: fc.oneof(fc.constant(''), snapshotId), secrets: bigMap }),
    ['OK', 'INVALID_ARGUMENT', 'ABORTED'],
  ],
  [
    'controller',
    'ControllerExpandVolume',
    fc.record({ volume_id: volumeId, capacity_range: capacityRange, secrets: bigMap, volume_capability: capabilityOrNull }),
    ['OK', 'INVALID_ARGUMENT', 'NOT_FOUND', 'OUT_OF_RANGE', 'FAILED_PRECONDITION', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'ABORTED'],
  ],
  [
    'node',
    'NodeStageVolume',
    fc.record({ volume_id: nodeVolumeId, publish_context: bigMap, staging_target_path: hostPath(STAGING_ROOT), volume_capability: capabilityOrNull, secrets: bigMap, volume_context: bigMap }),
    // UNAVAILABLE: the volume's device has not appeared (not attached yet): kubelet retries.
    ['OK', 'INVALID_ARGUMENT', 'NOT_FOUND', 'ALREADY_EXISTS', 'FAILED_PRECONDITION', 'UNAVAILABLE', 'ABORTED'],
  ],
  ['node', 'NodeUnstageVolume', fc.record({ volume_id: nodeVolumeId, staging_target_path: hostPath(STAGING_ROOT) }), ['OK', 'INVALID_ARGUMENT', 'NOT_FOUND', 'UNAVAILABLE', 'ABORTED']],
  [
    'node',
    'NodePublishVolume',
    fc.record({
      volume_id: nodeVolumeId,
      publish_context: bigMap,
      staging_target_path: hostPath(STAGING_ROOT),
      target_path: hostPath(TARGET_ROOT),
      volume_capability: capabilityOrNull,
      readonly: fc.boolean(),
      secrets: bigMap,
      volume_context: bigMap,
    }),
    ['OK', 'INVALID_ARGUMENT', 'NOT_FOUND', 'ALREADY_EXISTS', 'FAILED_PRECONDITION', 'UNAVAILABLE', 'ABORTED'],
  ],
  ['node', 'NodeUnpublishVolume', fc.record({ volume_id: nodeVolumeId, target_path: hostPath(TARGET_ROOT) }), ['OK', 'INVALID_ARGUMENT', 'NOT_FOUND', 'UNAVAILABLE', 'ABORTED']],
  ['node', 'NodeGetVolumeStats', fc.record({ volume_id: nodeVolumeId, volume_path: fc.oneof(hostPath(TARGET_ROOT), hostPath(STAGING_ROOT)), staging_target_path: hostPath(STAGING_ROOT) }), ['OK', 'INVALID_ARGUMENT', 'NOT_FOUND']],
  [
    'node',
    'NodeExpandVolume',
    fc.record({ volume_id: nodeVolumeId, volume_path: fc.oneof(hostPath(TARGET_ROOT), hostPath(STAGING_ROOT)), capacity_range: capacityRange, staging_target_path: hostPath(STAGING_ROOT), volume_capability: capabilityOrNull, secrets: bigMap }),
    ['OK', 'INVALID_ARGUMENT', 'NOT_FOUND', 'OUT_OF_RANGE', 'FAILED_PRECONDITION', 'UNAVAILABLE', 'ABORTED'],
  ],
];

function isUnderRoots(path: string): boolean {
  return ROOTS.some((root) => path.startsWith(`${root}/`));
}

/** Every mutating mounter call since `from` got validated paths under the roots (and devices under /dev). */
function checkMounterCalls(from: number): void {
  for (const call of h.mounter.calls.slice(from)) {
    if (!MUTATING.has(call.method)) continue;
    for (const arg of call.args) {
      if (typeof arg !== 'string' || !arg.startsWith('/')) continue;
      expect(() => validateHostPath(arg, `${call.method} argument`)).not.toThrow();
      if (arg.startsWith('/dev/')) continue;
      expect(isUnderRoots(arg), `${call.method}(${arg.slice(0, 200)}) outside ${ROOTS.join(', ')}`).toBe(true);
    }
  }
}

describe('every CSI request over the real socket with random field values', () => {
  for (const [service, method, request, allowed] of RPCS) {
    it(`${method} answers only ${allowed.join('/')} (never UNKNOWN or INTERNAL), stays up, and touches no path outside the roots`, async () => {
      await fuzz(
        fc.asyncProperty(request, async (req) => {
          const from = h.mounter.calls.length;
          const t0 = Date.now();
          const code = await h.code(service, method, req, 10_000);
          if (process.env.FUZZ_TRACE) console.log(method, code, Date.now() - t0, JSON.stringify(req).slice(0, 300));
          expect(allowed, `${method} answered ${code}`).toContain(code);
          checkMounterCalls(from);
          expect(await h.code('identity', 'Probe', {})).toBe('OK');
        }),
        service === 'node' ? 60 : 40,
        { timeout: 15_000, ...(method === 'CreateVolume' ? { examples: [[HUGE_PARAMS_CREATE]] } : {}) },
      );
    });
  }
});
