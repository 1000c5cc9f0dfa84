// A small Dockerfile parser for checking the image without a Docker engine: stages, FROM with build args
// substituted, instructions with their flags (COPY --from=...), exec-form arguments, line continuations.

/** One instruction, continuation lines joined. */
export interface Instruction {
  keyword: string;
  /** The text after the keyword and its flags. */
  args: string;
  /** `--name=value` flags before the arguments (COPY --from, RUN --mount, FROM --platform). */
  flags: Record<string, string>;
  line: number;
}

/** One FROM ... section. */
export interface Stage {
  index: number;
  name: string | undefined;
  /** FROM's image as written. */
  from: string;
  /** FROM's image with the build args' defaults substituted. */
  image: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults (undefined = none). */
  globalArgs: Record<string, string | undefined>;
  stages: Stage[];
}

/** Substitutes $NAME, ${NAME} and ${NAME:-default} from `args`; unknown names become ''. */
export function substitute(text: string, args: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, braced: string | undefined, dflt: string | undefined, bare: string | undefined) => {
    const value = args[braced ?? bare ?? ''];
    return value === undefined || value === '' ? (dflt ?? '') : value;
  });
}

/** Parses Dockerfile text; throws on an instruction before FROM other than ARG. */
export function parseDockerfile(text: string): Dockerfile {
  const logical: { text: string; line: number }[] = [];
  let current: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    // Comment lines (also inside a continuation) and blank lines carry nothing.
    if (trimmed.startsWith('#') || (trimmed === '' && current === undefined)) return;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1) : trimmed;
    if (current === undefined) current = { text: part, line: i + 1 };
    else current.text += ` ${part}`;
    if (!continued) {
      logical.push(current);
      current = undefined;
    }
  });
  if (current !== undefined) logical.push(current);

  const result: Dockerfile = { globalArgs: {}, stages: [] };
  for (const { text: lineText, line } of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(lineText);
    if (m === null) continue;
    const keyword = m[1]!.toUpperCase();
    let rest = m[2]!;
    const flags: Record<string, string> = {};
    for (;;) {
      const f = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest);
      if (f === null) break;
      flags[f[1]!] = f[2] ?? 'true';
      rest = rest.slice(f[0].length);
    }
    const instruction: Instruction = { keyword, args: rest.trim(), flags, line };
    if (keyword === 'FROM') {
      const parts = instruction.args.split(/\s+/);
      const from = parts[0] ?? '';
      const name = parts.length >= 3 && parts[1]!.toUpperCase() === 'AS' ? parts[2] : undefined;
      result.stages.push({ index: result.stages.length, name, from, image: substitute(from, result.globalArgs), instructions: [] });
      continue;
    }
    const stage = result.stages.at(-1);
    if (stage === undefined) {
      if (keyword !== 'ARG') throw new Error(`Dockerfile line ${line}: ${keyword} before the first FROM`);
      const [name, ...value] = instruction.args.split('=');
      result.globalArgs[name!.trim()] = value.length === 0 ? undefined : value.join('=').trim();
      continue;
    }
    stage.instructions.push(instruction);
  }
  return result;
}

/** The JSON exec form of CMD/ENTRYPOINT/RUN arguments, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const value: unknown = JSON.parse(args);
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new Error(`exec form must be a JSON list of strings: ${args}`);
  return value as string[];
}

/** A stage by name or index. */
export function stage(file: Dockerfile, nameOrIndex: string | number): Stage {
  const found = typeof nameOrIndex === 'number' ? file.stages[nameOrIndex] : file.stages.find((s) => s.name === nameOrIndex);
  if (found === undefined) throw new Error(`the Dockerfile has no stage ${String(nameOrIndex)}`);
  return found;
}

/** COPY/ADD sources and destination (the last argument). */
export function copyParts(instruction: Instruction): { sources: string[]; dest: string } {
  const form = execForm(instruction.args);
  const parts = form ?? instruction.args.split(/\s+/);
  return { sources: parts.slice(0, -1), dest: parts.at(-1) ?? '' };
}
