import type { Clock } from '../../shared/clock.js';
import type { Checkpointer, SaveOptions } from '../../shared/checkpoint.js';
import { BaseError } from '../../shared/errors.js';
import type { CniResult } from '../types.js';
import type { CreatedNic } from './nic-provider.js';

/**
 * Where a NIC of this node is in its life. The happy path:
 *   (creating: an intent, see CreateIntent — the NIC id is not known before CreateNics answers)
 *   created → attaching → attached-idle → assigning(pod) → assigned(pod) → releasing(pod) → attached-idle
 *   attached-idle/releasing → detaching → deleting → (record removed)
 * The daemon checkpoints the new phase BEFORE the cloud or kernel step it names, so after a crash the phase says
 * which step may be half done and reconcile.ts can finish or undo exactly that step.
 */
export type NicPhase = 'created' | 'attaching' | 'attached-idle' | 'assigning' | 'assigned' | 'releasing' | 'detaching' | 'deleting';

/** Allowed phase changes (a phase may always be re-entered: steps are retried). */
export const NIC_TRANSITIONS: Readonly<Record<NicPhase, readonly NicPhase[]>> = {
  created: ['attaching', 'deleting'],
  // attach failed for good (slot limit, vxnet gone): the NIC is detached if needed and deleted
  attaching: ['attached-idle', 'detaching', 'deleting'],
  'attached-idle': ['assigning', 'detaching'],
  assigning: ['assigned', 'releasing'],
  assigned: ['releasing'],
  releasing: ['attached-idle', 'detaching'],
  detaching: ['deleting'],
  deleting: [],
};

/** Phases in which a NIC belongs to a pod. */
export const POD_PHASES: readonly NicPhase[] = ['assigning', 'assigned', 'releasing'];

/** The pod a NIC is given to. */
export interface PodRef {
  containerId: string;
  ifName: string;
  /** CNI_NETNS at ADD. */
  netns: string;
  /** The service CIDR routed at ADD (CHECK compares against it). */
  serviceCidr?: string;
  podName?: string;
  podNamespace?: string;
}

/** One NIC of this node. */
export interface NicRecord {
  /** The NIC id = its MAC, lower case. */
  nicId: string;
  vxnetId: string;
  privateIp: string;
  phase: NicPhase;
  /** When the NIC entered `phase` (ms since the epoch). */
  sinceMs: number;
  /** Set in assigning/assigned/releasing. */
  pod?: PodRef;
  /** The ADD result (assigned): a repeated ADD answers it again. */
  result?: CniResult;
}

/** A CreateNics the daemon is about to send or has sent: reconcile adopts NICs found by name that it may have made. */
export interface CreateIntent {
  id: string;
  vxnetId: string;
  count: number;
  sinceMs: number;
}

/** The checkpoint document. */
export interface StateDoc {
  version: 1;
  instanceId: string;
  nics: NicRecord[];
  creating: CreateIntent[];
}

/** A phase change the state machine forbids, or a NIC the table does not know: a daemon bug. */
export class NicStateError extends BaseError {
  constructor(message: string) {
    super('HOSTNIC_STATE', message);
  }
}

const PHASES = new Set<string>(Object.keys(NIC_TRANSITIONS));

/**
 * The NIC table: the daemon's one in-memory truth about its NICs, checkpointed as a StateDoc. Changes apply at once
 * in memory (synchronously, so two concurrent ADDs never pick the same NIC) and reach the disk with flush(), which
 * callers await before the step the change announces.
 */
export class NicTable {
  private readonly nics = new Map<string, NicRecord>();
  private creating: CreateIntent[] = [];
  private writes: Promise<void> = Promise.resolve();
  private nextIntent = 1;

  private constructor(
    readonly instanceId: string,
    private readonly checkpointer: Checkpointer,
    private readonly clock: Clock,
  ) {}

  /** The table from the checkpoint (empty when there is none). Throws NicStateError for a document of another node. */
  static async load(checkpointer: Checkpointer, instanceId: string, clock: Clock): Promise<NicTable> {
    const table = new NicTable(instanceId, checkpointer, clock);
    const doc = await checkpointer.load();
    if (doc === undefined) return table;
    const state = parseStateDoc(doc);
    if (state.instanceId !== instanceId) {
      throw new NicStateError(`checkpoint belongs to instance ${state.instanceId}, not to this node ${instanceId}; move the state directory away if the node was re-imaged`);
    }
    for (const nic of state.nics) table.nics.set(nic.nicId, nic);
    table.creating = state.creating;
    table.nextIntent = 1 + Math.max(0, ...state.creating.map((c) => Number(c.id.replace(/^c/, '')) || 0));
    return table;
  }

  /** Every record (live objects: read, do not mutate). */
  all(): NicRecord[] {
    return [...this.nics.values()];
  }

  get(nicId: string): NicRecord | undefined {
    return this.nics.get(nicId);
  }

  inPhase(...phases: NicPhase[]): NicRecord[] {
    return this.all().filter((n) => phases.includes(n.phase));
  }

  /** The NIC given to (containerId, ifName), if any. */
  byPod(containerId: string, ifName: string): NicRecord | undefined {
    return this.all().find((n) => n.pod !== undefined && n.pod.containerId === containerId && n.pod.ifName === ifName);
  }

  /** Idle NICs, longest idle first. */
  idle(): NicRecord[] {
    return this.inPhase('attached-idle').sort((a, b) => a.sinceMs - b.sinceMs);
  }

