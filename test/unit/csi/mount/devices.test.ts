import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../../src/shared/clock.js';
import { DeviceResolver, validateVolumeId, type DeviceLookupFs } from '../../../../src/csi/mount/devices.js';
import { MountError } from '../../../../src/csi/mount/mount-error.js';

/** A clock whose sleeps return at once and move time forward by the slept amount. */
class SteppingClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private time = 1_000_000) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.sleeps.push(ms);
    this.time += ms;
  }
}

/** An in-memory view of /dev links, block devices and sysfs files. */
class FakeLookupFs implements DeviceLookupFs {
  links = new Map<string, string>();
  blockDevices = new Set<string>();
  files = new Map<string, string>();
  realpathCalls = 0;
  /** The link appears after this many realpath calls. */
  appearAfter = 0;

  async realpath(path: string): Promise<string | undefined> {
    this.realpathCalls += 1;
    if (this.realpathCalls <= this.appearAfter) return undefined;
    return this.links.get(path);
  }
  async readText(path: string): Promise<string | undefined> {
    return this.files.get(path);
  }
  async isBlockDevice(path: string): Promise<boolean> {
    return this.blockDevices.has(path);
  }
}

const VOL = 'vol-abcd1234';
const LINK = `/dev/disk/by-id/virtio-${VOL}`;

function setup(init: (fs: FakeLookupFs) => void = () => undefined, allowUnverifiableDevices = false) {
  const fs = new FakeLookupFs();
  fs.links.set(LINK, '/dev/vdc');
  fs.blockDevices.add('/dev/vdc');
  init(fs);
  const clock = new SteppingClock();
  const resolver = new DeviceResolver({ clock, fs, allowUnverifiableDevices });
  return { fs, clock, resolver };
}

async function rejection(promise: Promise<unknown>): Promise<MountError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof MountError) return err;
    throw err;
  }
  throw new Error('expected a MountError, but the call succeeded');
}

