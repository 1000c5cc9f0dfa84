import type { CommandOptions, CommandResult, CommandRunner } from '../../../../src/shared/exec.js';

/** What a scripted command answers: stdout text, or a full result. */
export type FakeAnswer = string | Partial<CommandResult>;

/** One rule: when the argv line (command and args joined by spaces) matches, answer (and maybe act). */
export type FakeRule = [match: string | RegExp, answer: FakeAnswer | ((argv: string[]) => FakeAnswer)];

/**
 * A CommandRunner that records every call and answers from rules (first match wins; unmatched calls succeed with
 * empty output), so tests can assert the exact argv an adapter builds.
 */
export class RecordingRunner implements CommandRunner {
  readonly calls: string[][] = [];
  private readonly rules: FakeRule[] = [];

  constructor(rules: FakeRule[] = []) {
    this.rules.push(...rules);
  }

  /** Adds rules checked before the existing ones. */
  answer(...rules: FakeRule[]): this {
    this.rules.unshift(...rules);
    return this;
  }

  async run(command: string, args: readonly string[], _options?: CommandOptions): Promise<CommandResult> {
    const argv = [command, ...args];
    this.calls.push(argv);
    const line = argv.join(' ');
    for (const [match, answer] of this.rules) {
      if (typeof match === 'string' ? line === match : match.test(line)) {
        const value = typeof answer === 'function' ? answer(argv) : answer;
        const result = typeof value === 'string' ? { stdout: value } : value;
        return { stdout: '', stderr: '', exitCode: 0, ...result };
      }
    }
    return { stdout: '', stderr: '', exitCode: 0 };
  }

  /** The recorded calls as argv lines. */
  lines(): string[] {
    return this.calls.map((argv) => argv.join(' '));
  }

  /** The recorded calls except read-only listings (`ip -json … list/show`, `losetup --list`). */
  changes(): string[] {
    return this.lines().filter((line) => !/ -json (netns list|-details link show)$/.test(line) && !line.startsWith('losetup --list'));
  }
}
