import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTimestamp, signRequest, type SignatureMethod } from '../../../../src/qingcloud/signer.js';
import type { EffectsInstance, EffectsNic, EffectsWorld, SimEffects } from '../../../../src/qingcloud/sim/effects.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../../../src/qingcloud/sim/index.js';

/** A parameter value: lists are sent as name.1, name.2, ... */
export type ParamValue = string | number | readonly string[];

/** How to send and sign one request. */
export interface CallOptions {
  method?: 'GET' | 'POST';
  path?: string;
  signatureMethod?: SignatureMethod;
  /** time_stamp to sign with (ms); default now. */
  timeMs?: number;
  keyId?: string;
  secret?: string;
  /** Send spaces as '+' instead of %20 (the signature stays over the decoded values). */
  plusForSpace?: boolean;
  /** Leave out the zone parameter. */
  noZone?: boolean;
  /** Replace the computed signature. */
  signature?: string;
}

/** A JSON API answer; tests read nested fields loosely, so its values are untyped. */
 
export type ApiAnswer = Record<string, any>;

/** Flattens lists into name.N params. */
export function wireParams(params: Record<string, ParamValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (Array.isArray(value)) (value as readonly string[]).forEach((v, i) => (out[`${name}.${i + 1}`] = v));
    else out[name] = String(value);
  }
  return out;
}

/** Signs and sends one API call to the simulator over real HTTP; returns the parsed JSON body. */
export async function call(sim: RunningSimulator, action: string, params: Record<string, ParamValue> = {}, options: CallOptions = {}): Promise<ApiAnswer> {
  const cfg = sim.clientConfig;
  const method = options.method ?? 'GET';
  const path = options.path ?? cfg.uri;
  const all: Record<string, string> = {
    access_key_id: options.keyId ?? cfg.qy_access_key_id,
    action,
    signature_method: options.signatureMethod ?? 'HmacSHA256',
    signature_version: '1',
    time_stamp: formatTimestamp(options.timeMs ?? Date.now()),
    ...(options.noZone ? {} : { zone: cfg.zone }),
    ...wireParams(params),
  };
  const signed = signRequest(method, path, all, options.secret ?? cfg.qy_secret_access_key);
  let canonical = signed.canonical;
  if (options.plusForSpace) canonical = canonical.replace(/%20/g, '+');
  const encoded = `${canonical}&signature=${encodeURIComponent(options.signature ?? signed.signature)}`;
  const base = `http://${cfg.host}:${cfg.port}${path}`;
  const res =
    method === 'GET'
      ? await fetch(`${base}?${encoded}`)
      : await fetch(base, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: encoded });
  return checkedJson(res);
}

/** Sends an arbitrary HTTP request to the simulator (for garbage tests). */
export async function rawRequest(sim: RunningSimulator, pathAndQuery: string, init: RequestInit = {}): Promise<ApiAnswer> {
  const cfg = sim.clientConfig;
  return checkedJson(await fetch(`http://${cfg.host}:${cfg.port}${pathAndQuery}`, init));
}

async function checkedJson(res: Response): Promise<ApiAnswer> {
  if (res.status !== 200) throw new Error(`simulator answered HTTP ${res.status}`);
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('application/json')) throw new Error(`simulator answered content-type ${type}`);
  return (await res.json()) as ApiAnswer;
}

/** Calls and expects ret_code 0; returns the answer. */
export async function ok(sim: RunningSimulator, action: string, params: Record<string, ParamValue> = {}, options: CallOptions = {}): Promise<ApiAnswer> {
  const answer = await call(sim, action, params, options);
  if (answer['ret_code'] !== 0) throw new Error(`${action} failed: ${JSON.stringify(answer)}`);
  return answer;
}

/** Waits until every job settled, then returns the job. */
export async function finishedJob(sim: RunningSimulator, jobId: string): Promise<ApiAnswer> {
  await sim.settled();
  const answer = await ok(sim, 'DescribeJobs', { jobs: [jobId] });
  return answer['job_set'][0] as ApiAnswer;
}

