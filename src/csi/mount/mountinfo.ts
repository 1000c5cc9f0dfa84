import { MountError } from './mount-error.js';

/** One line of /proc/self/mountinfo (proc(5)), with escapes decoded. */
export interface MountPoint {
  mountId: number;
  parentId: number;
  /** "major:minor" of the filesystem's device (st_dev), e.g. "7:0"; a bind of a device file shows devtmpfs's. */
  majorMinor: string;
  /** The directory of the filesystem that forms this mount's root ("/" unless a subdirectory or file was bind-mounted). */
  root: string;
  mountPoint: string;
  /** Per-mount options (rw|ro, nosuid, noatime, ...). */
  mountOptions: string[];
  /** True when the per-mount options say "ro". */
  readonly: boolean;
  /** Optional fields such as "shared:1" or "master:2". */
  optionalFields: string[];
  fsType: string;
  /** Mount source, e.g. "/dev/vdc"; "none" when the filesystem has none. */
  source: string;
  /** Per-superblock options. */
  superOptions: string[];
}

/** Decodes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash) in a mountinfo field. */
export function decodeMountInfoField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function splitOptions(field: string): string[] {
  return field === '' ? [] : decodeMountInfoField(field).split(',');
}

function malformed(lineNumber: number, what: string): MountError {
  return new MountError(
    'Internal',
    `cannot parse mountinfo line ${lineNumber}: ${what}; the mount table format is not the one proc(5) documents, report this with the line`,
  );
}

/**
 * Parses the text of /proc/<pid>/mountinfo into entries, in kernel order (later entries stack on earlier ones).
 * Throws MountError(Internal) on a malformed line: guessing could make a mounted path look unmounted.
 */
export function parseMountInfo(text: string): MountPoint[] {
  const entries: MountPoint[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    if (fields.length < 10 || separator < 0 || fields.length < separator + 4) {
      throw malformed(i + 1, 'too few fields or no "-" separator');
    }
    const [id, parent, devno, root, mountPoint, options] = fields;
    const majorMinorMatch = /^(\d+):(\d+)$/.exec(devno!);
    if (!/^\d+$/.test(id!) || !/^\d+$/.test(parent!) || majorMinorMatch === null) {
      throw malformed(i + 1, 'mount id, parent id or major:minor is not numeric');
    }
    const mountOptions = splitOptions(options!);
    entries.push({
      mountId: Number(id),
      parentId: Number(parent),
      majorMinor: devno!,
      root: decodeMountInfoField(root!),
      mountPoint: decodeMountInfoField(mountPoint!),
      mountOptions,
      readonly: mountOptions.includes('ro'),
      optionalFields: fields.slice(6, separator),
      fsType: decodeMountInfoField(fields[separator + 1]!),
      source: decodeMountInfoField(fields[separator + 2]!),
      superOptions: splitOptions(fields.slice(separator + 3).join(' ')),
    });
  }
  return entries;
}

/**
 * The topmost mount whose mount point is exactly `path`, or undefined. Stacked mounts are ordered by parent id
 * (the upper one's parent is the lower one), not by line order, which the kernel does not promise.
 */
export function topmostMountAt(entries: readonly MountPoint[], path: string): MountPoint | undefined {
  const here = entries.filter((entry) => entry.mountPoint === path);
  return here.find((candidate) => !here.some((other) => other.parentId === candidate.mountId)) ?? here.at(-1);
}
