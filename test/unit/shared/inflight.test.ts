import { describe, expect, it } from 'vitest';
import { InflightOperations, OperationConflictError, OperationDetachedError } from '../../../src/shared/inflight.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('InflightOperations', () => {
  it('joins a retry with the same key to the running operation instead of starting a second one', async () => {
    const ops = new InflightOperations();
    const job = deferred<string>();
    let starts = 0;
    const fn = () => {
      starts++;
      return job.promise;
    };
    const first = ops.run({ key: 'create:pvc-1', resources: ['pvc-1'] }, fn);
    const second = ops.run({ key: 'create:pvc-1', resources: ['pvc-1'] }, fn);
    job.resolve('vol-1');
    await expect(first).resolves.toBe('vol-1');
    await expect(second).resolves.toBe('vol-1');
    expect(starts).toBe(1);
    expect(ops.runningKeys()).toEqual([]);
  });

  it('refuses a different operation on a busy resource at once, naming the running one', async () => {
    const ops = new InflightOperations();
    const job = deferred<void>();
    const attach = ops.run({ key: 'attach:vol-1@i-1', resources: ['vol-1'] }, () => job.promise);
    await expect(ops.run({ key: 'expand:vol-1', resources: ['vol-1'] }, async () => undefined)).rejects.toThrow(OperationConflictError);
    await expect(ops.run({ key: 'expand:vol-1', resources: ['vol-1'] }, async () => undefined)).rejects.toThrow(/attach:vol-1@i-1/);
    job.resolve();
    await attach;
    await expect(ops.run({ key: 'expand:vol-1', resources: ['vol-1'] }, async () => 'ok')).resolves.toBe('ok');
  });

  it('lets a caller whose deadline passes return while the operation goes on, and a retry gets the result', async () => {
    const ops = new InflightOperations();
    const job = deferred<string>();
    const caller = new AbortController();
    const first = ops.run({ key: 'create:pvc-2', resources: [], signal: caller.signal }, () => job.promise);
    caller.abort(new Error('deadline'));
    await expect(first).rejects.toThrow(OperationDetachedError);
    expect(ops.runningKeys()).toEqual(['create:pvc-2']);
    const retry = ops.run({ key: 'create:pvc-2', resources: [] }, () => Promise.resolve('second start'));
    job.resolve('vol-2');
    await expect(retry).resolves.toBe('vol-2');
  });

  it('releases resources when an operation fails, and a detached failure is not unhandled', async () => {
    const ops = new InflightOperations();
    const job = deferred<void>();
    const caller = new AbortController();
    const p = ops.run({ key: 'delete:vol-3', resources: ['vol-3'], signal: caller.signal }, () => job.promise);
    caller.abort();
    await expect(p).rejects.toThrow(OperationDetachedError);
    job.reject(new Error('job failed'));
    await ops.drain();
    await expect(ops.run({ key: 'delete:vol-3', resources: ['vol-3'] }, async () => 'again')).resolves.toBe('again');
  });
});
