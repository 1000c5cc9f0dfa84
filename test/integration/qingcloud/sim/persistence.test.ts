import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../../../src/qingcloud/sim/index.js';
import { call, finishedJob, ok, rawRequest, RecordingEffects, SimPool, tempDir } from './helpers.js';

const pool = new SimPool();
let dir = '';
let removeDir: () => Promise<void> = async () => undefined;

beforeEach(async () => {
  ({ dir, remove: removeDir } = await tempDir());
});
afterEach(async () => {
  await pool.stopAll();
  await removeDir();
});

describe('state file', () => {
  it('keeps every resource across a restart with the same file', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await pool.start({ stateFile });
    const volumeId = ((await ok(first, 'CreateVolumes', { size: 20, volume_name: 'keep' }))['volumes'] as string[])[0] ?? '';
    await first.settled();
    await finishedJob(first, (await ok(first, 'AttachVolumes', { volumes: [volumeId], instance: 'i-sim00003' }))['job_id'] as string);
    const nicId = ((await ok(first, 'CreateNics', { vxnet: 'vxnet-sim0001' }))['nics'] as { nic_id: string }[])[0]?.nic_id ?? '';
    const tagId = (await ok(first, 'CreateTag', { tag_name: 'persist' }))['tag_id'] as string;
    const before = first.world();
    await first.stop();
    expect((await stat(stateFile)).mode & 0o777).toBe(0o600);

    const second = await pool.start({ stateFile, random: 7 });
    expect(second.world()).toEqual(before);
    expect((await ok(second, 'DescribeVolumes', { volumes: [volumeId] }))['volume_set'][0]).toMatchObject({ status: 'in-use', volume_name: 'keep' });
    expect((await ok(second, 'DescribeNics', { nics: [nicId] }))['total_count']).toBe(1);
    expect((await ok(second, 'DescribeTags', { tags: [tagId] }))['total_count']).toBe(1);
  });

  it('finishes jobs a crash left running: effects restored, the pending effect applied, job successful', async () => {
    const blocked = new RecordingEffects();
    const crashed = await pool.start({ effects: blocked });
    const volumeId = ((await ok(crashed, 'CreateVolumes', { size: 20 }))['volumes'] as string[])[0] ?? '';
    await crashed.settled();
    const gate = blocked.block('attachVolume');
    const jobId = (await ok(crashed, 'AttachVolumes', { volumes: [volumeId], instance: 'i-sim00001' }))['job_id'] as string;
    // What the state file holds at the moment of a crash: the job unfinished, the volume attaching.
    const stateFile = join(dir, 'crashed.json');
    await writeFile(stateFile, JSON.stringify(crashed.world()));
    gate.open();

    const effects = new RecordingEffects();
    const restarted = await pool.start({ stateFile, effects });
    expect(effects.methods()).toEqual(['restore', 'attachVolume']);
    const job = (await ok(restarted, 'DescribeJobs', { jobs: [jobId] }))['job_set'][0];
    expect(job['status']).toBe('successful');
    expect((await ok(restarted, 'DescribeVolumes', { volumes: [volumeId] }))['volume_set'][0]).toMatchObject({ status: 'in-use', transition_status: '' });
    const persisted = JSON.parse(await readFile(stateFile, 'utf8')) as { jobs: Record<string, { status: string }> };
    expect(persisted.jobs[jobId]?.status).toBe('successful');
  });

  it('refuses a corrupt state file with an error naming the file, and leaves the file alone', async () => {
    const stateFile = join(dir, 'corrupt.json');
    for (const content of ['{"format":1,"zone":', '[]', '{"format":2}', '']) {
      await writeFile(stateFile, content);
      await expect(startSimulator({ stateFile })).rejects.toThrow(stateFile);
      expect(await readFile(stateFile, 'utf8')).toBe(content);
    }
  });

  it('never lets garbage requests touch the state file', async () => {
    const stateFile = join(dir, 'state.json');
    const sim = await pool.start({ stateFile });
    await ok(sim, 'CreateTag', { tag_name: 'before' });
    await sim.stop();
    const saved = await readFile(stateFile, 'utf8');
    const again = await pool.start({ stateFile });
    await rawRequest(again, '/iaas/', { method: 'POST', body: 'action=CreateTag&tag_name=x&zone=sim1a' });
    await call(again, 'CreateVolumes', { size: 'NaN' });
    await call(again, 'DeleteVolumes', { volumes: ['vol-00000000'] });
    await again.stop();
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toEqual(JSON.parse(saved));
  });

  it('settles running jobs on stop, flushes them, and calls effects.cleanup only with cleanup', async () => {
    const stateFile = join(dir, 'state.json');
    const effects = new RecordingEffects();
    const sim = await pool.start({ stateFile, effects, jobLatencyMs: 600_000 });
    const created = await ok(sim, 'CreateVolumes', { size: 20 });
    await sim.stop({ cleanup: true });
    expect(effects.methods()).toEqual(['restore', 'createVolume', 'cleanup']);
    const persisted = JSON.parse(await readFile(stateFile, 'utf8')) as { jobs: Record<string, { status: string }> };
    expect(persisted.jobs[created['job_id'] as string]?.status).toBe('successful');

    const quiet = new RecordingEffects();
    const other = await pool.start({ stateFile, effects: quiet });
    await other.stop();
    expect(quiet.methods()).toEqual(['restore']);
  });
});

describe('seed and client config', () => {
  it('builds the world from seed YAML and writes a client config that works', async () => {
    const seed = `
zone: test1b
access_keys:
  - access_key_id: QYTESTKEY0000001
    secret_access_key: test-secret-0001
vxnets:
  - id: vxnet-abc1234
    cidr: 10.20.0.0/24
instances:
  - id: i-node0001
    name: worker
    instance_class: 201
    instance_type: c8m16
    netns: node1
limits:
  max_volumes_per_instance: 4
`;
    const sim = await pool.start({ seed });
    expect(sim.clientConfig).toMatchObject({ qy_access_key_id: 'QYTESTKEY0000001', zone: 'test1b', host: '127.0.0.1', protocol: 'http', uri: '/iaas/' });
    const instance = (await ok(sim, 'DescribeInstances'))['instance_set'][0];
    expect(instance).toMatchObject({ instance_id: 'i-node0001', instance_class: 201, vcpus_current: 8, memory_current: 16384 });
    expect(instance['vxnets'][0]['private_ip']).toBe('10.20.0.2');
    expect(sim.world().instances['i-node0001']?.netns).toBe('node1');
    expect((await ok(sim, 'GetResourceLimit'))['resource_limits']['max_volume_per_inst']).toBe(4);

    const configPath = join(dir, 'config.yaml');
    await sim.writeClientConfig(configPath);
    expect(parseYaml(await readFile(configPath, 'utf8'))).toEqual(sim.clientConfig);
    expect((await stat(configPath)).mode & 0o777).toBe(0o600);
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}/iaas/`);
  });

  it('rejects a seed that breaks the schema with a message naming the field', async () => {
    await expect(startSimulator({ seed: 'instances:\n  - id: node-1\n' })).rejects.toThrow('instances[0].id');
    await expect(startSimulator({ seed: { vxnets: [{ id: 'vxnet-x', cidr: '10.0.0.1/24' }] } })).rejects.toThrow('vxnets[0].cidr');
  });
});

