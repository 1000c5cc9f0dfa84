import { setMaxListeners } from 'node:events';
import type { Logger } from '../../shared/log.js';
import type { Clock } from '../../shared/clock.js';
import { messageOf } from '../../shared/errors.js';
import { formatTimestamp } from '../signer.js';
import type { EffectsWorld, SimEffects } from './effects.js';
import { denied, notFound, quotaExceeded, tryLater } from './errors.js';
import { pickLatency, shouldFailJob, type JobLatencyOption, type SimFaults } from './faults.js';
import { effectsInstance, effectsNic, jobSteps } from './jobs.js';
import type { InstanceRec, JobPlan, JobRec, NicRec, QuotaType, SnapshotRec, VolumeRec, VxnetRec, World } from './model.js';
import { randomSuffix, type Random } from './rng.js';
import { saveWorld } from './store.js';

/** How long `deleted` volumes and snapshots stay recoverable before they turn `ceased` (qingcloud-api.md §5.1). */
export const DELETED_RETENTION_MS = 2 * 60 * 60 * 1000;

/** Behaviour switches of the simulated cloud. */
export interface EngineOptions {
  clock: Clock;
  random: Random;
  effects: SimEffects;
  logger: Logger;
  stateFile?: string;
  jobLatency: JobLatencyOption;
  faults: SimFaults;
  /**
   * Allow ResizeVolumes on an `in-use` volume. The real cloud historically required `available` (detached);
   * our CSI driver expands online, so the simulator allows it unless told otherwise.
   */
  allowOnlineResize: boolean;
  /** CreateSnapshots `job_id` shape: the live API returns an array, the docs a string (qingcloud-api.md §3.1). */
  snapshotJobIdAs: 'array' | 'string';
}

/**
 * The simulated cloud's state and job runner. Action handlers validate, then mutate `world` synchronously (so two
 * requests never interleave half-way) and start jobs; every mutation schedules an atomic save of the state file.
 */
export class SimEngine {
  readonly world: World;
  private readonly inflight = new Set<Promise<void>>();
  // Every running job sleeps on this one signal, so hundreds of listeners are expected.
  private readonly abortLatency = unlimitedListeners(new AbortController());
  private saving: Promise<void> = Promise.resolve();
  private saveScheduled = false;
  private dirty = false;
  private saveError: unknown;

  constructor(
    world: World,
    readonly options: EngineOptions,
  ) {
    this.world = world;
  }

  /** Server time as the API formats it. */
  now(): string {
    return formatTimestamp(this.options.clock.now());
  }

  /** A fresh id `prefix-xxxxxxxx` unused in `taken`. */
  newId(prefix: string, length: number, taken: Record<string, unknown>): string {
    for (;;) {
      const id = `${prefix}-${randomSuffix(this.options.random, length)}`;
      if (!(id in taken)) return id;
    }
  }

  // ---- lookups for mutating calls: 2100 when missing (or deleted), 1400 "please try later" mid-transition ----

  /** An instance a mutating call names. */
  instance(id: string): InstanceRec {
    const instance = this.world.instances[id];
    if (!instance) throw notFound(id);
    return instance;
  }

  /** A vxnet a mutating call names. */
  vxnet(id: string): VxnetRec {
    const vxnet = this.world.vxnets[id];
    if (!vxnet) throw notFound(id);
    return vxnet;
  }

  /** A live volume a mutating call names, not in a transition. */
  idleVolume(id: string): VolumeRec {
    const volume = this.world.volumes[id];
    if (!volume || volume.status === 'deleted' || volume.status === 'ceased') throw notFound(id);
    if (volume.transition_status !== '') throw tryLater(id, volume.transition_status);
    return volume;
  }

  /** A live snapshot a mutating call names, not in a transition. */
  idleSnapshot(id: string): SnapshotRec {
    const snapshot = this.world.snapshots[id];
    if (!snapshot || snapshot.status === 'deleted' || snapshot.status === 'ceased') throw notFound(id);
    if (snapshot.transition_status !== '') throw tryLater(id, snapshot.transition_status);
    return snapshot;
  }

