/** Prints the demo's steps with their timings, one line each. */
export class Reporter {
  private readonly started = performance.now();
  private readonly out: (line: string) => void;
  private steps = 0;
  private readonly skipped: string[] = [];

  constructor(out: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {
    this.out = out;
  }

  /** A section heading. */
  section(title: string): void {
    this.out(`\n== ${title}`);
  }

  /** Runs one step, printing what it did and how long it took; a failure is printed and rethrown. */
  async step<T>(what: string, fn: () => Promise<T>, describe?: (value: T) => string): Promise<T> {
    const t0 = performance.now();
    try {
      const value = await fn();
      this.steps += 1;
      const detail = describe === undefined ? '' : ` — ${describe(value)}`;
      this.out(`  ✓ ${what}${detail} (${(performance.now() - t0).toFixed(0)} ms)`);
      return value;
    } catch (err) {
      this.out(`  ✗ ${what}: ${(err as Error).message}`);
      throw err;
    }
  }

  /** A line of information under the current section. */
  note(text: string): void {
    this.out(`  ${text}`);
  }

  /** Notes something the demo could not do here, and why. */
  skip(what: string, why: string): void {
    this.skipped.push(`${what}: ${why}`);
    this.out(`  - skipped ${what}: ${why}`);
  }

  /** The closing summary. */
  summary(extra: string[] = []): void {
    this.out(`\n== Summary: ${this.steps} steps in ${((performance.now() - this.started) / 1000).toFixed(1)} s`);
    for (const line of extra) this.out(`  ${line}`);
    for (const line of this.skipped) this.out(`  skipped — ${line}`);
  }
}
