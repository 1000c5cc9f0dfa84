import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { MethodDefinition } from '@grpc/grpc-js';
import {
  CSI_PROTO_RELATIVE_PATH,
  CSI_SENSITIVE_FIELDS,
  CsiProtoError,
  csiProtoPath,
  findPackageRoot,
  loadCsiRoot,
  redactCsiMessage,
} from '../../../src/csi/proto.js';
import { loadCsiPackage } from '../../../src/csi/proto-package.js';
import {
  CONTROLLER_METHODS,
  IDENTITY_METHODS,
  NODE_METHODS,
  type ControllerRpcs,
  type CreateVolumeRequest,
  type CsiMessageInit,
  type IdentityRpcs,
  type NodeRpcs,
  type NodeStageVolumeRequest,
  type VolumeCapability,
} from '../../../src/csi/csi-types.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const pkg = loadCsiPackage();

/** §1.7 "Service definitions", in spec order. */
const SPEC_SERVICES = {
  Identity: ['GetPluginInfo', 'GetPluginCapabilities', 'Probe'],
  Controller: [
    'CreateVolume',
    'DeleteVolume',
    'ControllerPublishVolume',
    'ControllerUnpublishVolume',
    'ValidateVolumeCapabilities',
    'ListVolumes',
    'GetCapacity',
    'ControllerGetCapabilities',
    'CreateSnapshot',
    'DeleteSnapshot',
    'ListSnapshots',
    'GetSnapshot',
    'ControllerExpandVolume',
    'ControllerGetVolume',
    'ControllerModifyVolume',
  ],
  Node: [
    'NodeStageVolume',
    'NodeUnstageVolume',
    'NodePublishVolume',
    'NodeUnpublishVolume',
    'NodeGetVolumeStats',
    'NodeExpandVolume',
    'NodeGetCapabilities',
    'NodeGetInfo',
  ],
};

const services = { Identity: pkg.identity, Controller: pkg.controller, Node: pkg.node };

