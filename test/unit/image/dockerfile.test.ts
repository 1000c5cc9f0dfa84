import { SHIPPED_NODE_FLAGS } from '../../../src/bench/csi-driver.js';
import { DAEMON_BUNDLE_NODE_FLAGS } from '../../../src/demo/network-lab.js';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { distEntry } from '../../support/dist.js';
import { copyParts, execForm, parseDockerfile, stage, substitute, type Instruction, type Stage } from './dockerfile.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const finalStage = dockerfile.stages.at(-1)!;
const APP_DIR = '/app';

const runs = (s: Stage): string[] => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const copies = (s: Stage): Instruction[] => s.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
/** Shell commands of a stage's RUN lines, split at && and ;. */
const commands = (s: Stage): string[] => runs(s).flatMap((r) => r.split(/&&|;/).map((c) => c.trim().replace(/\s+/g, ' ')));

/** The image's commands on PATH: /usr/local/bin/<name> → what it runs. */
function imageCommands(): Map<string, string> {
  const found = new Map<string, string>();
  for (const run of runs(finalStage)) {
    for (const m of run.matchAll(/printf '([^']*)' > \/usr\/local\/bin\/([\w-]+)/g)) found.set(m[2]!, m[1]!.replace(/\\n/g, '\n'));
  }
  for (const c of copies(finalStage)) {
    const { sources, dest } = copyParts(c);
    if (dest.startsWith('/usr/local/bin/')) found.set(dest.slice('/usr/local/bin/'.length), `COPY ${c.flags.from ?? 'context'}:${sources.join(' ')}`);
  }
  return found;
}

/** Bare package names an ES module graph under dist/ imports, following relative imports. */
function bareImports(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    // Statement-level imports and re-exports (tsc writes one per line, braces may span lines) and import('x').
    const pattern = /^\s*(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
    for (const m of text.matchAll(pattern)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!existsSync(target)) throw new Error(`${file} imports ${spec}, which does not exist in dist/`);
        queue.push(target);
      } else {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!packages.has(name)) packages.set(name, file);
      }
    }
  }
  return packages;
}

const isBuiltin = (name: string): boolean => name.startsWith('node:') || builtinModules.includes(name);

