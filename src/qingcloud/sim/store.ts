import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { isErrno, messageOf } from '../../shared/errors.js';
import { SimStateFileError } from './errors.js';
import type { World } from './model.js';

const RECORD_KEYS = ['instances', 'vxnets', 'volumes', 'snapshots', 'nics', 'tags', 'jobs'] as const;

/** Reads the state file: undefined when it does not exist; SimStateFileError when it exists but is unusable. */
export async function loadWorld(path: string): Promise<World | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw new SimStateFileError(path, `cannot be read (${messageOf(err)})`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SimStateFileError(path, `is not valid JSON (${messageOf(err)})`, { cause: err });
  }
  const problem = worldProblem(parsed);
  if (problem !== undefined) throw new SimStateFileError(path, `is not a simulator state (${problem})`);
  return parsed as World;
}

/** Why `value` is not a World, or undefined; a shape check, deep enough to refuse foreign or truncated files. */
export function worldProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the top level is not an object';
  const w = value as Record<string, unknown>;
  if (w['format'] !== 1) return `format is ${JSON.stringify(w['format'])}, expected 1`;
  if (typeof w['zone'] !== 'string') return 'zone is missing';
  if (!Array.isArray(w['access_keys']) || w['access_keys'].length === 0) return 'access_keys is missing';
  if (!Array.isArray(w['tag_pairs'])) return 'tag_pairs is missing';
  if (typeof w['limits'] !== 'object' || w['limits'] === null) return 'limits is missing';
  for (const key of RECORD_KEYS) {
    const records = w[key];
    if (typeof records !== 'object' || records === null || Array.isArray(records)) return `${key} is not an object`;
  }
  return undefined;
}

/** Writes the state atomically (see writeFileAtomic). */
export async function saveWorld(path: string, world: World): Promise<void> {
  try {
    await writeFileAtomic(path, `${JSON.stringify(world, null, 1)}\n`);
  } catch (err) {
    throw new SimStateFileError(path, `cannot be written (${messageOf(err)})`, { cause: err });
  }
}

/**
 * Replaces `path` atomically: a temp file beside it, fsync, rename over it, fsync the directory. A crash leaves
 * either the old or the new file, never a torn one. Mode 0600 by default: state and client configs hold secret keys.
 */
export async function writeFileAtomic(path: string, text: string, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const handle = await open(temp, 'w', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