function method(service: keyof typeof services, name: string): MethodDefinition<unknown, unknown> {
  return services[service][name] as MethodDefinition<unknown, unknown>;
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'csi-proto-test-'));
  tempDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe('loadCsiPackage', () => {
  it('loads the proto from the repository and exposes the three services', () => {
    expect(csiProtoPath()).toBe(join(repoRoot, 'proto', 'csi', 'v1', 'csi.proto'));
    expect(Object.keys(pkg.packageDefinition)).toEqual(expect.arrayContaining(['csi.v1.Identity', 'csi.v1.Controller', 'csi.v1.Node']));
    expect(pkg.clients.node.service).toBe(pkg.node);
    expect(pkg.clients.controller.serviceName).toBe('Controller');
  });

  it.each(Object.entries(SPEC_SERVICES).map(([service, methods]) => ({ service, methods })))(
    'csi.v1.$service has exactly the spec methods, all unary, with <Rpc>Request/<Rpc>Response',
    ({ service, methods }) => {
      const def = services[service as keyof typeof services];
      expect(Object.keys(def)).toEqual(methods);
      for (const name of methods) {
        const m = method(service as keyof typeof services, name);
        expect(m.path).toBe(`/csi.v1.${service}/${name}`);
        expect([m.requestStream, m.responseStream]).toEqual([false, false]);
        const typed = m as MethodDefinition<unknown, unknown> & { requestType: { type: { name: string } }; responseType: { type: { name: string } } };
        expect([typed.requestType.type.name, typed.responseType.type.name]).toEqual([`${name}Request`, `${name}Response`]);
      }
    },
  );

  it('exports method lists equal to the spec lists and to the typed RPC maps', () => {
    expect([...IDENTITY_METHODS]).toEqual(SPEC_SERVICES.Identity);
    expect([...CONTROLLER_METHODS]).toEqual(SPEC_SERVICES.Controller);
    expect([...NODE_METHODS]).toEqual(SPEC_SERVICES.Node);
    expectTypeOf<(typeof IDENTITY_METHODS)[number]>().toEqualTypeOf<keyof IdentityRpcs>();
    expectTypeOf<(typeof CONTROLLER_METHODS)[number]>().toEqualTypeOf<keyof ControllerRpcs>();
    expectTypeOf<(typeof NODE_METHODS)[number]>().toEqualTypeOf<keyof NodeRpcs>();
  });

  it('resolves google/protobuf imports without include-path warnings', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    loadCsiPackage();
    loadCsiRoot();
    expect(warn).not.toHaveBeenCalled();
  });

  it('finds the proto from a compiled module under dist/csi as well', () => {
    const distModule = pathToFileURL(join(repoRoot, 'dist', 'csi', 'proto.js')).href;
    expect(csiProtoPath(distModule)).toBe(join(repoRoot, CSI_PROTO_RELATIVE_PATH));
  });

  it('reports CSI_PROTO_NOT_FOUND when the package root ships no proto', () => {
    const root = tempDir();
    writeFileSync(join(root, 'package.json'), '{}');
    mkdirSync(join(root, 'dist', 'csi'), { recursive: true });
    const moduleUrl = pathToFileURL(join(root, 'dist', 'csi', 'proto.js')).href;
    expect(findPackageRoot(join(root, 'dist', 'csi'))).toBe(root);
    expect(() => csiProtoPath(moduleUrl)).toThrow(expect.objectContaining({ code: 'CSI_PROTO_NOT_FOUND', message: expect.stringContaining(join(root, CSI_PROTO_RELATIVE_PATH)) }));
  });

  it('reports CSI_PROTO_NOT_FOUND when no package.json is above the module', () => {
    const dir = tempDir();
    // Only meaningful when nothing above the temp dir is a package root.
    if (existsSync(join(tmpdir(), 'package.json')) || existsSync('/package.json')) return;
    expect(() => findPackageRoot(dir)).toThrow(CsiProtoError);
    expect(() => findPackageRoot(dir)).toThrow(/no package\.json/);
  });

  it('reports CSI_PROTO_INVALID, keeping the cause, for a proto that does not parse', () => {
    const path = join(tempDir(), 'csi.proto');
    writeFileSync(path, 'syntax = "proto3"; package csi.v1; message {');
    let caught: unknown;
    try {
      loadCsiPackage({ protoPath: path });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CsiProtoError);
    expect(caught).toMatchObject({ code: 'CSI_PROTO_INVALID', message: expect.stringContaining(path) });
    expect((caught as Error).cause).toBeDefined();
  });

  it('reports CSI_PROTO_INVALID naming the methods when a service differs from the typed lists', () => {
    const path = join(tempDir(), 'csi.proto');
    writeFileSync(
      path,
      [
        'syntax = "proto3";',
        'package csi.v1;',
        'message ProbeRequest {}',
        'message ProbeResponse {}',
        'service Identity { rpc Probe(ProbeRequest) returns (ProbeResponse) {} rpc Extra(ProbeRequest) returns (ProbeResponse) {} }',
      ].join('\n'),
    );
    expect(() => loadCsiPackage({ protoPath: path })).toThrow(
      expect.objectContaining({ code: 'CSI_PROTO_INVALID', message: expect.stringMatching(/csi\.v1\.Identity.*missing: GetPluginInfo, GetPluginCapabilities.*unexpected: Extra/) }),
    );
  });
});

/**
 * What an empty message decodes to, per RPC, typed with the csi-types interfaces: the compiler
 * checks each object names every field of its interface (and no other), the test checks the loader
 * produces exactly that shape.
 */
