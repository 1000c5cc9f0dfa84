import type { Logger } from '../../shared/log.js';
import { messageOf } from '../../shared/errors.js';
import { ACTIONS, ZONELESS_ACTIONS } from './actions/index.js';
import { verifyRequest } from './auth.js';
import type { SimEngine } from './engine.js';
import { invalidParam, quotaExceeded, SimApiError } from './errors.js';
import { ApiQuotaCounter, pickInjectedRetCode } from './faults.js';
import { Params, quote } from './params.js';
import { parseForm } from './wire.js';

/** One HTTP request as the dispatcher sees it. */
export interface WireRequest {
  method: string;
  /** The path as received (signed over as is). */
  path: string;
  query: string;
  body: string;
  /** Set when the body or query was larger than the cap. */
  oversized?: boolean;
}

/** Answers an API request: auth → API quota → action lookup → zone → injected faults → the action. */
export class Dispatcher {
  private readonly counts = new Map<string, number>();
  private readonly quota = new ApiQuotaCounter();

  constructor(
    private readonly sim: SimEngine,
    private readonly settings: { windowSec: number; logger: Logger },
  ) {}

  /** Calls per action since start (or the last reset), failed ones included. */
  callCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Forgets the call counts. */
  resetCallCounts(): void {
    this.counts.clear();
  }

  /** The JSON body to answer with (always HTTP 200). */
  async handle(req: WireRequest): Promise<Record<string, unknown>> {
    let action = '';
    try {
      if (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'HEAD') {
        this.count('');
        throw invalidParam(`HTTP method ${req.method.slice(0, 16)} is not supported; send GET with a query or POST with a form body`);
      }
      if (req.oversized) {
        this.count('');
        throw invalidParam('the request is larger than 1 MiB; send fewer parameters per call');
      }
      let params: Map<string, string>;
      try {
        params = req.method === 'POST' ? mergeParams(parseForm(req.query), parseForm(req.body)) : parseForm(req.query);
      } catch (err) {
        this.count('');
        throw err;
      }
      action = (params.get('action') ?? '').slice(0, 128);
      this.count(action);
      const keyId = verifyRequest(req.method === 'HEAD' ? 'GET' : req.method, req.path, params, {
        keys: this.sim.world.access_keys,
        nowMs: this.sim.options.clock.now(),
        windowSec: this.settings.windowSec,
      });
      const apiQuota = this.sim.options.faults.apiQuota;
      if (apiQuota && !this.quota.admit(keyId, apiQuota, this.sim.options.clock.now())) {
        throw quotaExceeded(`API call quota of ${apiQuota.limit} calls per ${apiQuota.windowSec} s is used up for access key [${keyId}]; back off and retry in the next window`);
      }
      if (action === '') throw invalidParam('parameter [action] is required');
      const handler = ACTIONS.get(action);
      if (!handler) throw new SimApiError(1101, `action ${quote(action)} is not supported; check its spelling (e.g. DescribeVxnets, CreateTag)`);
      const p = new Params(params);
      if (!ZONELESS_ACTIONS.has(action)) {
        const zone = p.str('zone', { required: true, maxLength: 64 });
        if (zone !== this.sim.world.zone) throw invalidParam(`zone ${quote(zone)} is not served here; this simulator serves zone [${this.sim.world.zone}]`);
      }
      const injected = pickInjectedRetCode(this.sim.options.faults, action, this.sim.options.random);
      if (injected !== undefined) throw injectedError(injected, action);
      this.sim.sweep();
      const result = await handler(this.sim, p, { action, accessKeyId: keyId });
      return { action: `${action}Response`, ret_code: 0, ...result };
    } catch (err) {
      if (err instanceof SimApiError) {
        this.settings.logger.debug({ action, retCode: err.retCode, message: err.message }, 'request refused');
        return { ret_code: err.retCode, message: err.message };
      }
      this.settings.logger.error({ action, err: messageOf(err) }, 'simulator bug while handling a request');
      return { ret_code: 5000, message: `InternalError, the simulator failed while handling ${quote(action)}; retry, and report it if it persists` };
    }
  }

  private count(action: string): void {
    this.counts.set(action, (this.counts.get(action) ?? 0) + 1);
  }
}

function mergeParams(query: Map<string, string>, body: Map<string, string>): Map<string, string> {
  for (const [name, value] of body) {
    if (query.has(name)) throw invalidParam(`parameter [${name}] is sent in both the query and the body; send it once`);
    query.set(name, value);
  }
  return query;
}

function injectedError(code: 5000 | 5100 | 2500, action: string): SimApiError {
  switch (code) {
    case 5100:
      return new SimApiError(5100, `server busy while handling ${action} (injected fault); retry later`);
    case 5000:
      return new SimApiError(5000, `internal error while handling ${action} (injected fault); retry`);
    case 2500:
      return new SimApiError(2500, `API call quota exceeded while handling ${action} (injected fault); back off and retry`);
  }
}
