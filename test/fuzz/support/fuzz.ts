import fc from 'fast-check';

/**
 * Seeds and run counts of the fuzz tier. Every property runs with a fixed seed by default so CI is reproducible;
 * FUZZ_SEED picks another seed and FUZZ_RUNS scales the run counts (e.g. FUZZ_RUNS=5000 for a long local session).
 */
const DEFAULT_SEED = 424242;

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name}=${raw} is not an integer; unset it or pass a whole number`);
  return n;
}

/** The seed every property of this run uses. */
export const FUZZ_SEED = envInt('FUZZ_SEED') ?? DEFAULT_SEED;

/** Runs of a property: FUZZ_RUNS when set, else the property's own bounded default. */
export function fuzzRuns(defaultRuns: number): number {
  return envInt('FUZZ_RUNS') ?? defaultRuns;
}

/**
 * fc.assert with the tier's seed and run count; a failure is rethrown with the command that replays it (fast-check's
 * own report, with the counterexample and its shrink path, follows).
 */
export async function fuzz<T>(property: fc.IRawProperty<T>, defaultRuns: number, extra: fc.Parameters<T> = {}): Promise<void> {
  const numRuns = fuzzRuns(defaultRuns);
  try {
    await fc.assert(property, { seed: FUZZ_SEED, numRuns, endOnFailure: true, ...extra });
  } catch (err) {
    const replay = `replay with FUZZ_SEED=${FUZZ_SEED} FUZZ_RUNS=${numRuns}`;
    if (err instanceof Error) {
      // Counterexamples can be megabytes (huge or deeply nested inputs): keep each line readable; the seed replays it.
      const lines = err.message.split('\n').map((l) => (l.length > 2_000 ? `${l.slice(0, 2_000)}... (${l.length} chars)` : l));
      err.message = `${replay}\n${lines.join('\n')}`;
      throw err;
    }
    throw new Error(`${replay}: ${String(err)}`);
  }
}

/** Strings without NUL (env values and paths cannot carry one), full unicode. */
export const noNulString = (max = 40): fc.Arbitrary<string> => fc.string({ unit: 'grapheme', maxLength: max }).map((s) => s.replace(/\0/g, ''));

/** A string of `n` copies of a random character: huge values without paying for n random draws. */
export const hugeString = (min = 5_000, max = 200_000): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom('a', 'é', '😀', ' ', '/', '"', '\\', '%', '.'), fc.integer({ min, max })).map(([c, n]) => c.repeat(n));

/** Any JSON value of modest depth, or now and then a huge string. */
export const anyJson = (): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 9, arbitrary: fc.jsonValue({ maxDepth: 3 }) }, { weight: 1, arbitrary: hugeString() });

/** JSON text of a value nested `depth` times (`[{"k":[...]}]`): JSON.parse copes, recursive printers may not. */
export function deepJsonText(depth: number): string {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < depth; i++) {
    open.push(i % 2 === 0 ? '[' : '{"k":');
    close.push(i % 2 === 0 ? ']' : '}');
  }
  return `${open.join('')}"x"${close.reverse().join('')}`;
}
