import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointError, FileCheckpointer } from '../../../src/shared/checkpoint.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'checkpoint-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileCheckpointer', () => {
  it('loads undefined before the first save and the saved document after', async () => {
    const cp = new FileCheckpointer({ path: join(dir, 'state', 'state.json') });
    expect(await cp.load()).toBeUndefined();
    await cp.save({ a: 1, list: ['x'] });
    expect(await cp.load()).toEqual({ a: 1, list: ['x'] });
    await cp.save({ a: 2 });
    expect(await cp.load()).toEqual({ a: 2 });
    expect(await readdir(join(dir, 'state'))).toEqual(['state.json']);
  });

  it('leaves the old document when the process dies after writing the temp file', async () => {
    const path = join(dir, 'state.json');
    await new FileCheckpointer({ path }).save({ version: 'old' });
    const crashing = new FileCheckpointer({
      path,
      crashPoint: (step) => {
        if (step === 'temp-written') throw new Error('power cut');
      },
    });
    await expect(crashing.save({ version: 'new' })).rejects.toThrow('power cut');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 'old' });
    // the next daemon reads the old document and its first save removes the stale temp file
    const next = new FileCheckpointer({ path });
    expect(await next.load()).toEqual({ version: 'old' });
    await next.save({ version: 'newer' });
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('has the new document once the rename happened, even if the process dies right after', async () => {
    const path = join(dir, 'state.json');
    const crashing = new FileCheckpointer({
      path,
      crashPoint: (step) => {
        if (step === 'renamed') throw new Error('power cut');
      },
    });
    await expect(crashing.save({ version: 'new' })).rejects.toThrow('power cut');
    expect(await new FileCheckpointer({ path }).load()).toEqual({ version: 'new' });
  });

  it('fsyncs the directory only for a durable save; both kinds replace the document atomically', async () => {
    const path = join(dir, 'state.json');
    const steps: string[] = [];
    const cp = new FileCheckpointer({ path, crashPoint: (step) => steps.push(step) });
    await cp.save({ n: 1 });
    expect(steps).toEqual(['temp-written', 'renamed', 'dir-synced']);
    steps.length = 0;
    await cp.save({ n: 2 }, { durable: false });
    expect(steps).toEqual(['temp-written', 'renamed']);
    expect(await new FileCheckpointer({ path }).load()).toEqual({ n: 2 });
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('refuses a file that is not JSON, naming it and the way out', async () => {
    const path = join(dir, 'state.json');
    await writeFile(path, '{"half":');
    const err = await new FileCheckpointer({ path }).load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain('move it away');
  });

  it('reports a directory it cannot create as a CheckpointError', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const err = await new FileCheckpointer({ path: join(dir, 'file', 'state.json') }).save({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).code).toBe('CHECKPOINT_FAILED');
  });
});
