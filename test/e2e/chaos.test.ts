import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { distEntry } from '../support/dist.js';
import { isRoot, warnSkip } from './support/host.js';

warnSkip('test/e2e/chaos.test.ts');

// `npm run chaos` at its default size: PVC lifecycles while the cloud misbehaves and the CSI processes are killed.
describe.skipIf(!isRoot)('chaos run (default size)', () => {
  it('completes every lifecycle with nothing leaked, duplicated, left on the host or corrupted', async () => {
    const child = spawn(process.execPath, [distEntry('chaos/main.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    console.log(out);
    expect(out).toContain('volumes leaked in the cloud');
    expect(out).not.toContain('FAIL');
    expect(code).toBe(0);
  }, 600_000);
});
