import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { SimSeedError } from '../../../../src/qingcloud/sim/errors.js';
import { seededRandom } from '../../../../src/qingcloud/sim/rng.js';
import { buildWorld, DEFAULT_SEED, instanceShape, parseSeedYaml } from '../../../../src/qingcloud/sim/seed.js';

describe('seed', () => {
  it('builds the default world reproducibly from a seeded RNG', () => {
    const a = buildWorld({}, seededRandom(3), 0);
    expect(a).toEqual(buildWorld({}, seededRandom(3), 0));
    expect(a.zone).toBe('sim1a');
    expect(Object.values(a.instances).map((i) => i.instance_class)).toEqual([0, 1, 101, 201]);
    expect(Object.values(a.nics).map((n) => n.private_ip)).toEqual(['192.168.10.2', '192.168.10.3', '192.168.10.4', '192.168.11.2']);
    expect(Object.values(a.vxnets)).toHaveLength(2);
  });

  it('parses the sample seed file into the default world', async () => {
    const text = await readFile(new URL('../../../../src/qingcloud/sim/seed.sample.yaml', import.meta.url), 'utf8');
    const sample = parseSeedYaml(text);
    expect(buildWorld(sample, seededRandom(1), 0)).toEqual(buildWorld(DEFAULT_SEED, seededRandom(1), 0));
  });

  it('rejects schema violations naming the field', () => {
    const bad: [unknown, string][] = [
      [{ zone: 'Bad Zone' }, 'zone'],
      [{ access_keys: [] }, 'access_keys'],
      [{ access_keys: [{ access_key_id: 'short', secret_access_key: 'long-enough' }] }, 'access_keys[0].access_key_id'],
      [{ vxnets: [{ id: 'vxnet-a', cidr: '10.0.0.0/8' }] }, 'vxnets[0].cidr'],
      [{ instances: [{ id: 'i-abcdefgh', vxnet: 'vxnet-none' }] }, 'instances[0].vxnet'],
      [{ instances: [{ id: 'i-abcdefgh' }, { id: 'i-abcdefgh' }] }, 'used twice'],
      [{ limits: { max_nics_per_instance: 0 } }, 'limits.max_nics_per_instance'],
      [{ limits: { quotas: { gpu: 1 } } }, 'limits.quotas.gpu'],
    ];
    for (const [seed, mention] of bad) {
      expect(() => buildWorld(seed as never, seededRandom(1), 0), mention).toThrow(SimSeedError);
      expect(() => buildWorld(seed as never, seededRandom(1), 0)).toThrow(mention);
    }
    expect(() => parseSeedYaml('a: [')).toThrow(SimSeedError);
    expect(() => parseSeedYaml('- 1')).toThrow('mapping');
  });

  it('derives vCPUs and memory from cXmY instance types', () => {
    expect(instanceShape('c4m8')).toEqual({ vcpus: 4, memoryMB: 8192 });
    expect(instanceShape('s1.large.r1')).toEqual({ vcpus: 2, memoryMB: 4096 });
  });
});
