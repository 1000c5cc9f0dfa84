import type { CommandOptions, CommandResult, CommandRunner } from '../../src/shared/exec.js';

/** CommandOptions with the input as the process read it (a promised input is awaited first). */
export type ResolvedCommandOptions = Omit<CommandOptions, 'input'> & { input?: string };

/** One recorded run (recorded when it starts; `options` once a promised input resolved). */
export interface RecordedCommand {
  command: string;
  args: readonly string[];
  options: ResolvedCommandOptions | undefined;
}

/** Matches argv: exact args, a predicate, or any args when omitted. */
export type ArgsMatcher = readonly string[] | ((args: readonly string[]) => boolean);

/** What a scripted command does: a (partial) result, a function of the argv, or an error to reject with. */
export type ScriptedReply =
  | Partial<CommandResult>
  | ((args: readonly string[], options: ResolvedCommandOptions | undefined) => Partial<CommandResult> | Promise<Partial<CommandResult>>)
  | { reject: Error };

interface Script {
  command: string;
  args: ArgsMatcher | undefined;
  reply: ScriptedReply;
  remaining: number;
}

/** The test failed to script a command the code ran (argv shown so the missing script is obvious). */
export class UnscriptedCommandError extends Error {
  constructor(command: string, args: readonly string[], scripted: string[]) {
    super(
      `FakeCommandRunner: unscripted command ${JSON.stringify([command, ...args])}; scripted: ${scripted.length === 0 ? '(none)' : scripted.join('; ')}`,
    );
    this.name = 'UnscriptedCommandError';
  }
}

function matches(matcher: ArgsMatcher | undefined, args: readonly string[]): boolean {
  if (matcher === undefined) return true;
  if (typeof matcher === 'function') return matcher(args);
  return matcher.length === args.length && matcher.every((arg, i) => arg === args[i]);
}

/** A CommandRunner that records every argv and replays scripted results; anything unscripted rejects loudly. */
export class FakeCommandRunner implements CommandRunner {
  readonly calls: RecordedCommand[] = [];
  private readonly scripts: Script[] = [];

  /** Scripts `command` (with matching args) to reply, every time it runs (or `times` times). First match wins. */
  on(command: string, args: ArgsMatcher | undefined, reply: ScriptedReply, times = Number.POSITIVE_INFINITY): this {
    this.scripts.push({ command, args, reply, remaining: times });
    return this;
  }

  /** Scripts a reply used once; later runs fall through to the next matching script. */
  once(command: string, args: ArgsMatcher | undefined, reply: ScriptedReply): this {
    return this.on(command, args, reply, 1);
  }

  /** The argv arrays ([command, ...args]) run so far, in order. */
  argvs(): string[][] {
    return this.calls.map((call) => [call.command, ...call.args]);
  }

  /** The recorded runs of one command. */
  callsOf(command: string): RecordedCommand[] {
    return this.calls.filter((call) => call.command === command);
  }

  async run(command: string, args: readonly string[], commandOptions?: CommandOptions): Promise<CommandResult> {
    const call: RecordedCommand = { command, args: [...args], options: undefined };
    this.calls.push(call);
    const options = commandOptions === undefined ? undefined : { ...commandOptions, input: await Promise.resolve(commandOptions.input).catch(() => '') };
    if (options?.input === undefined) delete options?.input;
    call.options = options;
    const script = this.scripts.find((s) => s.remaining > 0 && s.command === command && matches(s.args, args));
    if (script === undefined) {
      throw new UnscriptedCommandError(
        command,
        args,
        this.scripts.filter((s) => s.remaining > 0).map((s) => `${s.command} ${Array.isArray(s.args) ? JSON.stringify(s.args) : s.args === undefined ? '(any args)' : '(predicate)'}`),
      );
    }
    script.remaining -= 1;
    const reply = script.reply;
    if ('reject' in reply && reply.reject instanceof Error) throw reply.reject;
    const partial = typeof reply === 'function' ? await reply(args, options) : (reply as Partial<CommandResult>);
    return { stdout: partial.stdout ?? '', stderr: partial.stderr ?? '', exitCode: partial.exitCode ?? 0 };
  }
}
