// Renders the charts under charts/ without helm: builds test/support/helm-render (Go text/template + sprig, Helm's
// rendering rules) once per test file into a temp dir and parses its YAML stream the way Kubernetes reads manifests.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** Repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The fixtures directory of the chart tests. */
export const FIXTURES = join(REPO_ROOT, 'test/unit/charts/fixtures');
const HELPER_DIR = join(REPO_ROOT, 'test/support/helm-render');
const DEBIAN_GOPATH = '/usr/share/gocode';

/** One rendered Kubernetes object (as parsed; fields are checked by k8s-validate.ts). */
export type K8sObject = Record<string, any>;

/** A finished helm-render run. */
export interface RenderRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Options of one render. */
export interface RenderOptions {
  releaseName?: string;
  namespace?: string;
  notes?: boolean;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<RenderRun> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { env, cwd, maxBuffer: 32 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') {
        reject(new Error(`${command} could not run: ${err.message}`, { cause: err }));
        return;
      }
      resolve({ exitCode: err === null ? 0 : Number(err.code), stdout, stderr });
    });
  });
}

/** The helm-render binary built in a temp dir; call close() in afterAll to remove it. */
export class ChartRenderer {
  private constructor(
    private readonly dir: string,
    private readonly binary: string,
  ) {}

  /** Builds the Go helper (GOPATH mode against Debian's Go packages); throws with the fix when Go or sprig is missing. */
  static async build(): Promise<ChartRenderer> {
    if (!existsSync(join(DEBIAN_GOPATH, 'src/github.com/Masterminds/sprig'))) {
      throw new Error(
        'the chart tests need Go and sprig: apt-get install golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev golang-gopkg-yaml.v3-dev',
      );
    }
    const dir = await mkdtemp(join(tmpdir(), 'helm-render-'));
    const binary = join(dir, 'helm-render');
    const env = { ...process.env, GO111MODULE: 'off', GOPATH: `${dir}/gopath:${DEBIAN_GOPATH}`, GOCACHE: join(dir, 'cache'), GOFLAGS: '' };
    let result: RenderRun;
    try {
      result = await run('go', ['build', '-o', binary, 'main.go'], env, HELPER_DIR);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`building ${HELPER_DIR} failed: is golang-go installed? ${(err as Error).message}`, { cause: err });
    }
    if (result.exitCode !== 0) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`building ${HELPER_DIR} failed (exit ${result.exitCode}): ${result.stderr}`);
    }
    return new ChartRenderer(dir, binary);
  }

  /** Runs helm-render on charts/<chart> with the values files (later ones win); never throws on a template error. */
  async run(chart: string, valuesFiles: readonly string[] = [], options: RenderOptions = {}): Promise<RenderRun> {
    const args = ['--name', options.releaseName ?? 'qc', '--namespace', options.namespace ?? 'kube-system'];
    if (options.notes === true) args.push('--notes');
    args.push(join(REPO_ROOT, 'charts', chart), ...valuesFiles.map((f) => (f.startsWith('/') ? f : join(FIXTURES, f))));
    return run(this.binary, args, { PATH: process.env.PATH ?? '/usr/bin:/bin' });
  }

  /** Renders and parses the manifests; throws with helm-render's message when rendering fails. */
  async render(chart: string, valuesFiles: readonly string[] = [], options: RenderOptions = {}): Promise<K8sObject[]> {
    const result = await this.run(chart, valuesFiles, options);
    if (result.exitCode !== 0) throw new Error(`rendering chart ${chart} failed: ${result.stderr.trim()}`);
    return parseManifests(result.stdout);
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Parses a YAML stream of manifests as the API server's client (YAML 1.1: `0440` is octal) and drops empty
 * documents; throws on any YAML error.
 */
export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text, { version: '1.1' })) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`rendered document is not an object: ${JSON.stringify(value)}`);
    objects.push(value);
  }
  return objects;
}

/** The one object of `kind` (and `name`, when given); throws naming what was rendered otherwise. */
export function findOne(objects: readonly K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) {
    const have = objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ');
    throw new Error(`expected one ${kind}${name === undefined ? '' : ` named ${name}`}, found ${found.length} among ${have}`);
  }
  return found[0]!;
}

/** Containers of a workload's pod template: init containers first. */
export function podContainers(workload: K8sObject): K8sObject[] {
  const spec = workload.spec?.template?.spec ?? {};
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

/** The container named `name` in a workload. */
export function container(workload: K8sObject, name: string): K8sObject {
  const found = podContainers(workload).find((c) => c.name === name);
  if (found === undefined) throw new Error(`${workload.kind}/${workload.metadata?.name} has no container ${name}`);
  return found;
}

/** Value of `--flag=value` or `--flag value` in a container's args (undefined when absent). */
export function flagValue(c: K8sObject, flag: string): string | undefined {
  const args: string[] = (c.args ?? []).map(String);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
    if (arg === flag) return args[i + 1];
  }
  return undefined;
}

/** Where `mountName` is mounted in container `c` (undefined when it is not). */
export function mountPath(c: K8sObject, mountName: string): string | undefined {
  return (c.volumeMounts ?? []).find((m: K8sObject) => m.name === mountName)?.mountPath;
}

/** The pod volume named `name` of a workload. */
export function volume(workload: K8sObject, name: string): K8sObject {
  const found = (workload.spec?.template?.spec?.volumes ?? []).find((v: K8sObject) => v.name === name);
  if (found === undefined) throw new Error(`${workload.kind}/${workload.metadata?.name} has no volume ${name}`);
  return found;
}

/** The container path holding `path` (a file or socket) and the mount that provides it, by longest mountPath prefix. */
export function mountFor(c: K8sObject, path: string): { name: string; mountPath: string; rest: string } | undefined {
  let best: { name: string; mountPath: string; rest: string } | undefined;
  for (const m of c.volumeMounts ?? []) {
    const mp = String(m.mountPath).replace(/\/+$/, '');
    if ((path === mp || path.startsWith(`${mp}/`)) && (best === undefined || mp.length > best.mountPath.length)) {
      best = { name: m.name, mountPath: mp, rest: path.slice(mp.length) };
    }
  }
  return best;
}
