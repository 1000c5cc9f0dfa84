import { DEFAULT_TIMEOUTS_MS, PROTOCOL_VERSION, type AttachmentRequest, type DelRequest } from '../protocol.js';
import {
  CNI_ERROR,
  CniError,
  LATEST_CNI_VERSION,
  SUPPORTED_CNI_VERSIONS,
  mergeChainedResult,
  parseCniVersion,
  parseResult,
  toVersionedResult,
  type CniResult,
} from '../types.js';
import { messageOf } from '../../shared/errors.js';
import { decodeConfigText, parseConfig, type HostnicConfig } from './config.js';
import { DaemonAnswerError, DaemonCallError, DaemonProtocolError, DaemonTimeoutError, DaemonUnreachableError, type DaemonClient, type DaemonClientFactory } from './daemon.js';
import { parseAttachmentEnv, parseCommand, type AttachmentEnv, type CniCommand, type CniEnv } from './env.js';

/** What the runtime handed the process. */
export interface SkelInput {
  env: CniEnv;
  /** All of stdin, or the error reading it failed with (→ code 5 for verbs that need it). */
  stdin: string | Error;
  /** Builds the daemon client once the config (socket path) is known. */
  connect: DaemonClientFactory;
}

/** What the process must write and exit with; stdout holds at most one JSON document. */
export interface SkelOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Printed to stderr when the binary runs without CNI_COMMAND (someone ran it by hand). */
export const PLUGIN_ABOUT = 'hostnic CNI plugin: gives each pod a QingCloud NIC from hostnic-daemon';

/** The cniVersion of the request, for the error JSON, when stdin names a well-formed one. */
function requestedVersion(stdin: string | Error): string | undefined {
  if (typeof stdin !== 'string') return undefined;
  try {
    const v: unknown = (JSON.parse(stdin) as { cniVersion?: unknown } | null)?.cniVersion;
    return typeof v === 'string' && parseCniVersion(v) !== undefined ? v : undefined;
  } catch {
    return undefined;
  }
}

function json(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/** The CNI error a failure stands for, given the verb (the same daemon failure means different things per verb). */
export function toCniError(err: unknown, command: CniCommand | undefined): CniError {
  if (err instanceof CniError) return err;
  if (command === 'STATUS' && err instanceof DaemonCallError) {
    return new CniError(CNI_ERROR.NotAvailable, `hostnic is not available: ${err.message}`, undefined, { cause: err });
  }
  if (err instanceof DaemonUnreachableError) {
    // A DEL that cannot reach the daemon must fail so the runtime retries it; "try again later" says exactly that.
    if (command === 'DEL') return new CniError(CNI_ERROR.TryAgainLater, err.message, 'the runtime retries DEL; the pod NIC is released once the daemon is back', { cause: err });
    return new CniError(CNI_ERROR.DaemonUnreachable, err.message, undefined, { cause: err });
  }
  if (err instanceof DaemonTimeoutError) return new CniError(CNI_ERROR.TryAgainLater, err.message, undefined, { cause: err });
  if (err instanceof DaemonAnswerError) return new CniError(err.cniCode, err.message, err.details, { cause: err });
  if (err instanceof DaemonProtocolError) return new CniError(CNI_ERROR.Internal, err.message, undefined, { cause: err });
  return new CniError(CNI_ERROR.Internal, `hostnic plugin failed unexpectedly during ${command ?? 'start-up'}: ${messageOf(err)}`, undefined, { cause: err });
}

function causeChain(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (!(e instanceof Error)) {
      parts.push(messageOf(e));
      break;
    }
    parts.push(`${e.name}: ${e.message}`);
  }
  return parts.join('\n  caused by ');
}

function prevResultOrThrow(value: unknown, command: CniCommand): CniResult {
  try {
    return parseResult(value);
  } catch (err) {
    throw new CniError(CNI_ERROR.DecodingFailure, `cannot decode prevResult for ${command}: ${messageOf(err)}`, undefined, { cause: err });
  }
}

function attachmentRequest(env: AttachmentEnv): AttachmentRequest {
  return { protocolVersion: PROTOCOL_VERSION, containerId: env.containerId, netns: env.netns, ifName: env.ifName, args: env.args };
}

