import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../src/shared/log.js';
import { serveMetrics } from '../../../src/shared/metrics-http.js';
import { registerProcessMetrics } from '../../../src/shared/process-metrics.js';
import { Counter, Gauge, Histogram, MetricError, Registry } from '../../../src/shared/prometheus.js';

/** `name{labels}` → value of every sample line of a scrape. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    const raw = line.slice(at + 1);
    out.set(line.slice(0, at), raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw));
  }
  return out;
}

describe('Registry', () => {
  it('serves the text format 0.0.4 content type and lists what is registered with its type', () => {
    const registry = new Registry();
    new Counter({ name: 'c_total', help: 'c', registry });
    new Gauge({ name: 'g', help: 'g', registry });
    new Histogram({ name: 'h_seconds', help: 'h', buckets: [1], registry });
    expect(registry.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(registry.list()).toEqual([
      { name: 'c_total', type: 'counter' },
      { name: 'g', type: 'gauge' },
      { name: 'h_seconds', type: 'histogram' },
    ]);
  });

  it('refuses a second metric with a registered name, naming it', () => {
    const registry = new Registry();
    new Counter({ name: 'jobs_total', help: 'jobs', registry });
    expect(() => new Gauge({ name: 'jobs_total', help: 'other', registry })).toThrow(MetricError);
    expect(() => new Gauge({ name: 'jobs_total', help: 'other', registry })).toThrow(/jobs_total is already registered/);
    expect(registry.list()).toEqual([{ name: 'jobs_total', type: 'counter' }]);
  });

  it('runs collects one at a time in registration order', async () => {
    const registry = new Registry();
    const events: string[] = [];
    for (const name of ['a', 'b']) {
      new Gauge({
        name,
        help: name,
        registry,
        async collect() {
          events.push(`${name} start`);
          await new Promise((resolve) => setImmediate(resolve));
          events.push(`${name} end`);
        },
      });
    }
    await registry.metrics();
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end']);
  });

  it('renders nothing for an empty registry', async () => {
    await expect(new Registry().metrics()).resolves.toBe('');
  });

  it('rejects metrics() naming the metric whose async collect failed', async () => {
    const registry = new Registry();
    new Counter({ name: 'ok_total', help: 'fine', registry });
    new Gauge({
      name: 'broken',
      help: 'fails',
      registry,
      async collect() {
        await Promise.resolve();
        throw new Error('figures unavailable');
      },
    });
    await expect(registry.metrics()).rejects.toThrow('collecting metric broken failed: figures unavailable');
  });

  it('rejects metrics() when a collect throws synchronously', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'broken',
      help: 'fails',
      registry,
      collect() {
        throw new Error('boom');
      },
    });
    await expect(registry.metrics()).rejects.toBeInstanceOf(MetricError);
  });

  it('lets metrics-http answer 500 when collecting fails, and 200 with the text otherwise', async () => {
    const registry = new Registry();
    let fail = true;
    new Gauge({
      name: 'flaky',
      help: 'fails on demand',
      registry,
      async collect() {
        if (fail) throw new Error('figures unavailable');
        this.set(1);
      },
    });
    const server = await serveMetrics(registry, '127.0.0.1', 0, silentLogger());
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
      const failed = await fetch(url);
      expect(failed.status).toBe(500);
      expect(await failed.text()).toBe('collecting metrics failed\n');
      fail = false;
      const ok = await fetch(url);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe(registry.contentType);
      expect(await ok.text()).toContain('flaky 1\n');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('Counter', () => {
  it('renders a zero series before the first increment, then the sum of increments', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'jobs_total', help: 'Jobs done', registry });
    expect(await registry.metrics()).toBe('# HELP jobs_total Jobs done\n# TYPE jobs_total counter\njobs_total 0\n');
    counter.inc();
    counter.inc(2.5);
    expect(await registry.metrics()).toBe('# HELP jobs_total Jobs done\n# TYPE jobs_total counter\njobs_total 3.5\n');
  });

  it('renders labelled series only for label sets used, in first-use order, labels in declared order', async () => {
    const registry = new Registry();
    const counter = new Counter<'method' | 'code'>({ name: 'rpc_total', help: 'RPCs', labelNames: ['method', 'code'], registry });
    expect(await registry.metrics()).toBe('# HELP rpc_total RPCs\n# TYPE rpc_total counter\n');
    counter.inc({ code: 'OK', method: 'CreateVolume' });
    counter.inc({ method: 'DeleteVolume', code: 'NOT_FOUND' }, 2);
    counter.inc({ method: 'CreateVolume', code: 'OK' });
    expect(await registry.metrics()).toBe(
      [
        '# HELP rpc_total RPCs',
        '# TYPE rpc_total counter',
        'rpc_total{method="CreateVolume",code="OK"} 2',
        'rpc_total{method="DeleteVolume",code="NOT_FOUND"} 2',
        '',
      ].join('\n'),
    );
  });

  it('refuses negative and non-finite increments and keeps its value', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'jobs_total', help: 'Jobs done', registry });
    counter.inc(1);
    expect(() => counter.inc(-1)).toThrow(/counter jobs_total cannot be increased by -1/);
    expect(() => counter.inc(NaN)).toThrow(MetricError);
    expect(() => counter.inc(Infinity)).toThrow(MetricError);
    expect(samples(await registry.metrics()).get('jobs_total')).toBe(1);
  });
});

describe('Gauge', () => {
  it('calls collect at every scrape with the gauge as this, and renders what it set', async () => {
    const registry = new Registry();
    let pods = 3;
    let calls = 0;
    new Gauge({
      name: 'pods',
      help: 'Pods here',
      registry,
      collect() {
        calls++;
        this.set(pods);
      },
    });
    expect(calls).toBe(0);
    expect(await registry.metrics()).toBe('# HELP pods Pods here\n# TYPE pods gauge\npods 3\n');
    pods = 1;
    expect(await registry.metrics()).toBe('# HELP pods Pods here\n# TYPE pods gauge\npods 1\n');
    expect(calls).toBe(2);
  });

  it('sets, increases and decreases labelled series independently', async () => {
    const registry = new Registry();
    const gauge = new Gauge<'state'>({ name: 'nics', help: 'NICs', labelNames: ['state'], registry });
    gauge.set({ state: 'idle' }, 4);
    gauge.inc({ state: 'assigned' });
    gauge.inc({ state: 'assigned' }, 2);
    gauge.dec({ state: 'idle' });
    gauge.dec({ state: 'idle' }, 0.5);
    expect(await registry.metrics()).toBe('# HELP nics NICs\n# TYPE nics gauge\nnics{state="idle"} 2.5\nnics{state="assigned"} 3\n');
  });

  it('refuses a value that is not a number, naming the gauge (a collect that hands over undefined)', () => {
    const gauge = new Gauge({ name: 'pods', help: 'Pods' });
    expect(() => gauge.set(undefined as unknown as number)).toThrow(/gauge pods cannot be set to undefined/);
  });

  it('renders infinities and NaN as Prometheus parses them', async () => {
    const registry = new Registry();
    const gauge = new Gauge<'v'>({ name: 'odd', help: 'odd values', labelNames: ['v'], registry });
    gauge.set({ v: 'pos' }, Infinity);
    gauge.set({ v: 'neg' }, -Infinity);
    gauge.set({ v: 'nan' }, NaN);
    gauge.set({ v: 'small' }, 1e-7);
    const text = await registry.metrics();
    expect(text).toContain('odd{v="pos"} +Inf\n');
    expect(text).toContain('odd{v="neg"} -Inf\n');
    expect(text).toContain('odd{v="nan"} NaN\n');
    expect(text).toContain('odd{v="small"} 1e-7\n');
  });
});

describe('Histogram', () => {
  it('renders cumulative buckets up to +Inf with sum and count per label set, bounds sorted', async () => {
    const registry = new Registry();
    const histogram = new Histogram<'verb'>({ name: 'verb_seconds', help: 'Verb time', labelNames: ['verb'], buckets: [1, 0.1, 5], registry });
    histogram.observe({ verb: 'add' }, 0.05);
    histogram.observe({ verb: 'add' }, 0.1); // a bound is inclusive: le="0.1"
    histogram.observe({ verb: 'add' }, 3);
    histogram.observe({ verb: 'add' }, 7);
    histogram.observe({ verb: 'del' }, 0.5);
    expect(await registry.metrics()).toBe(
      [
        '# HELP verb_seconds Verb time',
        '# TYPE verb_seconds histogram',
        'verb_seconds_bucket{verb="add",le="0.1"} 2',
        'verb_seconds_bucket{verb="add",le="1"} 2',
        'verb_seconds_bucket{verb="add",le="5"} 3',
        'verb_seconds_bucket{verb="add",le="+Inf"} 4',
        'verb_seconds_sum{verb="add"} 10.15',
        'verb_seconds_count{verb="add"} 4',
        'verb_seconds_bucket{verb="del",le="0.1"} 0',
        'verb_seconds_bucket{verb="del",le="1"} 1',
        'verb_seconds_bucket{verb="del",le="5"} 1',
        'verb_seconds_bucket{verb="del",le="+Inf"} 1',
        'verb_seconds_sum{verb="del"} 0.5',
        'verb_seconds_count{verb="del"} 1',
        '',
      ].join('\n'),
    );
  });

  it('renders a zero series for an unlabelled histogram before the first observation', async () => {
    const registry = new Registry();
    new Histogram({ name: 'wait_seconds', help: 'Wait', buckets: [0.5], registry });
    expect(await registry.metrics()).toBe(
      '# HELP wait_seconds Wait\n# TYPE wait_seconds histogram\nwait_seconds_bucket{le="0.5"} 0\nwait_seconds_bucket{le="+Inf"} 0\nwait_seconds_sum 0\nwait_seconds_count 0\n',
    );
  });

  it('refuses non-finite or repeated bucket bounds, an le label and non-finite observations', () => {
    expect(() => new Histogram({ name: 'h', help: 'h', buckets: [1, Infinity] })).toThrow(/histogram h: bucket bound Infinity is not a finite number/);
    expect(() => new Histogram({ name: 'h', help: 'h', buckets: [1, NaN] })).toThrow(MetricError);
    expect(() => new Histogram({ name: 'h', help: 'h', buckets: [2, 1, 2] })).toThrow(/bucket bound 2 is listed twice/);
    expect(() => new Histogram<'le'>({ name: 'h', help: 'h', labelNames: ['le'], buckets: [1] })).toThrow(/label name "le" is reserved/);
    const histogram = new Histogram({ name: 'h', help: 'h', buckets: [1] });
    expect(() => histogram.observe(NaN)).toThrow(/histogram h cannot observe NaN/);
  });
});

describe('text format', () => {
  it('escapes backslash and newline in HELP, and backslash, quote and newline in label values', async () => {
    const registry = new Registry();
    const counter = new Counter<'path'>({ name: 'odd_total', help: 'a \\ b\nc "quoted"', labelNames: ['path'], registry });
    counter.inc({ path: 'C:\\dir\n"x"' });
    expect(await registry.metrics()).toBe('# HELP odd_total a \\\\ b\\nc "quoted"\n# TYPE odd_total counter\nodd_total{path="C:\\\\dir\\n\\"x\\""} 1\n');
  });
});

describe('label validation', () => {
  const counter = (): Counter<'method' | 'code'> => new Counter({ name: 'rpc_total', help: 'RPCs', labelNames: ['method', 'code'] });

  it('refuses an undeclared label, naming the metric, the label and the declared ones', () => {
    expect(() => counter().inc({ method: 'A', code: 'OK', node: 'n1' } as never)).toThrow('metric rpc_total has no label "node" (its labels: method, code); pass only those');
  });

  it('refuses a missing label, naming the metric and the label', () => {
    expect(() => counter().inc({ method: 'A' } as never)).toThrow('metric rpc_total needs label "code" (its labels: method, code); pass a value for each');
    expect(() => counter().inc()).toThrow(/needs label "method"/);
  });

  it('refuses labels on an unlabelled metric', () => {
    const gauge = new Gauge({ name: 'pods', help: 'Pods' });
    expect(() => gauge.set({ node: 'n1' } as never, 1)).toThrow('metric pods has no label "node" (its labels: none); pass only those');
  });

  it('refuses invalid metric and label names and a label declared twice', () => {
    expect(() => new Counter({ name: '1bad', help: 'x' })).toThrow(/metric name "1bad" is not a Prometheus name/);
    expect(() => new Counter({ name: 'ok_total', help: 'x', labelNames: ['bad-label'] })).toThrow(/label name "bad-label"/);
    expect(() => new Counter({ name: 'ok_total', help: 'x', labelNames: ['__reserved'] })).toThrow(/label name "__reserved"/);
    expect(() => new Counter({ name: 'ok_total', help: 'x', labelNames: ['a', 'a'] })).toThrow(/label "a" is declared twice/);
  });
});

describe('registerProcessMetrics', () => {
  it('registers the documented process figures with the prefix, with plausible values', async () => {
    const registry = new Registry();
    registerProcessMetrics(registry, 'test_');
    const names = registry.list().map((m) => m.name);
    expect(names.every((n) => n.startsWith('test_'))).toBe(true);
    const timer = setTimeout(() => undefined, 60_000);
    const first = samples(await registry.metrics());
    // burn a little CPU so the counters have something to count
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
    expect(x).toBeGreaterThan(0);
    const second = samples(await registry.metrics());
    clearTimeout(timer);

    for (const name of ['cpu_user_seconds_total', 'cpu_system_seconds_total', 'cpu_seconds_total']) {
      const before = first.get(`test_process_${name}`)!;
      expect(before, name).toBeGreaterThanOrEqual(0);
      expect(second.get(`test_process_${name}`)!, name).toBeGreaterThanOrEqual(before);
    }
    expect(second.get('test_process_cpu_seconds_total')!).toBeGreaterThan(first.get('test_process_cpu_seconds_total')!);
    const start = second.get('test_process_start_time_seconds')!;
    expect(start).toBeLessThanOrEqual(Date.now() / 1000);
    expect(start).toBeGreaterThan(Date.now() / 1000 - process.uptime() - 5);
    expect(second.get('test_process_resident_memory_bytes')!).toBeGreaterThan(0);
    expect(second.get('test_process_virtual_memory_bytes')!).toBeGreaterThanOrEqual(second.get('test_process_resident_memory_bytes')!);
    expect(second.get('test_process_heap_bytes')!).toBeGreaterThan(0);
    expect(second.get('test_process_open_fds')!).toBeGreaterThan(2);
    expect(second.get('test_process_max_fds')!).toBeGreaterThanOrEqual(second.get('test_process_open_fds')!);
    expect(second.get('test_nodejs_heap_size_total_bytes')!).toBeGreaterThanOrEqual(second.get('test_nodejs_heap_size_used_bytes')!);
    expect(second.get('test_nodejs_heap_size_used_bytes')!).toBeGreaterThan(0);
    expect(second.get('test_nodejs_external_memory_bytes')!).toBeGreaterThan(0);
    const lag = second.get('test_nodejs_eventloop_lag_seconds')!;
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(5);
    expect(second.get('test_nodejs_active_resources{type="Timeout"}')!).toBeGreaterThanOrEqual(1);
    expect(second.get('test_nodejs_active_resources_total')!).toBeGreaterThanOrEqual(second.get('test_nodejs_active_resources{type="Timeout"}')!);
    const [major, minor, patch] = process.versions.node.split('.');
    expect(second.get(`test_nodejs_version_info{version="${process.version}",major="${major}",minor="${minor}",patch="${patch}"}`)).toBe(1);
  });

  it('leaves the /proc figures without samples where /proc cannot be read, and the scrape still succeeds', async () => {
    const missing = (): Promise<never> => Promise.reject(Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' }));
    vi.resetModules();
    vi.doMock('node:fs/promises', () => ({ readFile: missing, readdir: missing }));
    try {
      const { registerProcessMetrics: register } = await import('../../../src/shared/process-metrics.js');
      const registry = new Registry();
      register(registry);
      const text = await registry.metrics();
      for (const name of ['process_resident_memory_bytes', 'process_virtual_memory_bytes', 'process_heap_bytes', 'process_open_fds', 'process_max_fds']) {
        expect(text, name).toContain(`# TYPE ${name} gauge\n`);
        expect(samples(text).has(name), name).toBe(false);
      }
      expect(samples(text).get('process_cpu_seconds_total')).toBeGreaterThan(0);
    } finally {
      vi.doUnmock('node:fs/promises');
      vi.resetModules();
    }
  });

  it('leaves the heap figures without samples when process.memoryUsage throws (descriptors exhausted), and the scrape still succeeds', async () => {
    const spy = vi.spyOn(process, 'memoryUsage').mockImplementation(() => {
      throw Object.assign(new Error('EMFILE: too many open files, uv_resident_set_memory'), { code: 'EMFILE' });
    });
    try {
      const registry = new Registry();
      registerProcessMetrics(registry);
      const text = await registry.metrics();
      expect(samples(text).has('nodejs_heap_size_used_bytes')).toBe(false);
      expect(samples(text).get('process_open_fds')).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
  });

  it('registers the process families unprefixed when no prefix is given', () => {
    const registry = new Registry();
    registerProcessMetrics(registry);
    expect(registry.list()).toEqual([
      { name: 'process_cpu_user_seconds_total', type: 'counter' },
      { name: 'process_cpu_system_seconds_total', type: 'counter' },
      { name: 'process_cpu_seconds_total', type: 'counter' },
      { name: 'process_start_time_seconds', type: 'gauge' },
      { name: 'process_resident_memory_bytes', type: 'gauge' },
      { name: 'process_virtual_memory_bytes', type: 'gauge' },
      { name: 'process_heap_bytes', type: 'gauge' },
      { name: 'process_open_fds', type: 'gauge' },
      { name: 'process_max_fds', type: 'gauge' },
      { name: 'nodejs_heap_size_total_bytes', type: 'gauge' },
      { name: 'nodejs_heap_size_used_bytes', type: 'gauge' },
      { name: 'nodejs_external_memory_bytes', type: 'gauge' },
      { name: 'nodejs_eventloop_lag_seconds', type: 'gauge' },
      { name: 'nodejs_active_resources', type: 'gauge' },
      { name: 'nodejs_active_resources_total', type: 'gauge' },
      { name: 'nodejs_version_info', type: 'gauge' },
    ]);
  });
});
