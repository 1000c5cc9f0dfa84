import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QingCloudTransportError } from '../../../src/qingcloud/errors.js';
import { UndiciTransport, redactUrl } from '../../../src/qingcloud/transport.js';

const ORIGIN = 'https://api.qingcloud.com:443';
// URL.origin drops the default port, so the mock is keyed without it.
const MOCK_ORIGIN = 'https://api.qingcloud.com';
let agent: MockAgent;
let transport: UndiciTransport;

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  transport = new UndiciTransport({ dispatcher: agent });
});

afterEach(async () => {
  await transport.close();
});

describe('UndiciTransport', () => {
  it('returns status, body and content type', async () => {
    agent
      .get(MOCK_ORIGIN)
      .intercept({ path: '/iaas/?action=DescribeZones&signature=abc', method: 'GET' })
      .reply(200, '{"ret_code":0}', { headers: { 'content-type': 'application/json' } });
    const res = await transport.send({ method: 'GET', url: `${ORIGIN}/iaas/?action=DescribeZones&signature=abc`, timeoutMs: 1000 });
    expect(res).toEqual({ status: 200, body: '{"ret_code":0}', contentType: 'application/json' });
  });

  it('sends a POST body with its headers', async () => {
    agent
      .get(MOCK_ORIGIN)
      .intercept({ path: '/iaas/', method: 'POST', body: 'a=1&signature=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      .reply(200, '{}');
    const res = await transport.send({
      method: 'POST',
      url: `${ORIGIN}/iaas/`,
      body: 'a=1&signature=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      timeoutMs: 1000,
    });
    expect(res.status).toBe(200);
  });

  it('turns a socket failure into QingCloudTransportError without the signed query', async () => {
    agent
      .get(MOCK_ORIGIN)
      .intercept({ path: /.*/, method: 'GET' })
      .replyWithError(Object.assign(new Error('socket hang up on /iaas/?signature=SIGNATURE-VALUE'), { code: 'ECONNRESET' }));
    const err = (await transport
      .send({ method: 'GET', url: `${ORIGIN}/iaas/?signature=SIGNATURE-VALUE`, timeoutMs: 1000, action: 'DescribeVolumes' })
      .catch((e: unknown) => e)) as QingCloudTransportError;
    expect(err).toBeInstanceOf(QingCloudTransportError);
    expect(err.action).toBe('DescribeVolumes');
    expect(err.message).toContain(`${ORIGIN}/iaas/`);
    expect(err.message).toContain('socket hang up');
    expect((err.cause as { code?: string }).code).toBe('ECONNRESET');
    expect(err.message).not.toContain('SIGNATURE-VALUE');
    expect(String((err.cause as Error).message)).not.toContain('SIGNATURE-VALUE');
  });

  it('rethrows the caller abort reason unchanged', async () => {
    agent.get(MOCK_ORIGIN).intercept({ path: /.*/, method: 'GET' }).reply(200, '{}').delay(10_000);
    const controller = new AbortController();
    const pending = transport.send({ method: 'GET', url: `${ORIGIN}/iaas/`, timeoutMs: 60_000, signal: controller.signal }).catch((e: unknown) => e);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    expect(await pending).toBe(reason);
  });
});

describe('redactUrl', () => {
  it('drops the query, which carries the signature', () => {
    expect(redactUrl('https://h:443/iaas/?a=1&signature=x')).toBe('https://h:443/iaas/');
    expect(redactUrl('https://h:443/iaas/')).toBe('https://h:443/iaas/');
  });
});