  intents(): CreateIntent[] {
    return [...this.creating];
  }

  /** Records the intent to create `count` NICs in `vxnetId`. */
  addIntent(vxnetId: string, count: number): CreateIntent {
    const intent = { id: `c${this.nextIntent++}`, vxnetId, count, sinceMs: this.clock.now() };
    this.creating.push(intent);
    return intent;
  }

  removeIntent(id: string): void {
    this.creating = this.creating.filter((c) => c.id !== id);
  }

  /** Drops every intent (reconcile accounted for them). */
  clearIntents(): void {
    this.creating = [];
  }

  /** NICs CreateNics made for `intentId`: phase created. */
  addCreated(intentId: string, created: readonly CreatedNic[]): NicRecord[] {
    this.removeIntent(intentId);
    return created.map((c) => this.add({ nicId: c.nicId, vxnetId: c.vxnetId, privateIp: c.privateIp, phase: 'created' }));
  }

  /** Takes a NIC found in the cloud into the table (reconcile and the orphan sweep). */
  adopt(record: Omit<NicRecord, 'sinceMs'>): NicRecord {
    if (this.nics.has(record.nicId)) throw new NicStateError(`NIC ${record.nicId} is already in the table; cannot adopt it twice`);
    return this.add(record);
  }

  /**
   * Moves a NIC to `phase`, setting or clearing the pod (pod phases keep the pod unless given a new one; other phases
   * drop it and the result). Throws NicStateError for a change NIC_TRANSITIONS forbids.
   */
  transition(nicId: string, phase: NicPhase, patch: { pod?: PodRef; result?: CniResult } = {}): NicRecord {
    const nic = this.nics.get(nicId);
    if (nic === undefined) throw new NicStateError(`NIC ${nicId} is not in the NIC table; cannot move it to ${phase}`);
    if (nic.phase !== phase && !NIC_TRANSITIONS[nic.phase].includes(phase)) {
      throw new NicStateError(`NIC ${nicId} cannot go from ${nic.phase} to ${phase}`);
    }
    if (phase === 'assigning' && patch.pod === undefined && nic.pod === undefined) throw new NicStateError(`NIC ${nicId} cannot be assigned without a pod`);
    if (nic.phase !== phase) nic.sinceMs = this.clock.now();
    nic.phase = phase;
    if (POD_PHASES.includes(phase)) {
      if (patch.pod !== undefined) nic.pod = patch.pod;
      if (patch.result !== undefined) nic.result = patch.result;
    } else {
      delete nic.pod;
      delete nic.result;
    }
    return nic;
  }

  /** Forgets a NIC (it was deleted, or the cloud no longer has it). */
  remove(nicId: string): void {
    this.nics.delete(nicId);
  }

  /** The checkpoint document of the table as it is now. */
  toDoc(): StateDoc {
    return structuredClone({ version: 1 as const, instanceId: this.instanceId, nics: this.all(), creating: this.creating });
  }

  /** Writes the table as it is now; writes happen one after another in call order. */
  flush(options?: SaveOptions): Promise<void> {
    const doc = this.toDoc();
    const write = this.writes.then(() => this.checkpointer.save(doc, options));
    this.writes = write.catch(() => undefined);
    return write;
  }

  /** Resolves once every write started so far has finished (failed ones included). */
  written(): Promise<void> {
    return this.writes;
  }

  private add(record: Omit<NicRecord, 'sinceMs'>): NicRecord {
    const nic: NicRecord = { ...record, sinceMs: this.clock.now() };
    this.nics.set(nic.nicId, nic);
    return nic;
  }
}

/** Validates a checkpoint document; throws NicStateError naming the first bad field. */
export function parseStateDoc(doc: unknown): StateDoc {
  const bad = (what: string): never => {
    throw new NicStateError(`checkpoint is not a hostnic state document: ${what}; move the state file away to rebuild the state from the cloud`);
  };
  if (typeof doc !== 'object' || doc === null) return bad('not an object');
  const d = doc as Partial<StateDoc>;
  if (d.version !== 1) return bad(`version ${JSON.stringify(d.version)} is not 1`);
  if (typeof d.instanceId !== 'string') return bad('no instanceId');
  if (!Array.isArray(d.nics) || !Array.isArray(d.creating)) return bad('nics or creating is not a list');
  for (const n of d.nics) {
    if (typeof n.nicId !== 'string' || typeof n.vxnetId !== 'string' || typeof n.privateIp !== 'string' || !PHASES.has(n.phase) || typeof n.sinceMs !== 'number') {
      return bad(`NIC entry ${JSON.stringify(n).slice(0, 200)} is malformed`);
    }
    if (POD_PHASES.includes(n.phase) && (n.pod === undefined || typeof n.pod.containerId !== 'string' || typeof n.pod.ifName !== 'string')) {
      return bad(`NIC ${n.nicId} is ${n.phase} without a pod`);
    }
  }
  return d as StateDoc;
}

/** Named steps where tests stop the daemon as if it crashed (each comes right after the checkpoint it follows). */
export type CrashPointName =
  | 'create:intent-saved'
  | 'create:done'
  | 'attach:before'
  | 'attach:done'
  | 'add:before-move'
  | 'add:after-move'
  | 'del:before-move'
  | 'del:after-move'
  | 'detach:before'
  | 'detach:done'
  | 'delete:before'
  | 'delete:done';

/** Test hook called at each crash point; production passes none. Throwing stops the operation at that step. */
export type CrashHook = (point: CrashPointName) => void;