describe('Dockerfile', () => {
  it('takes the base image and the Node version as build args (a -slim base by default)', () => {
    expect(dockerfile.globalArgs.NODE_VERSION).toBe('20');
    expect(dockerfile.globalArgs.BASE).toMatch(/-slim$/);
    for (const s of dockerfile.stages) {
      expect(s.from, `stage ${s.index}`).toContain('${NODE_VERSION}');
      expect(s.from, `stage ${s.index}`).toContain('${BASE}');
      expect(s.image, `stage ${s.index}`).toBe(`node:20-${dockerfile.globalArgs.BASE}`);
    }
    expect(substitute('node:${NODE_VERSION}-${BASE}', { NODE_VERSION: '22', BASE: 'trixie-slim' })).toBe('node:22-trixie-slim');
  });

  it('builds in a stage with dev dependencies and installs production dependencies in another', () => {
    const build = commands(stage(dockerfile, 'build'));
    expect(build.some((c) => /^npm ci\b/.test(c) && !c.includes('--omit=dev'))).toBe(true);
    expect(build).toContain('npm run build');
    expect(build.some((c) => c.startsWith('node scripts/build-cni-sea.mjs'))).toBe(true);
    const deps = commands(stage(dockerfile, 'prod-deps'));
    expect(deps.some((c) => /^npm ci\b.*--omit=dev/.test(c))).toBe(true);
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(3);
    expect(finalStage.name).toBeUndefined();
  });

  it('ships only build output and production dependencies in the final stage', () => {
    const cps = copies(finalStage);
    const from = (stageName: string, source: string): boolean => cps.some((c) => c.flags.from === stageName && copyParts(c).sources.includes(source));
    expect(from('prod-deps', '/src/node_modules')).toBe(true);
    expect(from('build', '/src/dist')).toBe(true);
    expect(from('build', '/src/proto')).toBe(true);
    expect(from('build', '/src/package.json')).toBe(true);
    // node_modules only from the production install, nothing from the build context (no sources, no tests).
    for (const c of cps) {
      expect(c.flags.from, `line ${c.line} copies from the build context`).toBeDefined();
      if (copyParts(c).sources.some((s) => s.includes('node_modules'))) expect(c.flags.from).toBe('prod-deps');
    }
    const steps = commands(finalStage);
    expect(steps.filter((c) => /\b(npm|yarn|pnpm) (ci|install|i|add)\b/.test(c))).toEqual([]);
    expect(finalStage.instructions.filter((i) => i.keyword === 'WORKDIR').map((i) => i.args)).toContain(APP_DIR);
  });

  it('installs the host tools the node plugins exec, without recommends, and cleans the apt lists', () => {
    const install = runs(finalStage).find((r) => r.includes('apt-get install'));
    expect(install).toBeDefined();
    expect(install).toContain('apt-get update');
    expect(install).toContain('--no-install-recommends');
    const installed = /apt-get install ([^&;]+)/.exec(install!)![1]!.split(/\s+/).filter((w) => w !== '' && !w.startsWith('-'));
    expect(installed).toEqual(expect.arrayContaining(['e2fsprogs', 'xfsprogs', 'util-linux', 'mount', 'iproute2', 'iptables']));
    // Cleaned in the same layer, or the lists stay in the image.
    expect(install).toContain('rm -rf /var/lib/apt/lists/*');
    for (const s of dockerfile.stages.slice(0, -1)) expect(runs(s).some((r) => r.includes('apt-get install')), `stage ${s.name}`).toBe(false);
  });

  it('provides every entry point on PATH, each running a file the build produces', () => {
    const cmds = imageCommands();
    expect([...cmds.keys()].sort()).toEqual(['hostnic', 'hostnic-daemon', 'qingcloud-csi', 'qingcloud-sim']);
    // The image runs exactly the builds and V8 flags the benchmarks measure.
    expect(cmds.get('qingcloud-csi')).toContain(`exec node ${SHIPPED_NODE_FLAGS.join(' ')} ${APP_DIR}/dist/bundle/qingcloud-csi.mjs "$@"`);
    expect(cmds.get('hostnic-daemon')).toContain(`exec node ${DAEMON_BUNDLE_NODE_FLAGS.join(' ')} ${APP_DIR}/dist/bundle/hostnic-daemon.mjs "$@"`);
    expect(cmds.get('qingcloud-sim')).toContain(`${APP_DIR}/dist/qingcloud/sim/main.js`);
    for (const [name, body] of cmds) {
      for (const m of body.matchAll(new RegExp(`${APP_DIR}/(dist/\\S+?)(?=["\\s]|$)`, 'g'))) {
        expect(() => distEntry(m[1]!.slice('dist/'.length)), `${name} runs ${m[1]}`).not.toThrow();
      }
    }
    // The CNI plugin is the single executable the build stage writes with --out.
    const sea = commands(stage(dockerfile, 'build')).find((c) => c.startsWith('node scripts/build-cni-sea.mjs'))!;
    const out = /--out (\S+)/.exec(sea)![1]!;
    expect(cmds.get('hostnic')).toBe(`COPY build:${out}`);
    expect(existsSync(join(ROOT, 'scripts/build-cni-sea.mjs'))).toBe(true);
    expect(() => distEntry('cni/plugin/main.js')).not.toThrow();
  });

  it('runs as a non-root user by default and names a command the image has', () => {
    const users = finalStage.instructions.filter((i) => i.keyword === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.args.split(':')[0]!;
    expect(['0', 'root']).not.toContain(user);
    const cmd = finalStage.instructions.filter((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT').at(-1);
    expect(cmd).toBeDefined();
    const argv = execForm(cmd!.args);
    expect(argv, 'exec form, so signals reach the process').toBeDefined();
    expect(imageCommands().has(argv![0]!)).toBe(true);
  });

  it('sends only what the build stage copies into the build context', () => {
    const rules = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    // This check understands the allow-list form only: `*` then `!path` lines.
    expect(rules[0]).toBe('*');
    const allowed = rules.slice(1).map((r) => {
      expect(r.startsWith('!'), `unsupported .dockerignore rule ${r}`).toBe(true);
      return r.slice(1).replace(/\/$/, '');
    });
    for (const s of dockerfile.stages) {
      for (const c of copies(s).filter((i) => i.flags.from === undefined)) {
        for (const source of copyParts(c).sources) {
          const path = source.replace(/^\.\//, '').replace(/\/$/, '');
          expect(allowed.some((a) => path === a || path.startsWith(`${a}/`)), `${source} (line ${c.line}) is ignored by .dockerignore`).toBe(true);
          expect(existsSync(join(ROOT, path)), `${source} exists`).toBe(true);
        }
      }
    }
    expect(allowed).not.toContain('node_modules');
    expect(allowed).not.toContain('dist');
  });

  it('installs in production every package the shipped entry points import', () => {
    const entries = ['csi/main.js', 'cni/daemon/main.js', 'qingcloud/sim/main.js', 'cni/plugin/main.js'].map((e) => distEntry(e));
    const missing: string[] = [];
    for (const entry of entries) {
      for (const [name, file] of bareImports(entry)) {
        if (isBuiltin(name)) continue;
        if (pkg.dependencies[name] === undefined) missing.push(`${name} (imported by ${file.slice(ROOT.length)}${pkg.devDependencies[name] === undefined ? '' : '; only a devDependency'})`);
      }
    }
    expect(missing).toEqual([]);
    // The walk reaches the packages (not only the entry files).
    expect([...bareImports(distEntry('csi/main.js')).keys()]).toEqual(expect.arrayContaining(['protobufjs', 'yaml', 'pino']));
    // The bundle carries its dependencies: the bundler marks nothing external.
    expect(readFileSync(join(ROOT, 'scripts/bundle.mjs'), 'utf8')).not.toMatch(/\bexternal\b|packages\s*:/);
  });

  it('keeps the CNI plugin on node built-ins, since its single executable carries no node_modules', () => {
    const packages = [...bareImports(distEntry('cni/plugin/main.js')).keys()];
    expect(packages.length).toBeGreaterThan(0);
    expect(packages.filter((p) => !isBuiltin(p))).toEqual([]);
  });
});

describe('the Dockerfile parser', () => {
  it('joins continuation lines, reads flags, stage names and build args', () => {
    const file = parseDockerfile(
      ['# syntax=docker/dockerfile:1', 'ARG V=1', 'ARG B', 'FROM img:${V}-${B:-x} AS one', 'RUN a \\', '  # comment', ' && b', 'FROM two', 'COPY --from=one --chown=1:1 /a /b /c/', 'CMD ["x", "y"]'].join('\n'),
    );
    expect(file.globalArgs).toEqual({ V: '1', B: undefined });
    expect(file.stages.map((s) => [s.name, s.image])).toEqual([
      ['one', 'img:1-x'],
      [undefined, 'two'],
    ]);
    expect(file.stages[0]!.instructions[0]).toMatchObject({ keyword: 'RUN', args: 'a  && b', line: 5 });
    const cp = file.stages[1]!.instructions[0]!;
    expect(cp.flags).toEqual({ from: 'one', chown: '1:1' });
    expect(copyParts(cp)).toEqual({ sources: ['/a', '/b'], dest: '/c/' });
    expect(execForm(file.stages[1]!.instructions[1]!.args)).toEqual(['x', 'y']);
    expect(execForm('x y')).toBeUndefined();
  });

  it('refuses an instruction before the first FROM', () => {
    expect(() => parseDockerfile('RUN x\nFROM y')).toThrow(/before the first FROM/);
  });
});
