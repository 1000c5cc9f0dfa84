// Keeps the operator docs honest: names the code registers, accepts or prints must be the names the docs use.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseDaemonConfig } from '../../../src/cni/daemon/config.js';
import { DaemonMetrics } from '../../../src/cni/daemon/metrics.js';
import { CSI_USAGE } from '../../../src/csi/cli.js';
import { CsiMetrics } from '../../../src/csi/metrics.js';
import { parseVolumeParams } from '../../../src/csi/params.js';
import type { Registry } from '../../../src/shared/prometheus.js';
import { INSTANCE_CLASSES, VOLUME_TYPES } from '../../../src/qingcloud/volume-types.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const read = (path: string): Promise<string> => readFile(join(ROOT, path), 'utf8');

/** The `name: '...'` fields of a metrics source file: the metrics it registers itself. */
function declaredMetricNames(source: string): string[] {
  return [...source.matchAll(/\bname:\s*'([a-z_:][a-z0-9_:]*)'/g)].map((m) => m[1]!);
}

/** Metric-looking words of a doc (`qingcloud_csi_*`, `hostnic_*`), with histogram series suffixes kept. */
function documentedMetricNames(doc: string): string[] {
  return [...new Set([...doc.matchAll(/\b(?:qingcloud_csi|hostnic)_[a-z0-9_]*[a-z0-9]\b/g)].map((m) => m[0]))];
}

/** Every `backticked` token of a doc. */
function codeSpans(doc: string): Set<string> {
  return new Set([...doc.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!.trim()));
}

interface RegisteredMetric {
  name: string;
  type: string;
}

async function registered(registry: Registry): Promise<RegisteredMetric[]> {
  return registry.list();
}

describe('docs/metrics.md', () => {
  const figures = (): { idle: number; assigned: number; inFlight: number; pods: number } => ({ idle: 0, assigned: 0, inFlight: 0, pods: 0 });

  it('names every metric the driver and the daemon declare, and only metrics they register', async () => {
    const declared = [...declaredMetricNames(await read('src/csi/metrics.ts')), ...declaredMetricNames(await read('src/cni/daemon/metrics.ts'))];
    expect(declared.length).toBeGreaterThanOrEqual(12);
    const csi = await registered(new CsiMetrics(() => 0).registry);
    const daemon = await registered(new DaemonMetrics(figures).registry);
    const all = new Map([...csi, ...daemon].map((m) => [m.name, m]));
    // the parsed declarations are what the classes really register (the rest are the process metrics)
    for (const name of declared) expect(all.has(name), `${name} is declared but not registered`).toBe(true);

    const doc = await read('docs/metrics.md');
    const spans = codeSpans(doc);
    const missing = [...all.keys()].filter((name) => !spans.has(name));
    expect(missing, 'registered metrics missing from docs/metrics.md').toEqual([]);

    const histograms = [...all.values()].filter((m) => m.type === 'histogram').map((m) => m.name);
    const unknown = documentedMetricNames(doc).filter((name) => {
      if (all.has(name)) return false;
      const base = name.replace(/_(bucket|sum|count)$/, '');
      return !histograms.includes(base);
    });
    expect(unknown, 'metric names in docs/metrics.md that no code registers').toEqual([]);
  });

  it('gives every metric the type the code registers it with', async () => {
    const all = [...(await registered(new CsiMetrics(() => 0).registry)), ...(await registered(new DaemonMetrics(figures).registry))];
    const doc = await read('docs/metrics.md');
    const wrong: string[] = [];
    for (const m of all) {
      const row = new RegExp(`^\\| \`${m.name}\` \\| (\\w+) \\|`, 'm').exec(doc);
      if (row?.[1] !== m.type) wrong.push(`${m.name}: documented ${row?.[1] ?? 'without a table row'}, registered ${m.type}`);
    }
    expect(wrong).toEqual([]);
  });

  it('documents the flag and keys that enable the metrics listeners', async () => {
    const doc = await read('docs/metrics.md');
    const csi = declaredMetricNames(await read('src/csi/metrics.ts'));
    expect(csi.every((n) => n.startsWith('qingcloud_csi_'))).toBe(true);
    for (const text of ['--metrics-address', 'metricsAddress', 'controller.metricsPort', 'node.metricsPort', 'metrics.enabled', 'metrics.port']) {
      expect(doc, text).toContain(text);
    }
  });
});

