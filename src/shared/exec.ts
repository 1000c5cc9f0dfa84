import { BaseError } from './errors.js';

/** What a finished external command produced. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Options for one command run. */
export interface CommandOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Written to stdin, which is then closed. A promise lets the process start while its input is still being decided
   * (start-up overlaps other work); a rejected one closes stdin with nothing written.
   */
  input?: string | Promise<string>;
}

/**
 * Runs an external tool with an argv array, never through a shell (the port every Linux adapter uses).
 * Resolves with the exit code, also when it is non-zero; rejects only when the tool could not run.
 */
export interface CommandRunner {
  run(command: string, args: readonly string[], options?: CommandOptions): Promise<CommandResult>;
}

/** A command exited non-zero where the caller needed success. */
export class CommandFailedError extends BaseError {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly result: CommandResult,
  ) {
    const detail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ');
    super('COMMAND_FAILED', `${command} ${args.join(' ')} exited with ${result.exitCode}: ${detail || 'no output'}`);
  }
}

/** Runs a command and returns its stdout, throwing CommandFailedError on a non-zero exit. */
export async function runChecked(
  runner: CommandRunner,
  command: string,
  args: readonly string[],
  options?: CommandOptions,
): Promise<string> {
  const result = await runner.run(command, args, options);
  if (result.exitCode !== 0) throw new CommandFailedError(command, args, result);
  return result.stdout;
}