  /** A NIC a mutating call names, not in a transition. */
  idleNic(id: string): NicRec {
    const nic = this.world.nics[id];
    if (!nic) throw notFound(id);
    if (nic.transition_status !== '') throw tryLater(id, nic.transition_status);
    return nic;
  }

  /** Throws 1400 unless `instance` may take part in `what` (all simulated instances stay running). */
  requireRunning(instance: InstanceRec, what: string): void {
    if (instance.status !== 'running') {
      throw denied(`instance [${instance.instance_id}] is ${instance.status}, can not ${what}; start it first`);
    }
  }

  // ---- quotas ----

  /** How much of each account quota is used. */
  quotaUsed(): Record<QuotaType, number> {
    const liveVolumes = Object.values(this.world.volumes).filter((v) => v.status !== 'deleted' && v.status !== 'ceased');
    return {
      volume: liveVolumes.length,
      volume_size: liveVolumes.reduce((sum, v) => sum + v.size, 0),
      snapshot: Object.values(this.world.snapshots).filter((s) => s.status !== 'deleted' && s.status !== 'ceased').length,
      nic: Object.values(this.world.nics).filter((n) => n.role === 0).length,
      tag: Object.keys(this.world.tags).length,
      instance: Object.keys(this.world.instances).length,
      vxnet: Object.keys(this.world.vxnets).length,
    };
  }

  /** Throws 2500 when adding `amount` of `type` would exceed the account quota. */
  requireQuota(type: QuotaType, amount: number): void {
    const quota = this.world.limits.quotas[type];
    const used = this.quotaUsed()[type];
    if (used + amount > quota) {
      throw quotaExceeded(`quota of ${type} exceeded: ${used} used + ${amount} requested > ${quota}; delete unused resources or raise limits.quotas.${type}`);
    }
  }

  // ---- jobs ----

  /**
   * Records a job and runs it in the background: `pending` for the first half of the configured latency, `working`
   * for the second half, then the effects; `successful`, or `failed` with the resources rolled back.
   */
  startJob(action: string, plan: JobPlan, resourceIds: string[], directive: Record<string, unknown>): JobRec {
    const now = this.now();
    const job: JobRec = {
      job_id: this.newId('j', 11, this.world.jobs),
      job_action: action,
      status: 'pending',
      create_time: now,
      status_time: now,
      resource_ids: resourceIds,
      directive: JSON.stringify({
        ...directive,
        action,
        zone: this.world.zone,
        sender: this.world.owner,
        expires: formatTimestamp(this.options.clock.now() + 60_000),
      }),
      error_codes: '',
      plan,
    };
    this.world.jobs[job.job_id] = job;
    this.changed();
    const latencyMs = pickLatency(this.options.jobLatency, action, this.options.random);
    const inject = shouldFailJob(this.options.faults, action, this.options.random);
    this.track(this.runJob(job, latencyMs, inject));
    return job;
  }

  /** Finishes jobs a crash left pending or working: effects re-applied (idempotent), no latency, no injection. */
  resumeUnfinishedJobs(): Promise<void> {
    const unfinished = Object.values(this.world.jobs).filter((j) => j.status === 'pending' || j.status === 'working');
    for (const job of unfinished) {
      this.options.logger.info({ jobId: job.job_id, action: job.job_action }, 'finishing a job interrupted by a restart');
      this.track(this.runJob(job, 0, false));
    }
    return this.idle();
  }

  /** Resolves once no job is running. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Skips the remaining latency of every running job (stop() uses it so jobs settle now). */
  hurryJobs(): void {
    this.abortLatency.abort();
  }

