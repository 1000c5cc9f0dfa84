import { afterEach, describe, expect, it } from 'vitest';
import { formatTimestamp, signRequest } from '../../../../src/qingcloud/signer.js';
import { call, ManualClock, ok, rawRequest, SimPool } from './helpers.js';

const pool = new SimPool();
afterEach(() => pool.stopAll());

describe('signature verification', () => {
  it('accepts GET and POST signed with HmacSHA256 and HmacSHA1', async () => {
    const sim = await pool.start();
    for (const method of ['GET', 'POST'] as const) {
      for (const signatureMethod of ['HmacSHA256', 'HmacSHA1'] as const) {
        const answer = await call(sim, 'DescribeZones', {}, { method, signatureMethod });
        expect(answer).toMatchObject({ action: 'DescribeZonesResponse', ret_code: 0, total_count: 1 });
      }
    }
  });

  it('accepts spaces sent as "+" and as %20, and signs over /iaas as well as /iaas/', async () => {
    const sim = await pool.start();
    await ok(sim, 'CreateVolumes', { size: 20, volume_name: 'my disk/ä+~*' });
    await sim.settled();
    for (const options of [{ plusForSpace: true }, { path: '/iaas' }, { method: 'POST' as const, plusForSpace: true }]) {
      const answer = await ok(sim, 'DescribeVolumes', { search_word: 'my disk/ä+~*' }, options);
      expect(answer['total_count']).toBe(1);
    }
  });

  it('accepts a missing version and extra params such as req_id, expires and token', async () => {
    const sim = await pool.start();
    const expires = formatTimestamp(Date.now() + 3_600_000);
    const answer = await call(sim, 'DescribeZones', { req_id: 'abc123', expires, token: 't', verbose: 1, version: 1 });
    expect(answer['ret_code']).toBe(0);
  });

  it('answers 1200 for a bad signature, an unknown key, a wrong secret and a missing signature', async () => {
    const sim = await pool.start();
    expect((await call(sim, 'DescribeZones', {}, { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' }))['ret_code']).toBe(1200);
    expect((await call(sim, 'DescribeZones', {}, { keyId: 'QYUNKNOWNKEY0000' }))['ret_code']).toBe(1200);
    const wrongSecret = await call(sim, 'DescribeZones', {}, { secret: 'not-the-secret' });
    expect(wrongSecret['ret_code']).toBe(1200);
    expect(wrongSecret['message']).not.toContain(sim.clientConfig.qy_secret_access_key);
    const path = `/iaas/?access_key_id=${sim.clientConfig.qy_access_key_id}&action=DescribeZones&time_stamp=${encodeURIComponent(formatTimestamp(Date.now()))}`;
    expect((await rawRequest(sim, path))['ret_code']).toBe(1200);
  });

  it('answers 1200 when the signed path differs from the requested path', async () => {
    const sim = await pool.start();
    const cfg = sim.clientConfig;
    const params = { access_key_id: cfg.qy_access_key_id, action: 'DescribeZones', signature_method: 'HmacSHA256', signature_version: '1', time_stamp: formatTimestamp(Date.now()) };
    const signed = signRequest('GET', '/iaas', params, cfg.qy_secret_access_key);
    expect((await rawRequest(sim, `/iaas/?${signed.encoded}`))['ret_code']).toBe(1200);
    expect((await rawRequest(sim, `/iaas?${signed.encoded}`))['ret_code']).toBe(0);
  });

  it('answers 1300 for a stale or future time_stamp and for a past expires, with a configurable window', async () => {
    const sim = await pool.start({ timeWindowSec: 30 });
    expect((await call(sim, 'DescribeZones', {}, { timeMs: Date.now() - 45_000 }))['ret_code']).toBe(1300);
    expect((await call(sim, 'DescribeZones', {}, { timeMs: Date.now() + 45_000 }))['ret_code']).toBe(1300);
    expect((await call(sim, 'DescribeZones', {}, { timeMs: Date.now() - 10_000 }))['ret_code']).toBe(0);
    expect((await call(sim, 'DescribeZones', { expires: formatTimestamp(Date.now() - 5_000) }))['ret_code']).toBe(1300);
    expect((await call(sim, 'DescribeZones', { time_stamp: 'yesterday' }))['ret_code']).toBe(1100);
  });
});

describe('request validation', () => {
  it('answers 1101 for an unknown action and 1100 for a missing action or zone', async () => {
    const sim = await pool.start();
    expect((await call(sim, 'DescribeVolumesX'))['ret_code']).toBe(1101);
    expect((await call(sim, 'DescribeVxNets'))['ret_code']).toBe(1101);
    expect((await call(sim, ''))['ret_code']).toBe(1100);
    const noZone = await call(sim, 'DescribeVolumes', {}, { noZone: true });
    expect(noZone).toMatchObject({ ret_code: 1100 });
    expect(noZone['message']).toContain('zone');
    expect((await call(sim, 'DescribeVolumes', { zone: 'pek3a' }))['ret_code']).toBe(1100);
    expect((await call(sim, 'DescribeZones', {}, { noZone: true }))['ret_code']).toBe(0);
  });

  it('answers 1100 for missing and malformed parameters, naming the parameter', async () => {
    const sim = await pool.start();
    const cases: [string, Record<string, string | number | string[]>, string][] = [
      ['CreateVolumes', {}, 'size'],
      ['CreateVolumes', { size: 'ten' }, 'size'],
      ['CreateVolumes', { size: '20.5' }, 'size'],
      ['CreateVolumes', { size: '0x14' }, 'size'],
      ['CreateVolumes', { size: 20, count: 0 }, 'count'],
      ['CreateVolumes', { size: 25 }, 'multiple of 10'],
      ['CreateVolumes', { size: 20, volume_type: 99 }, 'volume_type'],
      ['AttachVolumes', { volumes: ['vol-12345678'] }, 'instance'],
      ['AttachVolumes', { volumes: ['not-a-volume'], instance: 'i-sim00001' }, 'volumes.1'],
      ['DescribeVolumes', { 'volumes.x': 'vol-12345678' }, 'volumes.x'],
      ['DescribeVolumes', { status: ['exploded'] }, 'status'],
      ['DescribeVolumes', { limit: -1 }, 'limit'],
      ['DescribeNics', { nics: ['52:54:ZZ:00:00:01'] }, 'nics.1'],
      ['AttachTags', { 'resource_tag_pairs.1.tag_id': 'tag-12345678' }, 'resource_tag_pairs.1.resource_type'],
    ];
    for (const [action, params, mention] of cases) {
      const answer = await call(sim, action, params);
      expect(answer, `${action} ${JSON.stringify(params)}`).toMatchObject({ ret_code: 1100 });
      expect(answer['message']).toContain(mention);
    }
  });

  it('rejects huge values without crashing', async () => {
    const sim = await pool.start();
    for (const size of ['99999999999999999999999', '1e308', '9007199254740993', String(Number.MAX_SAFE_INTEGER)]) {
      expect((await call(sim, 'CreateVolumes', { size }))['ret_code']).toBe(1100);
    }
    expect((await call(sim, 'DescribeVolumes', { search_word: 'x'.repeat(100_000) }))['ret_code']).toBe(1100);
    expect((await call(sim, 'DescribeVolumes', { 'volumes.99999999999': 'vol-12345678' }))['ret_code']).toBe(1100);
    const many = Array.from({ length: 1001 }, (_, i) => `vol-${String(i).padStart(8, '0')}`);
    expect((await call(sim, 'DescribeVolumes', { volumes: many }, { method: 'POST' }))['ret_code']).toBe(1100);
    expect((await call(sim, 'DescribeZones'))['ret_code']).toBe(0);
  });

  it('answers garbage with HTTP 200 and a JSON error', async () => {
    const sim = await pool.start();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const answers = [
      await rawRequest(sim, '/iaas/'),
      await rawRequest(sim, '/iaas/?%E0%A4%A=1'),
      await rawRequest(sim, '/iaas/?a=1&a=2'),
      await rawRequest(sim, '/iaas/', { method: 'POST', headers: form, body: '%%%garbage&&==' }),
      await rawRequest(sim, '/iaas/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action": "DescribeZones"' }),
      await rawRequest(sim, '/iaas/', { method: 'POST', body: Buffer.from([0xff, 0xfe, 0x00, 0x01]) }),
      await rawRequest(sim, '/iaas/', { method: 'PUT', body: 'x' }),
      await rawRequest(sim, '/iaas/', { method: 'DELETE' }),
      await rawRequest(sim, '/elsewhere'),
      await rawRequest(sim, '/iaas/', { method: 'POST', headers: form, body: `a=${'x'.repeat(1024 * 1024 + 10)}` }),
      await rawRequest(sim, `/iaas/?a=${'y'.repeat(1024 * 1024 + 10)}`),
    ];
    for (const answer of answers) {
      expect(typeof answer['ret_code']).toBe('number');
      expect(answer['ret_code']).not.toBe(0);
      expect(typeof answer['message']).toBe('string');
    }
    expect(answers[9]).toMatchObject({ ret_code: 1100 });
    expect(answers[9]?.['message']).toContain('1 MiB');
    expect((await call(sim, 'DescribeZones'))['ret_code']).toBe(0);
  });
});

describe('answers', () => {
  it('pages Describe* results with offset/limit, total_count of all matches, default 20 and max 100', async () => {
    const sim = await pool.start();
    await ok(sim, 'CreateVolumes', { size: 20, count: 100, volume_name: 'p' });
    await ok(sim, 'CreateVolumes', { size: 20, count: 30, volume_name: 'p' });
    await sim.settled();
    const byDefault = await ok(sim, 'DescribeVolumes');
    expect(byDefault['volume_set']).toHaveLength(20);
    expect(byDefault['total_count']).toBe(130);
    expect((await ok(sim, 'DescribeVolumes', { limit: 500 }))['volume_set']).toHaveLength(100);
    const last = await ok(sim, 'DescribeVolumes', { offset: 120, limit: 100 });
    expect(last['volume_set']).toHaveLength(10);
    const past = await ok(sim, 'DescribeVolumes', { offset: 1000 });
    expect(past).toMatchObject({ volume_set: [], total_count: 130 });
    const seen = new Set<string>();
    for (let offset = 0; offset < 130; offset += 50) {
      for (const v of (await ok(sim, 'DescribeVolumes', { offset, limit: 50 }))['volume_set'] as { volume_id: string }[]) seen.add(v.volume_id);
    }
    expect(seen.size).toBe(130);
  });

  it('counts every request by action, failed ones included, until reset', async () => {
    const sim = await pool.start();
    await ok(sim, 'DescribeJobs');
    await ok(sim, 'DescribeJobs');
    await call(sim, 'DescribeJobs', {}, { secret: 'wrong-secret' });
    await call(sim, 'NoSuchAction');
    await rawRequest(sim, '/iaas/', { method: 'PUT' });
    expect(sim.callCounts()).toEqual({ DescribeJobs: 3, NoSuchAction: 1, '': 1 });
    sim.resetCallCounts();
    expect(sim.callCounts()).toEqual({});
  });
});

describe('fault injection', () => {
  it('injects 5000, 5100 and 2500 at the configured rate, per action', async () => {
    const sim = await pool.start({ faults: { actions: { DescribeVolumes: { retCodes: { 5100: 1 } } } } });
    expect((await call(sim, 'DescribeVolumes'))['ret_code']).toBe(5100);
    expect((await call(sim, 'DescribeZones'))['ret_code']).toBe(0);
    sim.setFaults({ retCodes: { 5000: 1 } });
    expect((await call(sim, 'DescribeZones'))['ret_code']).toBe(5000);
    sim.setFaults({ retCodes: { 2500: 1 } });
    expect((await call(sim, 'DescribeZones'))['ret_code']).toBe(2500);
    sim.setFaults({ retCodes: { 5100: 0.5 } });
    const codes = await Promise.all(Array.from({ length: 40 }, () => call(sim, 'DescribeZones').then((a) => a['ret_code'] as number)));
    expect(codes.filter((c) => c === 5100).length).toBeGreaterThan(5);
    expect(codes.filter((c) => c === 0).length).toBeGreaterThan(5);
    sim.setFaults({});
    expect((await call(sim, 'DescribeZones'))['ret_code']).toBe(0);
  });

  it('answers 2500 beyond the API-call quota per key until the next window', async () => {
    const clock = new ManualClock(Date.now());
    const sim = await pool.start({ clock, faults: { apiQuota: { limit: 3, windowSec: 3600 } } });
    const at = { timeMs: clock.now() };
    for (let i = 0; i < 3; i++) expect((await call(sim, 'DescribeZones', {}, at))['ret_code']).toBe(0);
    const over = await call(sim, 'DescribeZones', {}, at);
    expect(over['ret_code']).toBe(2500);
    expect(over['message']).toContain('quota');
    await clock.advance(3600_000);
    expect((await call(sim, 'DescribeZones', {}, { timeMs: clock.now() }))['ret_code']).toBe(0);
  });
});
