import type { Logger } from './log.js';

/**
 * Drains a long-running process on its first SIGTERM or SIGINT, then exits: 0 when `drain` finished, 1 when it failed.
 * Later signals are ignored while the drain runs (kubelet may repeat SIGTERM before its grace period ends).
 */
export function drainOnSignals(logger: Logger, what: string, drain: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${what} draining`);
    drain().then(
      () => {
        logger.info(`${what} stopped`);
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err: (err as Error).message ?? String(err) }, `${what} failed to drain; exiting`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
