import { parseArgs } from 'node:util';

/** Which services one process serves. */
export type CsiMode = 'controller' | 'node' | 'all';

/** The driver's command line, validated. */
export interface CsiCliOptions {
  endpoint: string;
  mode: CsiMode;
  configPath: string;
  driverName: string;
  /** Explicit node id; undefined = read instanceIdFile. */
  nodeId?: string;
  instanceIdFile: string;
  deviceDir: string;
  /** Explicit limit; undefined = learned from the cloud at start-up (instance limit minus disks CSI does not manage). */
  maxVolumesPerNode?: number;
  metricsAddress?: string;
  logLevel: string;
  allowUnverifiableDevices: boolean;
  /** Client-side API budget (token bucket); undefined = the SDK default sized for 2000 requests/hour. */
  apiRatePerSecond?: number;
  apiBurst?: number;
}

/** Usage text printed by --help and after a bad flag. */
export const CSI_USAGE = `Usage: qingcloud-csi --endpoint unix:///csi/csi.sock [options]

  --endpoint <unix:///path.sock>   CSI socket (or env CSI_ENDPOINT)
  --mode controller|node|all       services to serve (default all)
  --config <config.yaml>           QingCloud SDK config (default /etc/qingcloud/config.yaml)
  --driver-name <name>             default disk.csi.qingcloud.com
  --node-id <i-xxxxxxxx>           default: the content of --instance-id-file
  --instance-id-file <path>        default /etc/qingcloud/instance-id
  --device-dir <dir>               where virtio-<volume_id> links appear (default /dev/disk/by-id)
  --max-volumes-per-node <n>       default: the instance limit (10) minus disks CSI does not manage
  --metrics-address <host:port>    serve Prometheus metrics at /metrics
  --log-level <level>              trace|debug|info|warn|error (default info)
  --allow-unverifiable-devices     accept disks without a serial (platforms that give none)
  --api-rate <per-second>          client-side API budget (default 0.53/s: QingCloud's 2000 calls/hour)
  --api-burst <n>                  calls allowed at once before the rate applies (default 100)
  --help`;

/** A command-line problem; the message lists every problem found. */
export class CsiUsageError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid qingcloud-csi command line: ${problems.join('; ')}\n\n${CSI_USAGE}`);
    this.name = 'CsiUsageError';
  }
}

const DRIVER_NAME = /^[a-zA-Z][A-Za-z0-9.-]{0,61}[a-zA-Z]$/;

/** Parses argv (without node and script) and the environment; throws CsiUsageError with every problem at once. */
export function parseCsiArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CsiCliOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        endpoint: { type: 'string' },
        mode: { type: 'string' },
        config: { type: 'string' },
        'driver-name': { type: 'string' },
        'node-id': { type: 'string' },
        'instance-id-file': { type: 'string' },
        'device-dir': { type: 'string' },
        'max-volumes-per-node': { type: 'string' },
        'metrics-address': { type: 'string' },
        'log-level': { type: 'string' },
        'allow-unverifiable-devices': { type: 'boolean' },
        'api-rate': { type: 'string' },
        'api-burst': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new CsiUsageError([(err as Error).message]);
  }
  if (values.help === true) return 'help';
  const problems: string[] = [];
  const endpoint = values.endpoint ?? env['CSI_ENDPOINT'] ?? '';
  if (endpoint === '') problems.push('--endpoint (or CSI_ENDPOINT) is required');
  else if (!/^unix:\/\/\/.+/.test(endpoint)) problems.push(`--endpoint ${endpoint} must look like unix:///path/csi.sock`);
  const mode = values.mode ?? 'all';
  if (mode !== 'controller' && mode !== 'node' && mode !== 'all') problems.push(`--mode ${mode} must be controller, node or all`);
  const driverName = values['driver-name'] ?? 'disk.csi.qingcloud.com';
  if (!DRIVER_NAME.test(driverName)) problems.push(`--driver-name ${driverName} must be a DNS-style name of at most 63 characters starting and ending with a letter`);
  const nodeId = values['node-id'];
  if (nodeId !== undefined && !/^i-[a-z0-9]{8}$/.test(nodeId)) problems.push(`--node-id ${nodeId} is not a QingCloud instance id (i-xxxxxxxx)`);
  let maxVolumes: number | undefined;
  const rawMax = values['max-volumes-per-node'];
  if (rawMax !== undefined) {
    maxVolumes = Number(rawMax);
    if (!/^\d{1,3}$/.test(rawMax) || maxVolumes < 1) problems.push(`--max-volumes-per-node ${rawMax} must be a positive whole number`);
  }
  const metricsAddress = values['metrics-address'];
  if (metricsAddress !== undefined && !/^[^\s:]*:\d{1,5}$/.test(metricsAddress)) problems.push(`--metrics-address ${metricsAddress} must be host:port`);
  const logLevel = values['log-level'] ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) problems.push(`--log-level ${logLevel} is not a level`);
  const deviceDir = values['device-dir'] ?? '/dev/disk/by-id';
  if (!deviceDir.startsWith('/')) problems.push(`--device-dir ${deviceDir} must be an absolute path`);
  const apiRate = values['api-rate'] === undefined ? undefined : Number(values['api-rate']);
  if (apiRate !== undefined && !(apiRate > 0)) problems.push(`--api-rate ${values['api-rate']} must be a positive number of calls per second`);
  const apiBurst = values['api-burst'] === undefined ? undefined : Number(values['api-burst']);
  if (apiBurst !== undefined && !(Number.isInteger(apiBurst) && apiBurst >= 1)) problems.push(`--api-burst ${values['api-burst']} must be a whole number of at least 1`);
  if (problems.length > 0) throw new CsiUsageError(problems);
  return {
    endpoint,
    mode: mode as CsiMode,
    configPath: values.config ?? '/etc/qingcloud/config.yaml',
    driverName,
    ...(nodeId === undefined ? {} : { nodeId }),
    instanceIdFile: values['instance-id-file'] ?? '/etc/qingcloud/instance-id',
    deviceDir,
    ...(maxVolumes === undefined ? {} : { maxVolumesPerNode: maxVolumes }),
    ...(metricsAddress === undefined ? {} : { metricsAddress }),
    logLevel,
    allowUnverifiableDevices: values['allow-unverifiable-devices'] === true,
    ...(apiRate === undefined ? {} : { apiRatePerSecond: apiRate }),
    ...(apiBurst === undefined ? {} : { apiBurst }),
  };
}
