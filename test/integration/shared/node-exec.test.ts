import { describe, expect, it } from 'vitest';
import { NodeCommandRunner } from '../../../src/shared/node-exec.js';

describe('NodeCommandRunner', () => {
  const runner = new NodeCommandRunner();

  it('writes the input to stdin and closes it', async () => {
    await expect(runner.run('cat', [], { input: 'one\ntwo\n' })).resolves.toEqual({ stdout: 'one\ntwo\n', stderr: '', exitCode: 0 });
  });

  it('starts the process at once and writes a promised input when it resolves', async () => {
    let give!: (text: string) => void;
    const run = runner.run('cat', [], { input: new Promise<string>((resolve) => (give = resolve)) });
    await new Promise((resolve) => setImmediate(resolve));
    give('late input');
    await expect(run).resolves.toMatchObject({ stdout: 'late input', exitCode: 0 });
  });

  it('closes stdin with nothing written when the promised input is rejected', async () => {
    await expect(runner.run('cat', [], { input: Promise.reject(new Error('changed our mind')) })).resolves.toEqual({ stdout: '', stderr: '', exitCode: 0 });
  });

  it('reports the exit of a child that never reads its input, without the broken pipe ending this process', async () => {
    // More than a pipe holds: the write is still pending when the child exits, so it fails with EPIPE.
    const input = 'x'.repeat(4 * 1024 * 1024);
    await expect(runner.run('sh', ['-c', 'exit 3'], { input })).resolves.toMatchObject({ exitCode: 3 });
    await expect(runner.run('sh', ['-c', 'exit 4'], { input: Promise.resolve(input) })).resolves.toMatchObject({ exitCode: 4 });
  });
});