  private track(run: Promise<void>): void {
    const tracked = run.catch((err: unknown) => this.options.logger.error({ err }, 'job runner crashed')).finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  private async runJob(job: JobRec, latencyMs: number, injectFailure: boolean): Promise<void> {
    // Steps read the world when they run, so they can be made now and still see state changed during the latency.
    const steps = jobSteps(this.world, this.options.effects, job.plan);
    // Preparation overlaps the latency, so the effect at its end is short; a failed one only costs that speed.
    const prepared = injectFailure ? [] : steps.map((step) => step.prepare?.().catch(() => undefined) ?? Promise.resolve());
    // pending for the first half of the latency, working for the second half (at least one tick each).
    const half = Math.floor(latencyMs / 2);
    await this.pause(half);
    this.setJobStatus(job, 'working');
    await this.pause(latencyMs - half);
    await Promise.all(prepared);
    let failed = false;
    if (injectFailure) {
      for (const step of steps) step.rollback(this.now());
      failed = true;
      this.options.logger.info({ jobId: job.job_id, action: job.job_action }, 'job failed by fault injection');
    } else {
      for (const step of steps) {
        try {
          await step.effect();
          step.commit(this.now());
        } catch (err) {
          step.rollback(this.now());
          failed = true;
          this.options.logger.warn({ jobId: job.job_id, action: job.job_action, resourceId: step.resourceId, err: messageOf(err) }, 'job effect failed; resource rolled back');
        }
      }
    }
    if (failed) job.error_codes = '5000';
    this.setJobStatus(job, failed ? 'failed' : 'successful');
  }

  private async pause(ms: number): Promise<void> {
    if (ms <= 0 || this.abortLatency.signal.aborted) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return;
    }
    await this.options.clock.sleep(ms, this.abortLatency.signal).catch(() => undefined);
  }

  private setJobStatus(job: JobRec, status: JobRec['status']): void {
    job.status = status;
    job.status_time = this.now();
    this.changed();
  }

  /** What persisted state says should exist outside the simulator (for effects.restore). */
  effectsWorld(): EffectsWorld {
    const w = this.world;
    return {
      vxnets: Object.values(w.vxnets).map((v) => ({ vxnetId: v.vxnet_id, cidr: v.cidr, gateway: v.gateway })),
      attachedVolumes: Object.values(w.volumes)
        .filter((v) => v.status === 'in-use' && v.instance_id !== '')
        .map((v) => ({ volumeId: v.volume_id, instance: effectsInstance(w, v.instance_id) })),
      attachedNics: Object.values(w.nics)
        .filter((n) => n.status === 'in-use' && n.instance_id !== '')
        .map((n) => ({ nic: effectsNic(n), instance: effectsInstance(w, n.instance_id) })),
    };
  }

  /** Turns `deleted` volumes and snapshots older than the retention into `ceased`. */
  sweep(): void {
    const cutoff = this.options.clock.now() - DELETED_RETENTION_MS;
    let changed = false;
    for (const rec of [...Object.values(this.world.volumes), ...Object.values(this.world.snapshots)]) {
      if (rec.status === 'deleted' && Date.parse(rec.status_time) < cutoff) {
        rec.status = 'ceased';
        rec.status_time = this.now();
        changed = true;
      }
    }
    if (changed) this.changed();
  }

  // ---- persistence ----

  /** Schedules an atomic save of the state file (coalesced: at most one write in flight, one queued). */
  changed(): void {
    if (this.options.stateFile === undefined) return;
    this.dirty = true;
    if (this.saveScheduled) return;
    this.saveScheduled = true;
    setImmediate(() => {
      this.saveScheduled = false;
      this.saving = this.saving.then(() => this.saveNow());
    });
  }

  /** Writes pending changes now; throws when a save failed. */
  async flush(): Promise<void> {
    await this.saving;
    this.saving = this.saving.then(() => this.saveNow());
    await this.saving;
    if (this.saveError !== undefined) {
      const err = this.saveError;
      this.saveError = undefined;
      throw err instanceof Error ? err : new Error(messageOf(err));
    }
  }

  private async saveNow(): Promise<void> {
    const file = this.options.stateFile;
    if (file === undefined || !this.dirty) return;
    this.dirty = false;
    try {
      await saveWorld(file, this.world);
    } catch (err) {
      this.dirty = true;
      this.saveError = err;
      this.options.logger.error({ stateFile: file, err: messageOf(err) }, 'could not save the simulator state file');
    }
  }
}

function unlimitedListeners(controller: AbortController): AbortController {
  setMaxListeners(0, controller.signal);
  return controller;
}
