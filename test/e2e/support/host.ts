import { randomBytes } from 'node:crypto';
import { runChecked } from '../../../src/shared/exec.js';
import { NodeCommandRunner } from '../../../src/shared/node-exec.js';

/** True when the e2e tier can run (root: loop devices, mounts, namespaces). */
export const isRoot = process.getuid?.() === 0;

/** Prints a loud reason why a root-only file is skipped. */
export function warnSkip(file: string): void {
  if (!isRoot) console.warn(`!!! SKIPPING ${file}: it needs root (loop devices, mount, network namespaces) !!!`);
}

const runner = new NodeCommandRunner();

/** Runs a host tool with an argv array; throws with its stderr on a non-zero exit. */
export const sh = (command: string, args: string[]): Promise<string> => runChecked(runner, command, args);

/** A short random [a-z0-9] string for names that must not collide with parallel runs. */
export function randomSuffix(length = 6): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

/**
 * Reachability without ping: a TCP connect from inside a namespace. "refused" proves a round trip (the peer's kernel
 * answered with a RST); "timeout" or an unreachable error means there is no path.
 */
export async function tcpProbe(netns: string, host: string, port: number): Promise<string> {
  const script = `
    const socket = require('node:net').connect({ host: process.argv[1], port: Number(process.argv[2]) });
    const done = (text) => { console.log(text); socket.destroy(); process.exit(0); };
    socket.setTimeout(3000, () => done('timeout'));
    socket.on('data', (data) => done('data:' + data.toString()));
    socket.on('error', (err) => done(err.code === 'ECONNREFUSED' ? 'refused' : 'error:' + err.code));`;
  return (await sh('ip', ['netns', 'exec', netns, process.execPath, '-e', script, host, String(port)])).trim();
}

/** Loop devices whose backing file lies under `dir`. */
export async function loopsUnder(dir: string): Promise<string[]> {
  const out = await sh('losetup', ['--list', '--json']);
  if (out.trim() === '') return [];
  const parsed = JSON.parse(out) as { loopdevices: { name: string; 'back-file': string | null }[] };
  return parsed.loopdevices.filter((l) => (l['back-file'] ?? '').startsWith(dir)).map((l) => l.name);
}

/** Names of the network namespaces that exist now. */
export async function netnsNames(): Promise<string[]> {
  const out = await sh('ip', ['-json', 'netns', 'list']);
  return out.trim() === '' ? [] : (JSON.parse(out) as { name: string }[]).map((n) => n.name);
}
