/** gRPC status names by code. */
export const GRPC_CODES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

/** Codes the CSI sidecars and kubelet retry with the same request; anything else is a wrong answer in a chaos run. */
export const RETRYABLE = new Set(['UNAVAILABLE', 'ABORTED', 'DEADLINE_EXCEEDED', 'CANCELLED', 'RESOURCE_EXHAUSTED']);

/** What happened to the calls of a run: codes seen, and answers no sidecar should get. */
export class CallLedger {
  readonly codes = new Map<string, number>();
  readonly wrong: string[] = [];

  record(method: string, code: string, message = ''): void {
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    if (code !== 'OK' && !RETRYABLE.has(code)) this.wrong.push(`${method}: ${code} ${message}`.slice(0, 300));
  }
}

/**
 * Calls like a sidecar: the same request again, with capped exponential backoff, until OK. Retryable codes and a
 * driver that is down (being restarted) are retried; a wrong code is recorded and retried too, as Kubernetes would,
 * so one bad answer cannot wedge the run. Gives up after `attempts`.
 */
export async function callUntilOk<T>(
  ledger: CallLedger,
  method: string,
  call: () => Promise<T>,
  options: { attempts?: number; sleep: (ms: number) => Promise<void> },
): Promise<T> {
  const attempts = options.attempts ?? 200;
  let last = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const value = await call();
      ledger.record(method, 'OK');
      return value;
    } catch (err) {
      const e = err as { code?: number; details?: string; message?: string };
      const code = typeof e.code === 'number' ? (GRPC_CODES[e.code] ?? 'UNKNOWN') : 'UNAVAILABLE';
      last = `${code} ${e.details ?? e.message ?? ''}`;
      ledger.record(method, code, e.details ?? e.message ?? '');
      await options.sleep(Math.min(1_000, 20 * 2 ** Math.min(attempt, 6)));
    }
  }
  throw new Error(`${method} did not succeed after ${attempts} attempts; last answer: ${last}`);
}