const EMPTY_CAPABILITY_FIELDS = { volume_capability: null };
const DECODED_DEFAULTS: {
  Identity: { [M in keyof IdentityRpcs]: IdentityRpcs[M] };
  Controller: { [M in keyof ControllerRpcs]: ControllerRpcs[M] };
  Node: { [M in keyof NodeRpcs]: NodeRpcs[M] };
} = {
  Identity: {
    GetPluginInfo: { request: {}, response: { name: '', vendor_version: '', manifest: {} } },
    GetPluginCapabilities: { request: {}, response: { capabilities: [] } },
    Probe: { request: {}, response: { ready: null } },
  },
  Controller: {
    CreateVolume: {
      request: {
        name: '',
        capacity_range: null,
        volume_capabilities: [],
        parameters: {},
        secrets: {},
        volume_content_source: null,
        accessibility_requirements: null,
        mutable_parameters: {},
      },
      response: { volume: null },
    },
    DeleteVolume: { request: { volume_id: '', secrets: {} }, response: {} },
    ControllerPublishVolume: {
      request: { volume_id: '', node_id: '', ...EMPTY_CAPABILITY_FIELDS, readonly: false, secrets: {}, volume_context: {} },
      response: { publish_context: {} },
    },
    ControllerUnpublishVolume: { request: { volume_id: '', node_id: '', secrets: {} }, response: {} },
    ValidateVolumeCapabilities: {
      request: { volume_id: '', volume_context: {}, volume_capabilities: [], parameters: {}, secrets: {}, mutable_parameters: {} },
      response: { confirmed: null, message: '' },
    },
    ListVolumes: { request: { max_entries: 0, starting_token: '' }, response: { entries: [], next_token: '' } },
    GetCapacity: {
      request: { volume_capabilities: [], parameters: {}, accessible_topology: null },
      response: { available_capacity: '0', maximum_volume_size: null, minimum_volume_size: null },
    },
    ControllerGetCapabilities: { request: {}, response: { capabilities: [] } },
    CreateSnapshot: { request: { source_volume_id: '', name: '', secrets: {}, parameters: {} }, response: { snapshot: null } },
    DeleteSnapshot: { request: { snapshot_id: '', secrets: {} }, response: {} },
    ListSnapshots: {
      request: { max_entries: 0, starting_token: '', source_volume_id: '', snapshot_id: '', secrets: {} },
      response: { entries: [], next_token: '' },
    },
    GetSnapshot: { request: { snapshot_id: '', secrets: {} }, response: { snapshot: null } },
    ControllerExpandVolume: {
      request: { volume_id: '', capacity_range: null, secrets: {}, ...EMPTY_CAPABILITY_FIELDS },
      response: { capacity_bytes: '0', node_expansion_required: false },
    },
    ControllerGetVolume: { request: { volume_id: '' }, response: { volume: null, status: null } },
    ControllerModifyVolume: { request: { volume_id: '', secrets: {}, mutable_parameters: {} }, response: {} },
  },
  Node: {
    NodeStageVolume: {
      request: { volume_id: '', publish_context: {}, staging_target_path: '', ...EMPTY_CAPABILITY_FIELDS, secrets: {}, volume_context: {} },
      response: {},
    },
    NodeUnstageVolume: { request: { volume_id: '', staging_target_path: '' }, response: {} },
    NodePublishVolume: {
      request: {
        volume_id: '',
        publish_context: {},
        staging_target_path: '',
        target_path: '',
        ...EMPTY_CAPABILITY_FIELDS,
        readonly: false,
        secrets: {},
        volume_context: {},
      },
      response: {},
    },
    NodeUnpublishVolume: { request: { volume_id: '', target_path: '' }, response: {} },
    NodeGetVolumeStats: { request: { volume_id: '', volume_path: '', staging_target_path: '' }, response: { usage: [], volume_condition: null } },
    NodeExpandVolume: {
      request: { volume_id: '', volume_path: '', capacity_range: null, staging_target_path: '', ...EMPTY_CAPABILITY_FIELDS, secrets: {} },
      response: { capacity_bytes: '0' },
    },
    NodeGetCapabilities: { request: {}, response: { capabilities: [] } },
    NodeGetInfo: { request: {}, response: { node_id: '', max_volumes_per_node: '0', accessible_topology: null } },
  },
};

describe('decoded message shapes match src/csi/csi-types.ts', () => {
  const cases = Object.entries(DECODED_DEFAULTS).flatMap(([service, rpcs]) =>
    Object.entries(rpcs as Record<string, { request: unknown; response: unknown }>).map(([rpc, expected]) => ({ service, rpc, expected })),
  );

  it.each(cases)('$service.$rpc decodes empty bytes to the typed defaults', ({ service, rpc, expected }) => {
    const m = method(service as keyof typeof services, rpc);
    expect(m.requestDeserialize(Buffer.alloc(0))).toStrictEqual(expected.request);
    expect(m.responseDeserialize(Buffer.alloc(0))).toStrictEqual(expected.response);
  });

  it('covers every method of every service', () => {
    expect(cases.map((c) => `${c.service}.${c.rpc}`).sort()).toEqual(
      Object.entries(SPEC_SERVICES).flatMap(([service, methods]) => methods.map((m) => `${service}.${m}`)).sort(),
    );
  });
});

