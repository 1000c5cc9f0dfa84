#!/usr/bin/env node
// The `hostnic` CNI plugin executable: the container runtime execs it once per pod verb. The only file that
// touches the process (env, stdin, stdout, exit); everything else is runSkel.
import { readFileSync, writeSync } from 'node:fs';
import type { DaemonClient, DaemonClientOptions } from './daemon.js';
import { runSkel } from './skel.js';

// Start-up is paid on every pod verb, so this file avoids what VERSION does not need: stdin and stdout go through
// plain fd reads and writes (process.stdin/stdout on a pipe would load the net and stream stack), and the HTTP client
// (node:net, see http1.ts) is loaded only by a verb that calls the daemon.

async function readStdinStream(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readStdin(): Promise<string | Error> {
  try {
    try {
      return readFileSync(0, 'utf8');
    } catch (err) {
      // A non-blocking stdin (EAGAIN) is read the evented way.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      return await readStdinStream();
    }
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

function write(fd: 1 | 2, text: string): Promise<void> {
  let rest = Buffer.from(text, 'utf8');
  try {
    while (rest.length > 0) rest = rest.subarray(writeSync(fd, rest));
    return Promise.resolve();
  } catch (err) {
    // A non-blocking pipe that is full (EAGAIN): the stream waits for it to drain.
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return Promise.resolve();
    const stream = fd === 1 ? process.stdout : process.stderr;
    return new Promise((resolve) => stream.write(rest, () => resolve()));
  }
}

/** A DaemonClient that loads the HTTP client on its first call. */
function lazyDaemonClient(options: DaemonClientOptions): DaemonClient {
  let client: Promise<DaemonClient> | undefined;
  const get = (): Promise<DaemonClient> => (client ??= import('./daemon-client.js').then((m) => new m.HttpDaemonClient(options)));
  return {
    add: async (request) => (await get()).add(request),
    del: async (request) => (await get()).del(request),
    check: async (request) => (await get()).check(request),
    status: async () => (await get()).status(),
    gc: async (request) => (await get()).gc(request),
  };
}

// No top-level await: the shipped plugin is a CommonJS bundle (scripts/build-cni-plugin.mjs), which starts faster
// than an ES module because Node's ESM loader costs several milliseconds on every exec.
async function main(): Promise<void> {
  const command = process.env.CNI_COMMAND ?? '';
  // Without CNI_COMMAND a person ran the binary: do not wait on a terminal's stdin just to print the about text.
  const stdin = command === '' ? '' : await readStdin();
  const out = await runSkel({ env: process.env, stdin, connect: lazyDaemonClient });
  await write(1, out.stdout);
  await write(2, out.stderr);
  // Exit at once rather than when the event loop drains: the runtime waits on this process for every pod.
  process.exit(out.exitCode);
}

void main();
