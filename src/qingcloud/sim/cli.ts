import { SimUsageError } from './errors.js';
import type { LatencySpec } from './faults.js';

/** Usage text of qingcloud-sim. */
export const USAGE = `usage: qingcloud-sim --listen HOST:PORT --state FILE [options]

A QingCloud IaaS API simulator (signatures, ret_codes, async jobs) on http://HOST:PORT/iaas/.

  --listen HOST:PORT            address to serve on (PORT 0 = any free port)
  --state FILE                  state file; loaded when present, created otherwise
  --seed FILE                   YAML world used when FILE of --state does not exist yet (see seed.sample.yaml)
  --effects none|real           none (default): pure state; real: sparse files + loop devices, veth NICs (root)
  --device-root DIR             real effects: by-id root, instance X's devices under DIR/X (default DATA_DIR/by-id)
  --data-dir DIR                real effects: volume and snapshot files (default: beside the state file)
  --write-client-config FILE    write a QingCloud SDK config.yaml for the simulator
  --job-latency-ms N|MIN-MAX    job duration, fixed or random in a range (default 0)
  --cleanup                     on SIGTERM/SIGINT also remove everything the effects made
  --help                        show this text
`;

/** What the command line asks for. */
export interface CliOptions {
  host: string;
  port: number;
  stateFile: string;
  seedFile?: string;
  effects: 'none' | 'real';
  deviceRoot?: string;
  dataDir?: string;
  writeClientConfig?: string;
  jobLatencyMs?: LatencySpec;
  cleanup: boolean;
}

/** The parsed command line: run with options, or print help. */
export type CliCommand = { kind: 'help' } | { kind: 'run'; options: CliOptions };

const VALUE_FLAGS = ['--listen', '--state', '--seed', '--effects', '--device-root', '--data-dir', '--write-client-config', '--job-latency-ms'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

/** Parses qingcloud-sim's arguments (without node and the script); throws SimUsageError on bad usage. */
export function parseArgs(argv: readonly string[]): CliCommand {
  const values = new Map<ValueFlag, string>();
  let cleanup = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--cleanup') {
      cleanup = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!(VALUE_FLAGS as readonly string[]).includes(name)) throw new SimUsageError(`unknown argument ${JSON.stringify(arg)}`);
    const flag = name as ValueFlag;
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new SimUsageError(`${flag} needs a value`);
    if (values.has(flag)) throw new SimUsageError(`${flag} is given twice`);
    values.set(flag, value);
  }

  const listen = values.get('--listen');
  if (listen === undefined) throw new SimUsageError('--listen HOST:PORT is required');
  const stateFile = values.get('--state');
  if (stateFile === undefined) throw new SimUsageError('--state FILE is required');
  const effects = values.get('--effects') ?? 'none';
  if (effects !== 'none' && effects !== 'real') throw new SimUsageError(`--effects must be none or real, got ${JSON.stringify(effects)}`);

  const options: CliOptions = { ...parseListen(listen), stateFile, effects, cleanup };
  const seed = values.get('--seed');
  if (seed !== undefined) options.seedFile = seed;
  const deviceRoot = values.get('--device-root');
  if (deviceRoot !== undefined) options.deviceRoot = deviceRoot;
  const dataDir = values.get('--data-dir');
  if (dataDir !== undefined) options.dataDir = dataDir;
  const clientConfig = values.get('--write-client-config');
  if (clientConfig !== undefined) options.writeClientConfig = clientConfig;
  const latency = values.get('--job-latency-ms');
  if (latency !== undefined) options.jobLatencyMs = parseLatency(latency);
  return { kind: 'run', options };
}

/** `HOST:PORT` or `[v6]:PORT`. */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new SimUsageError(`--listen must be HOST:PORT (e.g. 127.0.0.1:8080), got ${JSON.stringify(text)}`);
  return { host: match[1] ?? match[2] ?? '', port };
}

/** `N` or `MIN-MAX` milliseconds, each at most one hour. */
export function parseLatency(text: string): LatencySpec {
  const match = /^(\d{1,7})(?:-(\d{1,7}))?$/.exec(text);
  const min = Number(match?.[1]);
  const max = match?.[2] === undefined ? min : Number(match[2]);
  if (!match || max < min || max > 3_600_000) {
    throw new SimUsageError(`--job-latency-ms must be N or MIN-MAX milliseconds (MIN <= MAX <= 3600000), got ${JSON.stringify(text)}`);
  }
  return match[2] === undefined ? min : { min, max };
}