/** A temp dir removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'qingcloud-sim-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts simulators and stops them all in afterEach. */
export class SimPool {
  private readonly running: RunningSimulator[] = [];

  async start(options: SimulatorOptions = {}): Promise<RunningSimulator> {
    const sim = await startSimulator({ random: 42, ...options });
    this.running.push(sim);
    return sim;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.running.splice(0).map((s) => s.stop()));
  }
}

/** A deferred the fake effects can block on. */
export interface Gate {
  promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A recording SimEffects: logs every call; methods can be blocked (gates) or made to throw. */
export class RecordingEffects implements SimEffects {
  readonly kind = 'none' as const;
  readonly calls: { method: string; args: unknown[] }[] = [];
  readonly failing = new Set<string>();
  readonly busyVolumes = new Set<string>();
  private readonly gates = new Map<string, Gate>();

  /** Blocks `method` until the returned gate is opened. */
  block(method: string): Gate {
    const g = gate();
    this.gates.set(method, g);
    return g;
  }

  /** Names of the methods called, in order. */
  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  private async record(method: string, ...args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    const g = this.gates.get(method);
    if (g) await g.promise;
    if (this.failing.has(method)) throw new Error(`injected ${method} failure`);
  }

  async restore(world: EffectsWorld): Promise<void> {
    await this.record('restore', world);
  }
  async createVolume(volumeId: string, sizeGB: number): Promise<void> {
    await this.record('createVolume', volumeId, sizeGB);
  }
  async deleteVolume(volumeId: string): Promise<void> {
    await this.record('deleteVolume', volumeId);
  }
  async resizeVolume(volumeId: string, sizeGB: number): Promise<void> {
    await this.record('resizeVolume', volumeId, sizeGB);
  }
  async attachVolume(volumeId: string, instance: EffectsInstance): Promise<{ device: string }> {
    await this.record('attachVolume', volumeId, instance);
    return { device: `/dev/fake/${volumeId}` };
  }
  async isVolumeBusy(volumeId: string): Promise<boolean> {
    await this.record('isVolumeBusy', volumeId);
    return this.busyVolumes.has(volumeId);
  }
  async detachVolume(volumeId: string, instance: EffectsInstance): Promise<void> {
    await this.record('detachVolume', volumeId, instance);
  }
  async snapshotVolume(volumeId: string, snapshotId: string): Promise<void> {
    await this.record('snapshotVolume', volumeId, snapshotId);
  }
  async createVolumeFromSnapshot(snapshotId: string, volumeId: string, sizeGB: number): Promise<void> {
    await this.record('createVolumeFromSnapshot', snapshotId, volumeId, sizeGB);
  }
  async cloneVolume(sourceVolumeId: string, volumeId: string, sizeGB: number): Promise<void> {
    await this.record('cloneVolume', sourceVolumeId, volumeId, sizeGB);
  }
  async deleteSnapshot(snapshotId: string): Promise<void> {
    await this.record('deleteSnapshot', snapshotId);
  }
  async ensureVxnet(): Promise<void> {
    await this.record('ensureVxnet');
  }
  async attachNic(nic: EffectsNic, instance: EffectsInstance): Promise<void> {
    await this.record('attachNic', nic, instance);
  }
  async detachNic(nic: EffectsNic, instance: EffectsInstance): Promise<void> {
    await this.record('detachNic', nic, instance);
  }
  async cleanup(): Promise<void> {
    await this.record('cleanup');
  }
}

/** A Clock whose time moves only by advance(); sleeps resolve when their time has come. */
export class ManualClock {
  private current: number;
  private timers: { due: number; resolve: () => void }[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = { due: this.current + ms, resolve };
      this.timers.push(timer);
      signal?.addEventListener('abort', () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(signal.reason);
      });
    });
  }

  /** Moves time forward and wakes every sleeper whose time has come; waits a few ticks for them to run. */
  async advance(ms: number): Promise<void> {
    this.current += ms;
    const due = this.timers.filter((t) => t.due <= this.current);
    this.timers = this.timers.filter((t) => t.due > this.current);
    for (const t of due) t.resolve();
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