describe('DeviceResolver', () => {
  it('resolves the by-id link and accepts a device whose virtio serial is the volume id', async () => {
    const { resolver } = setup((fs) => fs.files.set('/sys/class/block/vdc/serial', `${VOL}\n`));
    await expect(resolver.resolve(VOL)).resolves.toEqual({ volumeId: VOL, linkPath: LINK, devicePath: '/dev/vdc', identity: 'virtio-serial' });
  });

  it('refuses a device whose serial names another volume, naming both', async () => {
    const { resolver } = setup((fs) => fs.files.set('/sys/class/block/vdc/serial', 'vol-zzzz9999'));
    const err = await rejection(resolver.resolve(VOL));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toMatch(/\/dev\/vdc whose serial is "vol-zzzz9999", not volume vol-abcd1234/);
  });

  it('accepts a loop device whose backing file is named after the volume (the simulator)', async () => {
    const { resolver } = setup((fs) => {
      fs.links.set(LINK, '/dev/loop7');
      fs.blockDevices.add('/dev/loop7');
      fs.files.set('/sys/class/block/loop7/loop/backing_file', `/var/lib/sim/volumes/${VOL}.img\n`);
    });
    await expect(resolver.resolve(VOL)).resolves.toMatchObject({ devicePath: '/dev/loop7', identity: 'loop-backing-file' });
  });

  it('accepts a loop device whose backing file was deleted after attach', async () => {
    const { resolver } = setup((fs) => fs.files.set('/sys/class/block/vdc/loop/backing_file', `/tmp/${VOL} (deleted)\n`));
    await expect(resolver.resolve(VOL)).resolves.toMatchObject({ identity: 'loop-backing-file' });
  });

  it.each(['vol-abcd12345.img', 'vol-zzzz9999.img', 'other.img'])('refuses a loop device backed by %s', async (file) => {
    const { resolver } = setup((fs) => fs.files.set('/sys/class/block/vdc/loop/backing_file', `/tmp/${file}`));
    const err = await rejection(resolver.resolve(VOL));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toContain(`backed by "${file}", not volume ${VOL}`);
  });

  it('refuses a device it cannot verify unless configured to allow that', async () => {
    const strict = setup();
    const err = await rejection(strict.resolver.resolve(VOL));
    expect(err.kind).toBe('FailedPrecondition');
    expect(err.message).toMatch(/cannot verify that \/dev\/vdc .* is volume vol-abcd1234/);
    const lax = setup(() => undefined, true);
    await expect(lax.resolver.resolve(VOL)).resolves.toMatchObject({ identity: 'unverified' });
  });

  it('waits for the link to appear, polling with growing intervals on the injected clock', async () => {
    const { resolver, clock, fs } = setup((f) => {
      f.files.set('/sys/class/block/vdc/serial', VOL);
      f.appearAfter = 4;
    });
    await expect(resolver.resolve(VOL)).resolves.toMatchObject({ devicePath: '/dev/vdc' });
    expect(fs.realpathCalls).toBe(5);
    expect(clock.sleeps).toEqual([100, 200, 400, 800]);
  });

  it('gives up after the wait timeout with Busy and asks whether the volume is attached', async () => {
    const { resolver, clock, fs } = setup((f) => f.links.clear());
    const err = await rejection(resolver.resolve(VOL));
    expect(err.kind).toBe('Busy');
    expect(err.message).toMatch(/virtio-vol-abcd1234 for volume vol-abcd1234 did not appear within 10000 ms; is the volume attached to this node\?/);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(fs.realpathCalls).toBeGreaterThan(5);
  });

  it('looks only once when asked not to wait', async () => {
    const { resolver, clock, fs } = setup((f) => f.links.clear());
    expect((await rejection(resolver.resolve(VOL, { waitTimeoutMs: 0 }))).kind).toBe('Busy');
    expect(fs.realpathCalls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('stops waiting when the signal aborts', async () => {
    const { resolver } = setup((f) => f.links.clear());
    const reason = new Error('request cancelled');
    await expect(resolver.resolve(VOL, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('refuses a link that resolves to something that is not a block device under /dev', async () => {
    const outside = setup((fs) => fs.links.set(LINK, '/tmp/evil'));
    expect((await rejection(outside.resolver.resolve(VOL))).message).toMatch(/resolves to \/tmp\/evil, which is not a device under \/dev/);
    const notBlock = setup((fs) => fs.blockDevices.clear());
    expect((await rejection(notBlock.resolver.resolve(VOL))).message).toMatch(/which is not a block device/);
  });

  it('uses the configured device directory', async () => {
    const fs = new FakeLookupFs();
    fs.links.set(`/run/sim/i-1/by-id/virtio-${VOL}`, '/dev/vdc');
    fs.blockDevices.add('/dev/vdc');
    fs.files.set('/sys/class/block/vdc/serial', VOL);
    const resolver = new DeviceResolver({ clock: new SteppingClock(), fs, deviceDir: '/run/sim/i-1/by-id' });
    await expect(resolver.resolve(VOL)).resolves.toMatchObject({ linkPath: `/run/sim/i-1/by-id/virtio-${VOL}` });
  });

  it('wraps a failing filesystem read as Internal naming the path', async () => {
    const fs = new FakeLookupFs();
    fs.realpath = async () => Promise.reject(Object.assign(new Error('EACCES'), { code: 'EACCES' }));
    const err = await rejection(new DeviceResolver({ clock: new SteppingClock(), fs }).resolve(VOL));
    expect(err.kind).toBe('Internal');
    expect(err.message).toContain(LINK);
  });
});

describe('validateVolumeId', () => {
  it.each(['vol-abcd1234', 'vol-00000000'])('accepts %s', (id) => {
    expect(() => validateVolumeId(id)).not.toThrow();
  });

  it.each(['vol-ABCD1234', 'vol-abc', 'vol-abcd12345', '../vol-abcd1234', 'vol-abcd123/', ''])('rejects "%s" as InvalidArgument', (id) => {
    expect(() => validateVolumeId(id)).toThrow(/is not a QingCloud volume id/);
  });
});
