import { BaseError } from './errors.js';

/** Another, different operation holds one of the resources (CSI: ABORTED; the caller retries with backoff). */
export class OperationConflictError extends BaseError {
  constructor(
    readonly key: string,
    readonly resource: string,
    readonly runningKey: string,
  ) {
    super('OPERATION_CONFLICT', `${resource} is busy with operation ${runningKey}; ${key} must wait until it finishes, retry later`);
  }
}

/** The caller stopped waiting (deadline or cancel); the operation itself goes on and a retry joins it. */
export class OperationDetachedError extends BaseError {
  constructor(readonly key: string, cause: unknown) {
    super('OPERATION_STILL_RUNNING', `operation ${key} is still running in the background; retry the same request to get its result`, { cause });
  }
}

interface Running {
  key: string;
  resources: readonly string[];
  promise: Promise<unknown>;
}

/** What one call wants to run. */
export interface OperationRequest {
  /** The request identity, e.g. `create:<name>` or `attach:<volume>@<node>`: equal keys join one operation. */
  key: string;
  /** Resources the operation changes; a different key touching one of them is refused while this runs. */
  resources: readonly string[];
  /** The caller's deadline/cancellation; it ends the wait, never the operation. */
  signal?: AbortSignal;
}

/**
 * Keeps long cloud operations alive across the calls that asked for them (architecture.md "Deadlines"): a call whose
 * deadline passes returns while the job keeps running, a retry with the same key joins it, and a different operation
 * on a busy resource is refused at once instead of queueing behind it.
 */
export class InflightOperations {
  private readonly byKey = new Map<string, Running>();
  private readonly byResource = new Map<string, Running>();

  /** Runs `fn` once per key at a time; see the class comment for joining and conflicts. */
  async run<T>(request: OperationRequest, fn: () => Promise<T>): Promise<T> {
    let running = this.byKey.get(request.key);
    if (running === undefined) {
      for (const resource of request.resources) {
        const holder = this.byResource.get(resource);
        if (holder !== undefined) throw new OperationConflictError(request.key, resource, holder.key);
      }
      running = this.start(request, fn);
    }
    return waitUnlessAborted(running.promise as Promise<T>, request);
  }

  /** Keys of the operations running now (introspection, tests). */
  runningKeys(): string[] {
    return [...this.byKey.keys()];
  }

  /** Resolves when every running operation has settled (graceful shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.byKey.values()].map((r) => r.promise));
  }

  private start<T>(request: OperationRequest, fn: () => Promise<T>): Running {
    const running: Running = { key: request.key, resources: [...new Set(request.resources)], promise: Promise.resolve() };
    const release = (): void => {
      this.byKey.delete(running.key);
      for (const resource of running.resources) if (this.byResource.get(resource) === running) this.byResource.delete(resource);
    };
    running.promise = (async () => {
      try {
        return await fn();
      } finally {
        release();
      }
    })();
    // A detached operation that fails after every caller left must not become an unhandled rejection.
    running.promise.catch(() => undefined);
    this.byKey.set(running.key, running);
    for (const resource of running.resources) this.byResource.set(resource, running);
    return running;
  }
}

function waitUnlessAborted<T>(promise: Promise<T>, request: OperationRequest): Promise<T> {
  const signal = request.signal;
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(new OperationDetachedError(request.key, signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new OperationDetachedError(request.key, signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
