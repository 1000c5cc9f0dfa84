import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** A compiled copy of the plugin in a temp dir; `remove` deletes it. */
export interface BuiltPlugin {
  dir: string;
  mainJs: string;
  remove(): Promise<void>;
}

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Compiles src/cni/plugin/main.ts and what it imports into a temp dir (not dist/, which others share), so the test
 * can exec the plugin the way the runtime does. The import graph is exactly what the emitted tree holds.
 */
export async function buildPlugin(): Promise<BuiltPlugin> {
  const dir = await mkdtemp(join(tmpdir(), 'hostnic-plugin-'));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const program = ts.createProgram([join(REPO, 'src/cni/plugin/main.ts')], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2023.d.ts'],
      types: ['node'],
      typeRoots: [join(REPO, 'node_modules/@types')],
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      rootDir: join(REPO, 'src'),
      outDir: dir,
    });
    const diagnostics = [...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics];
    if (diagnostics.length > 0) {
      throw new Error(`compiling the hostnic plugin failed:\n${ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => REPO, getNewLine: () => '\n' })}`);
    }
    // The emitted .js files are ES modules; without this Node would load them as CommonJS.
    await writeFile(join(dir, 'package.json'), '{"type":"module"}\n');
    return { dir, mainJs: join(dir, 'cni/plugin/main.js'), remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
