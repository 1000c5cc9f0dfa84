import { SimEffectsError } from './real-effects-names.js';

/** One line of /proc/<pid>/mountinfo, reduced to what device matching needs. */
export interface MountinfoEntry {
  /** `major:minor` of the mounted device (field 3). */
  majorMinor: string;
  mountPoint: string;
  /** Mount source after the ` - ` separator (e.g. `/dev/loop3`). */
  source: string;
}

/** Undoes the octal escapes (`\040` for a space, …) the kernel writes in mountinfo paths. */
function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses mountinfo text (see proc(5)); malformed lines are skipped. */
export function parseMountinfo(text: string): MountinfoEntry[] {
  const entries: MountinfoEntry[] = [];
  for (const line of text.split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator < 0) continue;
    const before = line.slice(0, separator).split(' ');
    const after = line.slice(separator + 3).split(' ');
    const majorMinor = before[2];
    const mountPoint = before[4];
    const source = after[1];
    if (majorMinor === undefined || mountPoint === undefined || !/^[0-9]+:[0-9]+$/.test(majorMinor)) continue;
    entries.push({ majorMinor, mountPoint: unescapeMountinfo(mountPoint), source: unescapeMountinfo(source ?? '') });
  }
  return entries;
}

/**
 * Mount points of a block device: entries whose `major:minor` is the device's, or whose source is the device path
 * (btrfs and some others report an anonymous `0:N` device number, so the source is checked too).
 */
export function findDeviceMounts(mountinfo: string, device: { majorMinor: string; path: string }): string[] {
  return parseMountinfo(mountinfo)
    .filter((entry) => entry.majorMinor === device.majorMinor || entry.source === device.path)
    .map((entry) => entry.mountPoint);
}

/** A loop device and the file behind it. */
export interface LoopDevice {
  name: string;
  /** The backing file path, without the ` (deleted)` marker the kernel appends once the file is unlinked. */
  backFile: string;
}

function parseJson(text: string, what: string): unknown {
  const trimmed = text.trim();
  // losetup and `ip netns list` print nothing at all (not an empty array) when there is nothing to list.
  if (trimmed === '') return undefined;
  try {
    return JSON.parse(trimmed);
  } catch (err) {
    throw new SimEffectsError(
      'SIM_EFFECTS_FAILED',
      `could not parse the JSON output of ${what}: ${(err as Error).message}; check that iproute2 and util-linux are recent enough to print JSON`,
      { cause: err },
    );
  }
}

/** Parses `losetup --list --json` output. */
export function parseLosetupList(text: string): LoopDevice[] {
  const parsed = parseJson(text, 'losetup --list --json') as { loopdevices?: { name?: unknown; 'back-file'?: unknown }[] } | undefined;
  const devices: LoopDevice[] = [];
  for (const entry of parsed?.loopdevices ?? []) {
    if (typeof entry.name !== 'string') continue;
    const backFile = typeof entry['back-file'] === 'string' ? entry['back-file'].replace(/ \(deleted\)$/, '') : '';
    devices.push({ name: entry.name, backFile });
  }
  return devices;
}

/** A network link as `ip -json -details link show` reports it. */
export interface IpLink {
  ifname: string;
  /** Lower-case MAC address. */
  address: string;
  /** `veth`, `bridge`, … ; undefined for plain devices. */
  kind: string | undefined;
  /** Name of the bridge the link is enslaved to, if any. */
  master: string | undefined;
  up: boolean;
}

/** Parses `ip -json -details link show` output. */
export function parseIpLinks(text: string): IpLink[] {
  const parsed = parseJson(text, 'ip -json link show') as
    | { ifname?: unknown; address?: unknown; master?: unknown; flags?: unknown; linkinfo?: { info_kind?: unknown } }[]
    | undefined;
  const links: IpLink[] = [];
  for (const entry of parsed ?? []) {
    if (typeof entry.ifname !== 'string') continue;
    links.push({
      ifname: entry.ifname,
      address: typeof entry.address === 'string' ? entry.address.toLowerCase() : '',
      kind: typeof entry.linkinfo?.info_kind === 'string' ? entry.linkinfo.info_kind : undefined,
      master: typeof entry.master === 'string' ? entry.master : undefined,
      up: Array.isArray(entry.flags) && entry.flags.includes('UP'),
    });
  }
  return links;
}

/** Parses `ip -json netns list` output into namespace names. */
export function parseNetnsList(text: string): string[] {
  const parsed = parseJson(text, 'ip -json netns list') as { name?: unknown }[] | undefined;
  return (parsed ?? []).flatMap((entry) => (typeof entry.name === 'string' ? [entry.name] : []));
}
