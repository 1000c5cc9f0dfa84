import { describe, expect, it } from 'vitest';
import { StorageError, type Page, type StoredVolume } from '../../../src/csi/storage/block-storage.js';
import { VolumeNameIndex } from '../../../src/csi/volume-names.js';
import { silentLogger } from '../../../src/shared/log.js';
import { FakeBlockStorage } from '../../fakes/fake-block-storage.js';
import { ManualClock } from '../../fakes/manual-clock.js';

const spec = (name: string) => ({ name, sizeGiB: 20, type: 0, replica: 2 as const, tags: [] });

async function fill(storage: FakeBlockStorage, count: number): Promise<StoredVolume[]> {
  const made: StoredVolume[] = [];
  for (let i = 0; i < count; i++) made.push((await storage.createVolume(spec(`pvc-${i}`))).volume);
  return made;
}

describe('VolumeNameIndex', () => {
  it('answers a name it does not hold without asking the cloud, once the list is read', async () => {
    const storage = new FakeBlockStorage();
    await fill(storage, 3);
    const index = new VolumeNameIndex(storage, new ManualClock(), silentLogger());
    expect(await index.find('pvc-new')).toBeUndefined();
    expect(await index.find('pvc-other')).toBeUndefined();
    expect(storage.calls['listVolumes']).toBe(1);
    expect(storage.calls['findVolumeByName']).toBeUndefined();
    expect(storage.calls['getVolume']).toBeUndefined();
  });

  it('finds a volume an earlier controller created, re-reading it by id for its current state', async () => {
    const storage = new FakeBlockStorage();
    const [, second] = await fill(storage, 2);
    storage.volumes.get(second!.id)!.state = 'creating';
    const index = new VolumeNameIndex(storage, new ManualClock(), silentLogger());
    await expect(index.find('pvc-1')).resolves.toMatchObject({ id: second!.id, state: 'creating' });
    expect(storage.calls['getVolume']).toBe(1);
  });

  it('reads overlapping pages, so a volume deleted between two pages makes it skip no name', async () => {
    const storage = new FakeBlockStorage();
    const made = await fill(storage, 250);
    const list = storage.listVolumes.bind(storage);
    let pages = 0;
    // The cloud's list shifts left when a volume before the current offset is deleted between two page reads.
    storage.listVolumes = async (offset: number, limit: number): Promise<Page<StoredVolume>> => {
      const page = await list(offset, limit);
      pages += 1;
      if (pages === 1) storage.volumes.get(made[0]!.id)!.state = 'deleted';
      return page;
    };
    const index = new VolumeNameIndex(storage, new ManualClock(), silentLogger());
    await index.load();
    expect(index.size()).toBe(250);
    expect(await index.find('pvc-100')).toMatchObject({ id: made[100]!.id });
  });

  it('looks names up one by one while the list cannot be read, and reads it again 30 s later', async () => {
    const storage = new FakeBlockStorage();
    await fill(storage, 2);
    const clock = new ManualClock();
    const index = new VolumeNameIndex(storage, clock, silentLogger());
    storage.failNext.set('listVolumes', new StorageError('Busy', 'API throttled'));
    await expect(index.find('pvc-1')).resolves.toMatchObject({ name: 'pvc-1' });
    expect(await index.find('pvc-new')).toBeUndefined();
    expect(storage.calls['findVolumeByName']).toBe(2);
    expect(storage.calls['listVolumes']).toBe(1);
    await clock.advance(30_000);
    expect(await index.find('pvc-newer')).toBeUndefined();
    expect(storage.calls['listVolumes']).toBe(2);
    expect(storage.calls['findVolumeByName']).toBe(2);
  });

  it('sends a name several volumes share to the cloud, which answers the oldest', async () => {
    const storage = new FakeBlockStorage();
    await storage.createVolume(spec('pvc-twin'));
    const { volume: twin } = await storage.createVolume(spec('pvc-twin-2'));
    storage.volumes.get(twin.id)!.name = 'pvc-twin';
    const index = new VolumeNameIndex(storage, new ManualClock(), silentLogger());
    await expect(index.find('pvc-twin')).resolves.toMatchObject({ name: 'pvc-twin' });
    expect(storage.calls['findVolumeByName']).toBe(1);
  });

  it('forgets a deleted volume and answers its name as free', async () => {
    const storage = new FakeBlockStorage();
    const [volume] = await fill(storage, 1);
    const index = new VolumeNameIndex(storage, new ManualClock(), silentLogger());
    await index.load();
    index.forget(volume!.id);
    expect(await index.find('pvc-0')).toBeUndefined();
    index.remember('pvc-0', volume!.id);
    storage.volumes.get(volume!.id)!.state = 'deleted';
    expect(await index.find('pvc-0')).toBeUndefined();
    expect(index.size()).toBe(0);
  });
});
