import type { ChildProcess } from 'node:child_process';

/** Makes `child` die with this process, also when this process ends on an uncaught error (tools, benches, the lab). */
export function killWithParent(child: ChildProcess): void {
  const reap = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', reap);
  child.once('exit', () => process.removeListener('exit', reap));
}
