import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SRC = join(ROOT, 'src');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Files allowed to start processes: the one CommandRunner adapter, and the bench/demo composition roots (spawn only). */
const EXEC_ADAPTER = 'src/shared/node-exec.ts';
const SPAWNERS = /^src\/(bench|demo)\//;

describe('no shell anywhere in src', () => {
  it('only the CommandRunner adapter and bench/demo import child_process, and nothing runs a shell', async () => {
    const files = await sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    const problems: string[] = [];
    for (const file of files) {
      const rel = relative(ROOT, file);
      const text = await readFile(file, 'utf8');
      // A type-only import loads nothing at run time (src/shared/reap.ts only names the ChildProcess type).
      const code = text.replace(/^import type [^;]*;$/gm, '');
      const imports = [...code.matchAll(/(?:from|import\()\s*['"](?:node:)?child_process['"]/g)];
      if (imports.length > 0 && rel !== EXEC_ADAPTER && !SPAWNERS.test(rel)) problems.push(`${rel} imports child_process`);
      if (/shell\s*:\s*true/.test(text)) problems.push(`${rel} sets shell: true`);
      if (/\bexecSync\s*\(|\bexecFileSync\s*\(|\bspawnSync\s*\(/.test(text)) problems.push(`${rel} uses a synchronous exec`);
      // child_process.exec and execSync always run a shell; execFile/spawn do not unless told to (shell: true, above).
      if (/\{[^}]*\bexec(Sync)?\b[^}]*\}\s*from\s*['"](?:node:)?child_process|child_process['"]\s*\)?\s*\.exec\b|\bchild_process\.exec\b/.test(text)) {
        problems.push(`${rel} imports exec from child_process`);
      }
      if (SPAWNERS.test(rel) && imports.length > 0) {
        // spawn(command, argv, options): the second argument is an array literal or an argv variable, never options.
        for (const m of text.matchAll(/\bspawn\s*\(([^,]+),\s*([^,)]+)/g)) {
          if (!/^(\[|[A-Za-z_$][\w$]*$)/.test(m[2]!.trim())) problems.push(`${rel} calls spawn(${m[1]}, ${m[2]}) without an argv array`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('the CommandRunner adapter uses execFile with shell: false', async () => {
    const text = await readFile(join(ROOT, EXEC_ADAPTER), 'utf8');
    expect(text).toMatch(/import \{ execFile \} from 'node:child_process'/);
    expect(text).toMatch(/shell:\s*false/);
  });
});
