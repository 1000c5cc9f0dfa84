// The CSI services as grpc-js client constructors and service definitions (@grpc/proto-loader), for callers of the
// driver: tests, benches, health checks. The driver itself serves with src/csi/grpc-unary.ts and never loads grpc-js.
import { loadPackageDefinition, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';
import { messageOf } from '../shared/errors.js';
import { CONTROLLER_METHODS, IDENTITY_METHODS, NODE_METHODS } from './csi-types.js';
import { CSI_CONVERSION_OPTIONS, CsiProtoError, checkServiceMethods, csiProtoPath, includeDirsFor, type LoadCsiOptions } from './proto.js';

/**
 * proto-loader options every CSI client uses: the driver's own conversion (proto.ts CSI_CONVERSION_OPTIONS), so both
 * ends see the shapes src/csi/csi-types.ts describes.
 */
export const CSI_LOADER_OPTIONS: Readonly<Options> = Object.freeze({ keepCase: true, ...CSI_CONVERSION_OPTIONS });

/** The three CSI services as grpc-js needs them for `Server.addService` and client constructors. */
export interface CsiPackage {
  /** The whole definition, e.g. for gRPC reflection. */
  packageDefinition: PackageDefinition;
  identity: ServiceDefinition;
  controller: ServiceDefinition;
  node: ServiceDefinition;
  /** Client constructors (tests, health checks): `new clients.node('unix:///x.sock', credentials)`. */
  clients: {
    identity: ServiceClientConstructor;
    controller: ServiceClientConstructor;
    node: ServiceClientConstructor;
  };
}

/**
 * Loads csi.proto with CSI_LOADER_OPTIONS and returns the Identity, Controller and Node services.
 * Throws CsiProtoError when the file is missing, does not parse, or a service's methods differ from
 * the ones src/csi/csi-types.ts describes.
 */
export function loadCsiPackage(options: LoadCsiOptions = {}): CsiPackage {
  const protoPath = options.protoPath ?? csiProtoPath();
  let packageDefinition: PackageDefinition;
  try {
    packageDefinition = loadSync(protoPath, { ...CSI_LOADER_OPTIONS, includeDirs: includeDirsFor(protoPath) });
  } catch (err) {
    throw new CsiProtoError('CSI_PROTO_INVALID', `cannot load CSI proto ${protoPath}: ${messageOf(err)}; fix or restore the file`, {
      cause: err,
    });
  }
  const grpcObject = loadPackageDefinition(packageDefinition);
  const identity = serviceClient(grpcObject, 'Identity', IDENTITY_METHODS, protoPath);
  const controller = serviceClient(grpcObject, 'Controller', CONTROLLER_METHODS, protoPath);
  const node = serviceClient(grpcObject, 'Node', NODE_METHODS, protoPath);
  return {
    packageDefinition,
    identity: identity.service,
    controller: controller.service,
    node: node.service,
    clients: { identity, controller, node },
  };
}

function serviceClient(
  grpcObject: ReturnType<typeof loadPackageDefinition>,
  name: string,
  expected: readonly string[],
  protoPath: string,
): ServiceClientConstructor {
  const ns = (grpcObject.csi as Record<string, unknown> | undefined)?.v1 as Record<string, unknown> | undefined;
  const candidate = ns?.[name];
  if (typeof candidate !== 'function' || !('service' in candidate)) {
    throw new CsiProtoError('CSI_PROTO_INVALID', `CSI proto ${protoPath} defines no service csi.v1.${name}; restore the file`);
  }
  const ctor = candidate as ServiceClientConstructor;
  checkServiceMethods(`CSI proto ${protoPath}`, name, Object.keys(ctor.service), expected);
  return ctor;
}

