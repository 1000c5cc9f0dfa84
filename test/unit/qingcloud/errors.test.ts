import { describe, expect, it } from 'vitest';
import { BaseError } from '../../../src/shared/errors.js';
import {
  JobFailedError,
  JobTimeoutError,
  QingCloudApiError,
  QingCloudTransportError,
  RET_CODES,
  isNotFound,
  isRetryable,
  isThrottled,
  isTryLater,
  kindOf,
} from '../../../src/qingcloud/errors.js';

describe('ret_code table', () => {
  it.each([
    [1100, 'invalid'],
    [1101, 'invalid'],
    [1200, 'auth'],
    [1300, 'auth'],
    [1400, 'permission'],
    [2100, 'notFound'],
    [2110, 'alreadyExists'],
    [2400, 'balance'],
    [2500, 'quota'],
    [5000, 'busy'],
    [5100, 'busy'],
    [5200, 'unavailable'],
    [5300, 'unavailable'],
    [5600, 'unsupported'],
    [4242, 'other'],
  ])('maps %i to %s', (code, kind) => {
    expect(kindOf(code)).toBe(kind);
    expect(new QingCloudApiError('X', code, 'm').kind).toBe(kind);
  });

  it('has a label for every code', () => {
    for (const entry of RET_CODES.values()) expect(entry.label.length).toBeGreaterThan(0);
  });
});

describe('QingCloudApiError', () => {
  it('says which action failed, the code, its meaning and the API message', () => {
    const err = new QingCloudApiError('DescribeVolumes', 2100, 'ResourceNotFound, resource [vol-12345678] not found');
    expect(err.message).toBe('QingCloud DescribeVolumes failed: ret_code 2100 (not found): ResourceNotFound, resource [vol-12345678] not found');
    expect(err).toBeInstanceOf(BaseError);
    expect(err.code).toBe('QC_API_ERROR');
    expect(err.name).toBe('QingCloudApiError');
    expect(err.apiMessage).toContain('ResourceNotFound');
  });
});

describe('predicates', () => {
  const api = (code: number, message = 'x'): QingCloudApiError => new QingCloudApiError('A', code, message);

  it('isNotFound is true only for 2100', () => {
    expect(isNotFound(api(2100))).toBe(true);
    expect(isNotFound(api(1400))).toBe(false);
    expect(isNotFound(new Error('not found'))).toBe(false);
  });

  it('isThrottled is true only for 2500', () => {
    expect(isThrottled(api(2500))).toBe(true);
    expect(isThrottled(api(5100))).toBe(false);
  });

  it('isRetryable covers 5000 and 5100', () => {
    expect(isRetryable(api(5000))).toBe(true);
    expect(isRetryable(api(5100))).toBe(true);
    expect(isRetryable(api(5200))).toBe(false);
    expect(isRetryable(api(2500))).toBe(false);
    expect(isRetryable(new QingCloudTransportError('A', 'down'))).toBe(false);
  });

  it('treats a 1400 as retryable only when its message says "please try later"', () => {
    const tryLater = api(1400, 'PermissionDenied, resource [ss-u90rxvl1] is [creating], please try later');
    const lease = api(1400, 'PermissionDenied, resource [vol-umyf1cy2] lease info not ready yet, please try later');
    const final = api(1400, 'PermissionDenied, snapshot [ss-sdm7psjv] is not available, can not create volume from it');
    expect(isTryLater(tryLater)).toBe(true);
    expect(isRetryable(tryLater)).toBe(true);
    expect(isRetryable(lease)).toBe(true);
    expect(isTryLater(final)).toBe(false);
    expect(isRetryable(final)).toBe(false);
    expect(isTryLater(api(5100, 'please try later'))).toBe(false);
  });
});

describe('job errors', () => {
  it('name the job, its action and resources', () => {
    const failed = new JobFailedError('j-abc', 'AttachVolumes', ['vol-1', 'i-1'], 'failed');
    expect(failed.message).toContain('j-abc');
    expect(failed.message).toContain('AttachVolumes');
    expect(failed.message).toContain('vol-1, i-1');
    expect(failed.code).toBe('QC_JOB_FAILED');
    const timeout = new JobTimeoutError('j-abc', 'ResizeVolumes', ['vol-1'], 5000, 'working');
    expect(timeout.message).toMatch(/j-abc.*ResizeVolumes.*vol-1.*5000 ms.*working/);
    expect(timeout.code).toBe('QC_JOB_TIMEOUT');
  });

  it('keep the cause of transport errors', () => {
    const cause = new Error('ECONNRESET');
    expect(new QingCloudTransportError('A', 'x', { cause }).cause).toBe(cause);
  });
});