describe('qingcloud-csi flags', () => {
  it('every flag of CSI_USAGE appears in the docs or the README', async () => {
    const flags = [...new Set([...CSI_USAGE.matchAll(/--[a-z][a-z-]*[a-z]/g)].map((m) => m[0]))];
    expect(flags).toContain('--endpoint');
    const docsDir = join(ROOT, 'docs');
    const texts = [await read('README.md')];
    for (const file of await readdir(docsDir)) if (file.endsWith('.md')) texts.push(await readFile(join(docsDir, file), 'utf8'));
    const corpus = texts.join('\n');
    const missing = flags.filter((flag) => !new RegExp(`${flag}(?![a-z-])`).test(corpus));
    expect(missing).toEqual([]);
  });
});

describe('docs/hostnic.md', () => {
  it('documents every key of hostnic.sample.yaml, including the commented-out optional ones', async () => {
    const sample = await read('src/cni/daemon/hostnic.sample.yaml');
    const doc = codeSpans(await read('docs/hostnic.md'));
    const parsed = parseYaml(sample) as Record<string, unknown>;
    const keys: string[] = [];
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) keys.push(...Object.keys(value).map((k) => `${key}.${k}`));
      else keys.push(key);
    }
    const commented = [...sample.matchAll(/^#\s([a-z][A-Za-z]*):\s+\S+$/gm)].map((m) => m[1]!);
    expect(commented.length).toBeGreaterThanOrEqual(4);
    keys.push(...commented);
    expect(keys).toContain('pool.low');
    const missing = keys.filter((key) => !doc.has(key));
    expect(missing).toEqual([]);
  });

  it('documents every key the daemon config parser returns', async () => {
    const doc = codeSpans(await read('docs/hostnic.md'));
    const config = parseDaemonConfig('vxnets: [vxnet-abc12345]');
    const keys = Object.entries(config).flatMap(([key, value]) =>
      key === 'pool' ? Object.keys(value as object).map((k) => `pool.${k}`) : [key],
    );
    expect(keys.filter((key) => !doc.has(key))).toEqual([]);
  });

  it('documents every CNI error code the plugin can print', async () => {
    const types = await read('src/cni/types.ts');
    const block = /export const CNI_ERROR = \{([\s\S]*?)\} as const/.exec(types)?.[1] ?? '';
    const codes = [...block.matchAll(/^\s+(\w+): (\d+),/gm)].map((m) => ({ name: m[1]!, code: m[2]! }));
    expect(codes.length).toBeGreaterThanOrEqual(15);
    const doc = await read('docs/hostnic.md');
    const missing = codes.filter(({ name, code }) => !new RegExp(`^\\| ${code} \\| ${name} \\|`, 'm').test(doc)).map((c) => `${c.code} ${c.name}`);
    expect(missing).toEqual([]);
  });
});

describe('docs/storageclass.md', () => {
  it('documents every parameter parseVolumeParams accepts', async () => {
    const source = await read('src/csi/params.ts');
    const body = /export function parseVolumeParams[\s\S]*?\n\}/.exec(source)?.[0] ?? '';
    const accepted = [...body.matchAll(/case '([a-z]+)':/g)].map((m) => m[1]!);
    expect(accepted.length).toBeGreaterThanOrEqual(7);
    const catalog = { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES };
    // each label really is a parameter: a bad value is a value problem, not an unknown key
    for (const key of accepted) {
      expect(() => parseVolumeParams({ [key]: '?' }, catalog)).toThrow(/invalid StorageClass parameters/);
      expect(() => parseVolumeParams({ [key]: '?' }, catalog)).not.toThrow(/unknown parameter/);
    }
    expect(() => parseVolumeParams({ typo: '1' }, catalog)).toThrow(/unknown parameter/);

    const doc = await read('docs/storageclass.md');
    const spans = new Set([...codeSpans(doc)].map((s) => s.toLowerCase()));
    expect(accepted.filter((key) => !spans.has(key))).toEqual([]);
    expect(doc).toContain('csi.storage.k8s.io/');
  });

  it('shows the volume type table as the code has it', async () => {
    const doc = await read('docs/storageclass.md');
    const wrong = VOLUME_TYPES.filter(
      (t) => !doc.includes(`| \`${t.type}\` | ${t.name} | ${t.minSizeGiB} | ${t.maxSizeGiB} | ${t.stepGiB} |`),
    ).map((t) => t.type);
    expect(wrong).toEqual([]);
    const classes = INSTANCE_CLASSES.filter((c) => !doc.includes(`\`${c.name}\``) && !/^TPSC\d$/.test(c.name)).map((c) => c.name);
    expect(classes).toEqual([]);
  });
});
