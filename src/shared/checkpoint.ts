import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BaseError, isErrno, messageOf, type BaseErrorOptions } from './errors.js';

/** A checkpoint file could not be read, parsed or written; the message names the file and the next step. */
export class CheckpointError extends BaseError {
  constructor(
    readonly path: string,
    message: string,
    options?: BaseErrorOptions,
  ) {
    super('CHECKPOINT_FAILED', message, options);
  }
}

/** How durable one save must be. */
export interface SaveOptions {
  /**
   * Default true: the new document survives a power cut once save resolves. false: it survives a crash of the process
   * (any later load in this boot sees it) but a power cut may bring back the previous document, never a mix of both;
   * for records whose only readers after a reboot would find the state they describe undone by the reboot anyway.
   */
  durable?: boolean;
}

/** Persists one JSON document so that a crash at any moment leaves either the old or the new document. */
export interface Checkpointer {
  /** The last document saved, or undefined when none was ever saved. Throws CheckpointError when unreadable. */
  load(): Promise<unknown>;
  /** Replaces the document atomically. */
  save(doc: unknown, options?: SaveOptions): Promise<void>;
}

/** The steps of one save, in order; tests make one of them "crash" through FileCheckpointerOptions.crashPoint. */
export type CheckpointStep = 'temp-written' | 'renamed' | 'dir-synced';

/** Options of FileCheckpointer. */
export interface FileCheckpointerOptions {
  /** The document's file; its directory is created (mode 0700) on first save. */
  path: string;
  /** Test hook: called after each step of a save; throwing there simulates a crash at that step. */
  crashPoint?: (step: CheckpointStep) => void;
}

/**
 * Checkpointer over one JSON file: write a temp file in the same directory, fsync it, rename it over the file, fsync
 * the directory. rename(2) is atomic within a file system, so readers see the old or the new file, never a mix;
 * the fsyncs make the new content and the rename itself survive a power cut. A save that need not be durable skips
 * the directory's fsync only (the temp file's keeps a power cut from leaving a renamed file without its content).
 * Temp files a crash left behind are named `.<file>.<random>.tmp` and are removed by the next save.
 */
export class FileCheckpointer implements Checkpointer {
  readonly path: string;
  private readonly crashPoint: (step: CheckpointStep) => void;
  private swept = false;

  constructor(options: FileCheckpointerOptions) {
    this.path = options.path;
    this.crashPoint = options.crashPoint ?? (() => undefined);
  }

  async load(): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw new CheckpointError(this.path, `checkpoint ${this.path} could not be read: ${messageOf(err)}; check the file's permissions`, { cause: err });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new CheckpointError(
        this.path,
        `checkpoint ${this.path} is not valid JSON (${messageOf(err)}); it was not written by this program's atomic save: move it away to start from the cloud's state`,
        { cause: err },
      );
    }
  }

  async save(doc: unknown, options: SaveOptions = {}): Promise<void> {
    const dir = dirname(this.path);
    const name = basename(this.path);
    const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    const text = `${JSON.stringify(doc, null, 1)}\n`;
    await this.step(`create ${dir}`, () => mkdir(dir, { recursive: true, mode: 0o700 }));
    if (!this.swept) {
      await this.step(`remove stale temp files in ${dir}`, () => removeStaleTemps(dir, name));
      this.swept = true;
    }
    await this.step(`write ${temp}`, async () => {
      const file = await open(temp, 'w', 0o600);
      try {
        await file.writeFile(text, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
    }, temp);
    // A crash here leaves the temp file and the old document: exactly what a power cut would leave.
    this.crashPoint('temp-written');
    await this.step(`rename ${temp} to ${this.path}`, () => rename(temp, this.path), temp);
    this.crashPoint('renamed');
    if (options.durable === false) return;
    await this.step(`fsync ${dir}`, () => syncDir(dir));
    this.crashPoint('dir-synced');
  }

  private async step(what: string, fn: () => Promise<unknown>, temp?: string): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (temp !== undefined) await rm(temp, { force: true }).catch(() => undefined);
      throw new CheckpointError(this.path, `checkpoint ${this.path} could not be saved (${what}): ${messageOf(err)}; check free space and permissions`, { cause: err });
    }
  }
}

async function removeStaleTemps(dir: string, name: string): Promise<void> {
  const prefix = `.${name}.`;
  for (const entry of await readdir(dir)) {
    if (entry.startsWith(prefix) && entry.endsWith('.tmp')) await rm(join(dir, entry), { force: true });
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
