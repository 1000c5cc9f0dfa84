import type { PodArgs } from '../protocol.js';
import { CNI_ERROR, CniError, isValidCniName, isValidIfName } from '../types.js';

/** The verbs of CNI 1.1.0. */
export const CNI_COMMANDS = ['ADD', 'DEL', 'CHECK', 'VERSION', 'STATUS', 'GC'] as const;

/** A CNI verb. */
export type CniCommand = (typeof CNI_COMMANDS)[number];

/** The process environment as the runtime set it (only CNI_* and HOSTNIC_DEBUG are read). */
export type CniEnv = Readonly<Record<string, string | undefined>>;

/** The CNI_* variables of a verb on one attachment (ADD, DEL, CHECK), checked. */
export interface AttachmentEnv {
  containerId: string;
  /** "" only on DEL: the runtime may have removed the netns already. */
  netns: string;
  ifName: string;
  args: PodArgs;
}

/** The verb in CNI_COMMAND; undefined when unset or empty (a person ran the binary). Unknown verbs → code 4. */
export function parseCommand(env: CniEnv): CniCommand | undefined {
  const value = env.CNI_COMMAND;
  if (value === undefined || value === '') return undefined;
  if ((CNI_COMMANDS as readonly string[]).includes(value)) return value as CniCommand;
  throw new CniError(CNI_ERROR.InvalidEnvironment, `unknown CNI_COMMAND ${JSON.stringify(value)}: expected one of ${CNI_COMMANDS.join(', ')}`);
}

/** CNI_ARGS (`K1=V1;K2=V2`) as a map; empty pairs are skipped, a pair without `=` → code 4. */
export function parseCniArgs(text: string): PodArgs {
  const args: PodArgs = {};
  for (const pair of text.split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CniError(CNI_ERROR.InvalidEnvironment, `CNI_ARGS has the pair ${JSON.stringify(pair)} without KEY=VALUE form: the runtime must send K1=V1;K2=V2`);
    args[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return args;
}

function isValidNetnsPath(path: string): boolean {
  return path.startsWith('/') && !path.includes('\0') && path.length <= 4096;
}

/**
 * Reads and checks CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME and CNI_ARGS for ADD, DEL or CHECK; every missing or
 * invalid variable is named in one code-4 error. CNI_NETNS may be empty on DEL. CNI_PATH is not required: hostnic
 * delegates to no other plugin.
 */
export function parseAttachmentEnv(env: CniEnv, command: 'ADD' | 'DEL' | 'CHECK'): AttachmentEnv {
  const missing: string[] = [];
  const invalid: string[] = [];
  const containerId = env.CNI_CONTAINERID ?? '';
  if (containerId === '') missing.push('CNI_CONTAINERID');
  else if (!isValidCniName(containerId)) invalid.push(`CNI_CONTAINERID ${JSON.stringify(containerId)} (allowed: letters, digits, _ . -, not starting with _ . -)`);
  const netns = env.CNI_NETNS ?? '';
  if (netns === '') {
    if (command !== 'DEL') missing.push('CNI_NETNS');
  } else if (!isValidNetnsPath(netns)) invalid.push(`CNI_NETNS ${JSON.stringify(netns)} (must be an absolute path)`);
  const ifName = env.CNI_IFNAME ?? '';
  if (ifName === '') missing.push('CNI_IFNAME');
  else if (!isValidIfName(ifName)) invalid.push(`CNI_IFNAME ${JSON.stringify(ifName)} (1-15 bytes, not . or .., no / : or whitespace)`);
  const problems = [...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []), ...invalid.map((p) => `invalid ${p}`)];
  if (problems.length > 0) {
    throw new CniError(CNI_ERROR.InvalidEnvironment, `${command} needs valid CNI environment variables: ${problems.join('; ')}`);
  }
  return { containerId, netns, ifName, args: parseCniArgs(env.CNI_ARGS ?? '') };
}