const mountCapability: VolumeCapability = {
  mount: { fs_type: 'ext4', mount_flags: ['noatime', 'password=hunter2'], volume_mount_group: '2000' },
  access_type: 'mount',
  access_mode: { mode: 'SINGLE_NODE_WRITER' },
};
const blockCapability: VolumeCapability = { block: {}, access_type: 'block', access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' } };

const createVolume: CreateVolumeRequest = {
  name: 'pvc-5f0c7e1e-0000-4000-8000-000000000001',
  capacity_range: { required_bytes: '10737418240', limit_bytes: '9223372036854775807' },
  volume_capabilities: [mountCapability, blockCapability],
  parameters: { type: '200', fsType: 'ext4' },
  secrets: { token: 's3cr3t' },
  volume_content_source: { snapshot: { snapshot_id: 'ss-abc123' }, type: 'snapshot' },
  accessibility_requirements: {
    requisite: [{ segments: { 'topology.disk.csi.qingcloud.com/zone': 'pek3a' } }],
    preferred: [{ segments: { 'topology.disk.csi.qingcloud.com/zone': 'pek3a' } }],
  },
  mutable_parameters: { iops: '3000' },
};

describe('CreateVolumeRequest on the wire', () => {
  const m = method('Controller', 'CreateVolume');

  it('round-trips through encode and decode unchanged, int64 beyond 2^53 included', () => {
    const bytes = m.requestSerialize(createVolume);
    expect(m.requestDeserialize(bytes)).toStrictEqual(createVolume);
  });

  it('puts the fields on the spec field numbers (checked with an independent reflection decode)', () => {
    const bytes = m.requestSerialize(createVolume);
    const type = loadCsiRoot().lookupType('csi.v1.CreateVolumeRequest');
    const decoded = type.toObject(type.decode(bytes), { longs: String, enums: String, oneofs: true });
    expect(decoded).toMatchObject({
      name: createVolume.name,
      capacity_range: { required_bytes: '10737418240', limit_bytes: '9223372036854775807' },
      parameters: createVolume.parameters,
      secrets: createVolume.secrets,
      volume_content_source: { snapshot: { snapshot_id: 'ss-abc123' } },
    });
    // Field 1 (name, length-delimited) is the first thing on the wire: tag = 1 << 3 | 2.
    expect(bytes[0]).toBe(0x0a);
  });

  it('encodes a sender object with omitted fields as proto3 defaults', () => {
    const init: CsiMessageInit<CreateVolumeRequest> = {
      name: 'pvc-1',
      volume_capabilities: [{ block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } }],
      capacity_range: null,
    };
    const decoded = m.requestDeserialize(m.requestSerialize(init)) as CreateVolumeRequest;
    expect(decoded.volume_capabilities[0]).toStrictEqual({ block: {}, access_type: 'block', access_mode: { mode: 'SINGLE_NODE_WRITER' } });
    expect(decoded.capacity_range).toBeNull();
    expect(decoded.secrets).toStrictEqual({});
  });

  it('decodes an access mode this proto does not know as its number', () => {
    const type = loadCsiRoot().lookupType('csi.v1.CreateVolumeRequest');
    const bytes = type.encode(type.fromObject({ volume_capabilities: [{ mount: {}, access_mode: { mode: 42 } }] })).finish();
    const decoded = m.requestDeserialize(Buffer.from(bytes)) as CreateVolumeRequest;
    expect(decoded.volume_capabilities[0]?.access_mode?.mode).toBe(42);
  });
});

describe('redaction of sensitive fields', () => {
  const stage: NodeStageVolumeRequest = {
    volume_id: 'vol-abc123',
    publish_context: { devicePath: '/dev/vdc' },
    staging_target_path: '/var/lib/kubelet/plugins/kubernetes.io/csi/disk.csi.qingcloud.com/x/globalmount',
    volume_capability: mountCapability,
    secrets: { token: 's3cr3t', user: 'admin' },
    volume_context: { fsType: 'ext4' },
  };

  it('lists the secrets and mount_flags as sensitive fields', () => {
    expect(CSI_SENSITIVE_FIELDS).toContain('NodeStageVolumeRequest.secrets');
    expect(CSI_SENSITIVE_FIELDS).toContain('CreateVolumeRequest.secrets');
    expect(CSI_SENSITIVE_FIELDS).toContain('VolumeCapability.MountVolume.mount_flags');
  });

  it('replaces secret values and mount flags, keeps everything else, and leaves the input untouched', () => {
    const before = structuredClone(stage);
    const safe = redactCsiMessage(stage);
    expect(safe).toStrictEqual({
      ...stage,
      volume_capability: { ...mountCapability, mount: { ...mountCapability.mount!, mount_flags: ['[redacted]'] } },
      secrets: { token: '[redacted]', user: '[redacted]' },
    });
    expect(JSON.stringify(safe)).not.toMatch(/s3cr3t|hunter2/);
    expect(stage).toStrictEqual(before);
  });

  it('redacts inside repeated capabilities and keeps empty secrets and flags recognisable', () => {
    const safe = redactCsiMessage({ ...createVolume, secrets: {}, volume_capabilities: [mountCapability, { ...mountCapability, mount: { fs_type: 'xfs', mount_flags: [], volume_mount_group: '' } }] });
    expect(safe.secrets).toStrictEqual({});
    expect(safe.volume_capabilities.map((c) => c.mount?.mount_flags)).toStrictEqual([['[redacted]'], []]);
  });
});
