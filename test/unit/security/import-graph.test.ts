import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Relative module specifiers of a file (static imports, re-exports, dynamic imports), type-only ones included. */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
}

/** Every src file `entry` reaches through relative imports (`x.js` → `x.ts`), and the packages it imports. */
async function transitiveImports(entry: string): Promise<{ files: string[]; packages: string[] }> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [resolve(ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/\bfrom\s*['"]([^./'"][^'"]*)['"]/g)) packages.add(m[1]!);
    for (const spec of specifiers(text)) {
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (!existsSync(target)) throw new Error(`${relative(ROOT, file)} imports ${spec}, which does not resolve to a .ts file`);
      queue.push(target);
    }
  }
  return { files: [...seen].map((f) => relative(ROOT, f)).sort(), packages: [...packages].sort() };
}

describe('paths that need no cloud credentials cannot reach the SDK', () => {
  it('the CSI node service (stage, publish, unpublish, unstage) imports nothing under src/qingcloud', async () => {
    const { files } = await transitiveImports('src/csi/node.ts');
    expect(files).toContain('src/csi/mount/paths.ts');
    expect(files.filter((f) => f.startsWith('src/qingcloud/'))).toEqual([]);
  });

  it('the exec\'d CNI plugin imports nothing under src/qingcloud, and only node built-ins as packages', async () => {
    const { files, packages } = await transitiveImports('src/cni/plugin/main.ts');
    expect(files).toContain('src/cni/plugin/skel.ts');
    expect(files.filter((f) => f.startsWith('src/qingcloud/') || f.startsWith('src/cni/daemon/') || f.startsWith('src/csi/'))).toEqual([]);
    expect(packages.filter((p) => !p.startsWith('node:'))).toEqual([]);
  });
});
