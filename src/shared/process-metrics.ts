import { readdir, readFile } from 'node:fs/promises';
import type { Collector, MetricType, Registry, Sample } from './prometheus.js';

/** A family whose samples are all read at scrape time; `read` answers undefined when the figure is unavailable. */
class ReadAtScrape implements Collector {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    private readonly read: () => readonly Sample[] | number | undefined | Promise<readonly Sample[] | number | undefined>,
  ) {}

  async collect(): Promise<readonly Sample[]> {
    let figure;
    try {
      figure = await this.read();
    } catch {
      // best effort, like the /proc reads: process.memoryUsage() throws EMFILE when descriptors run out, and that
      // scrape must still carry process_open_fds and the driver's own metrics
      return [];
    }
    if (figure === undefined) return [];
    return typeof figure === 'number' ? [{ labels: {}, value: figure }] : figure;
  }
}

/**
 * A /proc file's text, undefined where it cannot be read (no /proc outside Linux): these figures are best effort, and
 * a scrape must not lose the driver's own metrics over them.
 */
function readProc(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

/** The `<field>: <n> kB` line of /proc/self/status, in bytes. */
function statusBytes(status: string | undefined, field: string): number | undefined {
  const m = status === undefined ? null : new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return m === null ? undefined : Number(m[1]) * 1024;
}

/** Seconds until a setImmediate callback runs: how long work already queued holds the event loop now. */
async function eventLoopLag(): Promise<number> {
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve) => setImmediate(resolve));
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Registers CPU, memory, file descriptor, event loop and Node.js version figures of this process, names prefixed with
 * `prefix`. Everything is read at scrape time: no timer or observer runs in between.
 */
export function registerProcessMetrics(registry: Registry, prefix = ''): void {
  const startSeconds = Math.round(Date.now() - process.uptime() * 1000) / 1000;
  const [major, minor, patch] = process.versions.node.split('.');
  const add = (name: string, help: string, type: MetricType, read: ConstructorParameters<typeof ReadAtScrape>[3]): void =>
    registry.register(new ReadAtScrape(`${prefix}${name}`, help, type, read));

  add('process_cpu_user_seconds_total', 'User CPU time spent in seconds', 'counter', () => process.cpuUsage().user / 1e6);
  add('process_cpu_system_seconds_total', 'System CPU time spent in seconds', 'counter', () => process.cpuUsage().system / 1e6);
  add('process_cpu_seconds_total', 'User and system CPU time spent in seconds', 'counter', () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  });
  add('process_start_time_seconds', 'Start time of the process since the Unix epoch in seconds', 'gauge', () => startSeconds);
  add('process_resident_memory_bytes', 'Resident memory size in bytes', 'gauge', async () => statusBytes(await readProc('/proc/self/status'), 'VmRSS'));
  add('process_virtual_memory_bytes', 'Virtual memory size in bytes', 'gauge', async () => statusBytes(await readProc('/proc/self/status'), 'VmSize'));
  add('process_heap_bytes', 'Process heap (data segment) size in bytes', 'gauge', async () => statusBytes(await readProc('/proc/self/status'), 'VmData'));
  add('process_open_fds', 'Number of open file descriptors', 'gauge', async () => {
    const entries = await readdir('/proc/self/fd').catch(() => undefined);
    // listing the directory holds one descriptor of its own, which is not the process's
    return entries === undefined ? undefined : entries.length - 1;
  });
  add('process_max_fds', 'Maximum number of open file descriptors (soft limit)', 'gauge', async () => {
    const m = /^Max open files\s+(\d+)/m.exec((await readProc('/proc/self/limits')) ?? '');
    return m === null ? undefined : Number(m[1]);
  });
  add('nodejs_heap_size_total_bytes', 'V8 heap size in bytes', 'gauge', () => process.memoryUsage().heapTotal);
  add('nodejs_heap_size_used_bytes', 'V8 heap used in bytes', 'gauge', () => process.memoryUsage().heapUsed);
  add('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects in bytes', 'gauge', () => process.memoryUsage().external);
  add('nodejs_eventloop_lag_seconds', 'Event loop lag in seconds, measured at scrape', 'gauge', eventLoopLag);
  add('nodejs_active_resources', 'Resources keeping the event loop alive, by type', 'gauge', () => {
    const byType = new Map<string, number>();
    for (const type of process.getActiveResourcesInfo()) byType.set(type, (byType.get(type) ?? 0) + 1);
    return [...byType].map(([type, n]) => ({ labels: { type }, value: n }));
  });
  add('nodejs_active_resources_total', 'Number of resources keeping the event loop alive', 'gauge', () => process.getActiveResourcesInfo().length);
  add('nodejs_version_info', 'Node.js version', 'gauge', () => [{ labels: { version: process.version, major: major!, minor: minor!, patch: patch! }, value: 1 }]);
}
