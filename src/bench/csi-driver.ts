import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { credentials, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import path from 'node:path';
import { killWithParent } from '../shared/reap.js';
import { findPackageRoot } from '../csi/proto.js';
import { loadCsiPackage } from '../csi/proto-package.js';

/** A qingcloud-csi process started from dist/, and gRPC clients on its socket. */
export interface DriverProcess {
  child: ChildProcess;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- responses are read field by field in the benches
  call<T = any>(service: 'identity' | 'controller' | 'node', method: string, request: object, deadlineMs?: number): Promise<T>;
  /** Resident set size now and at peak, from /proc. */
  rss(): Promise<{ rssKiB: number; peakKiB: number }>;
  stop(): Promise<void>;
}

/**
 * How the image runs the driver: the bundled entry point with V8 tuned for a small, steady heap, and no JIT: the driver
 * waits on the cloud and its JS is never hot, while the compilers' code and zones cost ~8-10 MiB RSS. --jitless also
 * removes WebAssembly, which nothing in the driver uses; --no-expose-wasm says so, silencing V8's warning about it.
 * --expose-gc lets the driver's HeapGuard bound its garbage (src/shared/heap-guard.ts).
 */
export const SHIPPED_NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size', '--jitless', '--no-expose-wasm', '--expose-gc'];

/** Which build of the driver to start: the bundle the image ships (default) or tsc's per-file output. */
export type DriverBuild = 'bundle' | 'modules';

/** Starts the driver with the given flags and waits until Probe answers. */
/** Options of startDriver. */
export interface StartDriverOptions {
  /** How long to wait for the socket (default 20 s). */
  readyTimeoutMs?: number;
  /** Return as soon as the server answers, ready or not (a restarted container the sidecars retry against). */
  upIsEnough?: boolean;
}

export async function startDriver(socketPath: string, flags: string[], build: DriverBuild = 'bundle', options: StartDriverOptions = {}): Promise<DriverProcess> {
  const root = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
  const entry = path.join(root, 'dist', build === 'bundle' ? 'bundle/qingcloud-csi.mjs' : 'csi/main.js');
  const nodeFlags = build === 'bundle' ? SHIPPED_NODE_FLAGS : [];
  const child = spawn(process.execPath, [...nodeFlags, entry, '--endpoint', `unix://${socketPath}`, ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
  killWithParent(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const pkg = loadCsiPackage();
  const target = `unix://${socketPath}`;
  const clients: Record<string, Client> = {
    identity: new pkg.clients.identity(target, credentials.createInsecure()),
    controller: new pkg.clients.controller(target, credentials.createInsecure()),
    node: new pkg.clients.node(target, credentials.createInsecure()),
  };
  const call = <T>(service: string, method: string, request: object, deadlineMs = 120_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const client = clients[service] as unknown as Record<string, (...args: unknown[]) => void>;
      client[method]!.call(client, request, new Metadata(), { deadline: Date.now() + deadlineMs }, (err: ServiceError | null, res: T) =>
        err ? reject(err) : resolve(res),
      );
    });
  // Up = the socket answers Probe with anything but "unreachable" (a driver whose cloud is throttled is up, not ready).
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`qingcloud-csi exited with ${child.exitCode ?? child.signalCode}: ${stderr}`);
    try {
      await call('identity', 'Probe', {}, 1_000);
      break;
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (options.upIsEnough === true && code !== undefined && code !== 14 && code !== 4) break;
      if (Date.now() > deadline) {
        for (const c of Object.values(clients)) c.close();
        child.kill('SIGKILL');
        throw new Error(`qingcloud-csi did not become ready: ${(err as Error).message}; stderr: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    child,
    call,
    rss: async () => {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      return { rssKiB: kib('VmRSS'), peakKiB: kib('VmHWM') };
    },
    stop: async () => {
      for (const c of Object.values(clients)) c.close();
      // A child killed by a signal has exitCode null and signalCode set: it is gone all the same.
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}
