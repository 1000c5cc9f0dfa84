import { execFile } from 'node:child_process';
import { BaseError } from './errors.js';
import type { CommandOptions, CommandResult, CommandRunner } from './exec.js';

/** The tool could not be started at all (missing binary, bad permissions, timeout). */
export class CommandSpawnError extends BaseError {
  constructor(command: string, cause: unknown) {
    super('COMMAND_SPAWN_FAILED', `could not run ${command}: ${(cause as Error).message}; is it installed and on PATH?`, { cause });
  }
}

const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** The real CommandRunner: node's execFile with an argv array and no shell. */
export class NodeCommandRunner implements CommandRunner {
  run(command: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        command,
        [...args],
        { timeout: options.timeoutMs ?? 0, signal: options.signal, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8', shell: false },
        (err, stdout, stderr) => {
          if (err === null) {
            resolve({ stdout, stderr, exitCode: 0 });
            return;
          }
          const code = (err as NodeJS.ErrnoException & { code?: unknown }).code;
          if (typeof code === 'number') {
            resolve({ stdout, stderr, exitCode: code });
            return;
          }
          reject(new CommandSpawnError(command, err));
        },
      );
      // Input that arrives late can meet a child that already exited (EPIPE); its exit code and stderr tell the story,
      // so the write error must not become an unhandled 'error' event that ends this process.
      child.stdin?.on('error', () => undefined);
      if (options.input !== undefined) {
        Promise.resolve(options.input).then(
          (text) => child.stdin?.end(text),
          () => child.stdin?.end(),
        );
      }
    });
  }
}
