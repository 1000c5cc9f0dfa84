import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTimestamp, signRequest } from '../../../../src/qingcloud/signer.js';
import { ACTIONS } from '../../../../src/qingcloud/sim/actions/index.js';
import { startSimulator, type RunningSimulator } from '../../../../src/qingcloud/sim/index.js';
import { loadWorld } from '../../../../src/qingcloud/sim/store.js';
import { fuzz, noNulString } from '../../support/fuzz.js';

/** ret_codes of qingcloud-api.md §3. 5000/5100 are left out: no faults are injected, so they would be simulator bugs. */
const DOCUMENTED = [0, 1100, 1101, 1200, 1300, 1400, 2100, 2110, 2500];

let dir: string;
let stateFile: string;
let sim: RunningSimulator;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim-fuzz-'));
  stateFile = join(dir, 'state.json');
  sim = await startSimulator({ stateFile, random: 11 });
});

afterAll(async () => {
  await sim?.stop({ cleanup: true });
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

function send(method: string, pathAndQuery: string, body: string | undefined, contentType: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const req = request({ host: sim.clientConfig.host, port: sim.port, method, path: pathAndQuery, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(5_000, () => req.destroy(new Error(`no answer to ${method} ${pathAndQuery.slice(0, 100)} within 5 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

function checkAnswer(a: Answer, method: string): Record<string, unknown> | undefined {
  expect(a.status).toBe(200);
  expect(a.contentType).toMatch(/^application\/json/);
  if (method === 'HEAD') return undefined;
  const doc = JSON.parse(a.body) as Record<string, unknown>;
  expect(DOCUMENTED, `ret_code ${String(doc.ret_code)}: ${String(doc.message)}`).toContain(doc.ret_code);
  if (doc.ret_code !== 0) expect(typeof doc.message).toBe('string');
  return doc;
}

/** Characters a raw query or form body may carry on the request line (Node refuses the rest before sending). */
const rawText = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._~!$'()*,;:@/?%+&=-]{0,200}$/),
  fc.array(fc.tuple(fc.constantFrom('action', 'zone', 'volumes.1', 'limit', 'offset', 'signature', 'time_stamp', 'access_key_id', '', '%', '%zz', '%FF', '%C3', 'a+b'), fc.constantFrom('', '=', '=x', '=%', '=%E2%82', '=DescribeVolumes', '=1e9', '=-1')), { maxLength: 8 }).map((pairs) =>
    pairs.map(([k, v]) => k + v).join('&'),
  ),
  fc.integer({ min: 1, max: 6_000 }).map((n) => Array.from({ length: n }, (_, i) => `p${i}=1`).join('&')),
);

const paramName = fc.oneof(
  fc.constantFrom('volumes.1', 'volumes.2', 'instance', 'size', 'volume_name', 'volume_type', 'count', 'limit', 'offset', 'nics.1', 'vxnet', 'snapshots.1', 'resources.1', 'jobs.1', 'status.1', 'verbose', 'tags.1', 'zone', 'repl', 'search_word', 'is_full'),
  fc.stringMatching(/^[a-z_]{1,12}(\.[0-9]{1,3})?$/),
);
const paramValue = fc.oneof(
  fc.constantFrom('vol-abcd1234', 'i-sim00001', 'i-nothere1', '10', '0', '-5', '100000', '20', '1.5', 'rpp-00000002', 'available', ''),
  noNulString(30),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
);
const action = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...ACTIONS.keys()) }, { weight: 1, arbitrary: noNulString(20) });

describe('the simulator over real HTTP under random queries and bodies', () => {
  it('answers unsigned garbage with HTTP 200 + JSON and a documented ret_code', async () => {
    await fuzz(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        fc.constantFrom('/iaas/', '/iaas', '/iaas/x/y', '/', '/other', '/iaas/?'),
        rawText,
        fc.option(rawText, { nil: undefined }),
        fc.option(fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data'), { nil: undefined }),
        async (method, path, query, body, contentType) => {
          checkAnswer(await send(method, `${path}?${query}`, method === 'GET' || method === 'HEAD' ? undefined : body, contentType), method);
        },
      ),
      300,
      { timeout: 10_000 },
    );
  });

  it('answers signed requests of any action with any parameters with a documented ret_code, and the state file stays loadable', async () => {
    const cfg = sim.clientConfig;
    await fuzz(
      fc.asyncProperty(fc.constantFrom('GET', 'POST'), action, fc.dictionary(paramName, paramValue, { maxKeys: 6 }), fc.boolean(), async (method, act, extra, withZone) => {
        const params: Record<string, string> = {
          ...extra,
          access_key_id: cfg.qy_access_key_id,
          action: act,
          signature_method: 'HmacSHA256',
          signature_version: '1',
          time_stamp: formatTimestamp(Date.now()),
          ...(withZone ? { zone: cfg.zone } : {}),
        };
        const signed = signRequest(method, cfg.uri, params, cfg.qy_secret_access_key);
        const answer =
          method === 'GET' ? await send('GET', `${cfg.uri}?${signed.encoded}`, undefined, undefined) : await send('POST', cfg.uri, signed.encoded, 'application/x-www-form-urlencoded');
        checkAnswer(answer, method);
      }),
      300,
      { timeout: 10_000 },
    );
    await sim.settled();
    const world = await loadWorld(stateFile);
    expect(world).toBeDefined();
  });
});
