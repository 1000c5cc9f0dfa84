#!/usr/bin/env node
// The `hostnic` CNI plugin executable: the container runtime execs it once per pod verb. The only file that
// touches the process (env, stdin, stdout, exit); everything else is runSkel.
import { HttpDaemonClient } from './daemon-client.js';
import { runSkel } from './skel.js';

async function readStdin(): Promise<string | Error> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

// No top-level await: the shipped plugin is a CommonJS bundle (scripts/build-cni-plugin.mjs), which starts faster
// than an ES module because Node's ESM loader costs several milliseconds on every exec.
async function main(): Promise<void> {
  const command = process.env.CNI_COMMAND ?? '';
  // Without CNI_COMMAND a person ran the binary: do not wait on a terminal's stdin just to print the about text.
  const stdin = command === '' ? '' : await readStdin();
  const out = await runSkel({ env: process.env, stdin, connect: (options) => new HttpDaemonClient(options) });
  await write(process.stdout, out.stdout);
  await write(process.stderr, out.stderr);
  // Exit at once rather than when the event loop drains: the runtime waits on this process for every pod.
  process.exit(out.exitCode);
}

void main();
