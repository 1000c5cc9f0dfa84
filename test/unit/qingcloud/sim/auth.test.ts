import { describe, expect, it } from 'vitest';
import { formatTimestamp, signRequest } from '../../../../src/qingcloud/signer.js';
import { verifyRequest } from '../../../../src/qingcloud/sim/auth.js';
import { SimApiError } from '../../../../src/qingcloud/sim/errors.js';

const keys = [{ access_key_id: 'QYACCESSKEYIDEXAMPLE', secret_access_key: 'SECRETACCESSKEY' }];
const now = Date.UTC(2026, 0, 1, 12, 0, 0);

function signed(method: string, path: string, extra: Record<string, string> = {}, secret = 'SECRETACCESSKEY'): Map<string, string> {
  const params = { access_key_id: 'QYACCESSKEYIDEXAMPLE', action: 'DescribeVolumes', zone: 'pek3a', signature_method: 'HmacSHA256', signature_version: '1', time_stamp: formatTimestamp(now), ...extra };
  return new Map(Object.entries({ ...params, signature: signRequest(method, path, params, secret).signature }));
}

function retCode(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof SimApiError ? err.retCode : -1;
  }
}

const ctx = { keys, nowMs: now, windowSec: 60 };

describe('verifyRequest', () => {
  it('accepts the documented vector C signature and returns the key id', () => {
    const params = new Map(Object.entries({
      action: 'DescribeVolumes', 'volumes.1': 'vol-abc', 'volumes.2': 'vol-def', search_word: 'my disk/ä+~*', signature_method: 'HmacSHA256',
      signature_version: '1', time_stamp: '2013-08-27T14:30:10Z', version: '1', zone: 'pek3a', access_key_id: 'QYACCESSKEYIDEXAMPLE',
      signature: 'oXsPPEkoz/55C7PSEmAGAP5Aeqwa1Xgn+ged2zEJY8I=',
    }));
    expect(verifyRequest('GET', '/iaas/', params, { ...ctx, nowMs: Date.parse('2013-08-27T14:30:30Z') })).toBe('QYACCESSKEYIDEXAMPLE');
  });

  it('accepts HmacSHA1 and POST', () => {
    expect(verifyRequest('POST', '/iaas', signed('POST', '/iaas', { signature_method: 'HmacSHA1' }), ctx)).toBe('QYACCESSKEYIDEXAMPLE');
  });

  it('answers 1200 for a wrong secret, a different path or method, an unknown key, or no signature', () => {
    expect(retCode(() => verifyRequest('GET', '/iaas/', signed('GET', '/iaas/', {}, 'other'), ctx))).toBe(1200);
    expect(retCode(() => verifyRequest('GET', '/iaas', signed('GET', '/iaas/'), ctx))).toBe(1200);
    expect(retCode(() => verifyRequest('POST', '/iaas/', signed('GET', '/iaas/'), ctx))).toBe(1200);
    expect(retCode(() => verifyRequest('GET', '/iaas/', signed('GET', '/iaas/', { access_key_id: 'QYOTHERKEY000' }), ctx))).toBe(1200);
    const unsigned = signed('GET', '/iaas/');
    unsigned.delete('signature');
    expect(retCode(() => verifyRequest('GET', '/iaas/', unsigned, ctx))).toBe(1200);
  });

  it('answers 1300 outside the time window and after expires, 1100 for malformed times or methods', () => {
    const at = (offsetMs: number) => ({ ...ctx, nowMs: now + offsetMs });
    expect(retCode(() => verifyRequest('GET', '/iaas/', signed('GET', '/iaas/'), at(61_000)))).toBe(1300);
    expect(retCode(() => verifyRequest('GET', '/iaas/', signed('GET', '/iaas/'), at(-61_000)))).toBe(1300);
    expect(retCode(() => verifyRequest('GET', '/iaas/', signed('GET', '/iaas/'), at(59_000)))).toBeUndefined();
    expect(retCode(() => verifyRequest('GET', '/iaas/', signed('GET', '/iaas/', { expires: formatTimestamp(now - 1000) }), ctx))).toBe(1300);
    expect(retCode(() => verifyRequest('GET', '/iaas/', signed('GET', '/iaas/', { time_stamp: '2026/01/01' }), ctx))).toBe(1100);
    expect(retCode(() => verifyRequest('GET', '/iaas/', signed('GET', '/iaas/', { signature_method: 'HmacMD5' }), ctx))).toBe(1100);
  });
});