/** One verb on a checked config; resolves with what to print on stdout ('' for none). */
async function dispatch(command: Exclude<CniCommand, 'VERSION'>, config: HostnicConfig, env: AttachmentEnv | undefined, daemon: DaemonClient, debug: string[]): Promise<string> {
  switch (command) {
    case 'ADD': {
      const prev = config.prevResult === undefined ? undefined : prevResultOrThrow(config.prevResult, command);
      // Spec: ADD must fail when the interface already exists in the container; a plugin before us made it.
      if (prev?.interfaces.some((i) => i.name === env!.ifName && i.sandbox === env!.netns)) {
        throw new CniError(
          CNI_ERROR.InvalidNetworkConfig,
          `interface ${env!.ifName} in ${env!.netns} already exists per prevResult: hostnic creates the pod interface itself and must come before other interface plugins in network ${config.name}`,
        );
      }
      const request = { ...attachmentRequest(env!), ...(config.runtimeConfig ? { runtimeConfig: config.runtimeConfig } : {}), ...(config.serviceCIDR ? { serviceCIDR: config.serviceCIDR } : {}) };
      const { result } = await daemon.add(request);
      // We are normally first in the chain; when a plugin ran before us its result stays in front (spec: pass it on).
      const final = prev === undefined ? result : mergeChainedResult(prev, result);
      return json(toVersionedResult(final, config.cniVersion));
    }
    case 'DEL': {
      const request: DelRequest = attachmentRequest(env!);
      // prevResult is only a hint on DEL and the spec says a DEL must not fail on it: drop an unreadable one.
      if (config.prevResult !== undefined) {
        try {
          request.prevResult = parseResult(config.prevResult);
        } catch (err) {
          debug.push(`ignoring unreadable prevResult on DEL: ${messageOf(err)}`);
        }
      }
      try {
        await daemon.del(request);
      } catch (err) {
        // Idempotent DEL (spec): a container the daemon never saw, or already released, is deleted.
        if (err instanceof DaemonAnswerError && err.cniCode === CNI_ERROR.UnknownContainer) {
          debug.push(`daemon does not know ${request.containerId}/${request.ifName}: nothing to delete`);
          return '';
        }
        throw err;
      }
      return '';
    }
    case 'CHECK': {
      if (config.prevResult === undefined) {
        throw new CniError(CNI_ERROR.InvalidNetworkConfig, `CHECK of container ${env!.containerId} needs prevResult (the ADD result) in the config; the runtime did not send one`);
      }
      await daemon.check({ ...attachmentRequest(env!), prevResult: prevResultOrThrow(config.prevResult, command) });
      return '';
    }
    case 'STATUS': {
      const status = await daemon.status();
      if (status.ready) return '';
      const code = status.code === CNI_ERROR.NotAvailableLimitedConnectivity ? status.code : CNI_ERROR.NotAvailable;
      throw new CniError(code, status.msg, status.details);
    }
    case 'GC': {
      await daemon.gc({ protocolVersion: PROTOCOL_VERSION, validAttachments: config.validAttachments ?? [] });
      return '';
    }
  }
}

/**
 * The CNI plugin protocol without the process: reads env + stdin, runs the verb against the daemon, and says what
 * to print and how to exit. Errors become the spec's error JSON on stdout; stderr only carries diagnostics when
 * asked for (config `debug: true` or HOSTNIC_DEBUG=1), and the about text when CNI_COMMAND is unset.
 */
export async function runSkel(input: SkelInput): Promise<SkelOutput> {
  const { env, stdin } = input;
  const debugLines: string[] = [];
  let debug = env.HOSTNIC_DEBUG === '1' || env.HOSTNIC_DEBUG === 'true';
  let command: CniCommand | undefined;
  let cniVersion: string = requestedVersion(stdin) ?? LATEST_CNI_VERSION;
  const stderr = (): string => (debug && debugLines.length > 0 ? debugLines.map((l) => `hostnic: ${l}\n`).join('') : '');
  try {
    command = parseCommand(env);
    if (command === undefined) {
      return { stdout: '', stderr: `${PLUGIN_ABOUT}\nCNI protocol versions supported: ${SUPPORTED_CNI_VERSIONS.join(', ')}\n`, exitCode: 0 };
    }
    if (command === 'VERSION') {
      // VERSION echoes the caller's cniVersion and ignores the rest of stdin (spec 1.1.0).
      return { stdout: json({ cniVersion, supportedVersions: [...SUPPORTED_CNI_VERSIONS] }), stderr: '', exitCode: 0 };
    }
    // Environment before config, as the reference skel does: a broken runtime setup is named first.
    const attachment = command === 'ADD' || command === 'DEL' || command === 'CHECK' ? parseAttachmentEnv(env, command) : undefined;
    if (stdin instanceof Error) {
      throw new CniError(CNI_ERROR.IoFailure, `cannot read the network config from stdin: ${stdin.message}`, undefined, { cause: stdin });
    }
    const config = parseConfig(decodeConfigText(stdin), command);
    cniVersion = config.cniVersion;
    debug ||= config.debug;
    const daemon = input.connect({ socketPath: config.socketPath, timeoutsMs: DEFAULT_TIMEOUTS_MS });
    const stdout = await dispatch(command, config, attachment, daemon, debugLines);
    debugLines.push(`${command}${attachment ? ` ${attachment.containerId}/${attachment.ifName}` : ''} done`);
    return { stdout, stderr: stderr(), exitCode: 0 };
  } catch (err) {
    const cniErr = toCniError(err, command);
    debugLines.push(`${command ?? 'start-up'} failed with code ${cniErr.cniCode}: ${causeChain(cniErr)}`);
    return { stdout: json(cniErr.toJson(cniVersion)), stderr: stderr(), exitCode: 1 };
  }
}
