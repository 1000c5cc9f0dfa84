import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { distEntry } from '../support/dist.js';
import { isRoot } from './support/host.js';

// `npm start` as a person runs it: the whole demo, with real effects as root and its skip notes otherwise.
describe('the demo (npm start)', () => {
  it('runs the storage lifecycle and the two-pod network end to end and prints a summary', async () => {
    const child = spawn(process.execPath, [distEntry('demo/main.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(out, out).toContain('== Summary:');
    expect(out).not.toContain('✗');
    expect(code).toBe(0);
    expect(out).toContain('CreateVolume pvc-demo');
    if (isRoot) {
      expect(out).toContain('the new pod reads hello.txt — "hello from a QingCloud volume"');
      expect(out).toMatch(/web-a sends "hello from web-a" to web-b .* echoed "hello from web-a"/);
    } else {
      expect(out).toContain('skipped');
    }
  }, 300_000);
});
