import { describe, expect, it } from 'vitest';
import { normalizeJobIds, parseEnvelope } from '../../../src/qingcloud/envelope.js';
import { QingCloudApiError, QingCloudTransportError } from '../../../src/qingcloud/errors.js';

const ok = (body: unknown, contentType = 'application/json') => ({ status: 200, body: JSON.stringify(body), contentType });

describe('parseEnvelope', () => {
  it('returns the body of a successful answer', () => {
    const res = parseEnvelope('DescribeVolumes', ok({ action: 'DescribeVolumesResponse', ret_code: 0, volume_set: [], total_count: 0 }));
    expect(res).toMatchObject({ ret_code: 0, volume_set: [], total_count: 0 });
    expect(res.job_ids).toBeUndefined();
  });

  it('normalises a string job_id', () => {
    const res = parseEnvelope('CreateVolumes', ok({ ret_code: 0, job_id: 'j-1', volumes: ['vol-1'] }));
    expect(res.job_id).toBe('j-1');
    expect(res.job_ids).toEqual(['j-1']);
  });

  it('normalises an array job_id (CreateSnapshots)', () => {
    const res = parseEnvelope('CreateSnapshots', ok({ ret_code: 0, job_id: ['j-1', 'j-2'], snapshots: ['ss-1', 'ss-2'] }));
    expect(res.job_id).toBe('j-1');
    expect(res.job_ids).toEqual(['j-1', 'j-2']);
  });

  it('throws QingCloudApiError for ret_code ≠ 0, with the server message', () => {
    const err = (() => {
      try {
        parseEnvelope('DeleteVolumes', ok({ ret_code: 1400, message: 'PermissionDenied, volume [vol-1] is in-use' }));
      } catch (e) {
        return e;
      }
    })() as QingCloudApiError;
    expect(err).toBeInstanceOf(QingCloudApiError);
    expect(err.retCode).toBe(1400);
    expect(err.action).toBe('DeleteVolumes');
    expect(err.apiMessage).toBe('PermissionDenied, volume [vol-1] is in-use');
  });

  it('treats a non-200 status as a transport error', () => {
    expect(() => parseEnvelope('DescribeJobs', { status: 502, body: '<html>bad gateway</html>', contentType: 'text/html' })).toThrow(
      QingCloudTransportError,
    );
  });

  it('treats a non-JSON body or a body without ret_code as a transport error', () => {
    expect(() => parseEnvelope('A', { status: 200, body: 'hello', contentType: 'text/plain' })).toThrow(/not JSON/);
    expect(() => parseEnvelope('A', ok([1, 2]))).toThrow(QingCloudTransportError);
    expect(() => parseEnvelope('A', ok({ message: 'x' }))).toThrow(/ret_code/);
  });
});

describe('normalizeJobIds', () => {
  it('accepts a string, an array or nothing', () => {
    expect(normalizeJobIds('j-1')).toEqual(['j-1']);
    expect(normalizeJobIds(['j-1', 'j-2'])).toEqual(['j-1', 'j-2']);
    expect(normalizeJobIds(undefined)).toEqual([]);
    expect(normalizeJobIds('')).toEqual([]);
  });
});
