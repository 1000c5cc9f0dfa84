import { connect } from 'node:net';
import { PROTOCOL_PATHS, type AddRequest, type AddResponse, type CheckRequest, type DelRequest, type GcRequest, type ProtocolVerb, type StatusResponse } from '../protocol.js';
import { parseResult, type CniResult } from '../types.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { messageOf } from '../../shared/errors.js';
import { formatRequest, HttpAnswerError, parseAnswer, type HttpAnswer } from './http1.js';
import {
  DaemonAnswerError,
  DaemonProtocolError,
  DaemonTimeoutError,
  DaemonUnreachableError,
  type DaemonClient,
  type DaemonClientOptions,
} from './daemon.js';

/** Answers above this size are not a protocol answer (a result is a few hundred bytes). */
const MAX_ANSWER_BYTES = 1024 * 1024;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** DaemonClient over HTTP/1.1 + JSON on the daemon's unix socket (protocol.ts). */
export class HttpDaemonClient implements DaemonClient {
  constructor(
    private readonly options: DaemonClientOptions,
    private readonly clock: Clock = systemClock,
  ) {}

  async add(req: AddRequest): Promise<AddResponse> {
    const body = await this.call('add', 'POST', req);
    let result: CniResult;
    try {
      result = parseResult(isObject(body) ? body.result : undefined);
    } catch (err) {
      throw new DaemonProtocolError('add', this.options.socketPath, `bad result: ${messageOf(err)}`, { cause: err });
    }
    this.checkAddResult(req, result);
    return { result };
  }

  async del(req: DelRequest): Promise<void> {
    await this.call('del', 'POST', req);
  }

  async check(req: CheckRequest): Promise<void> {
    await this.call('check', 'POST', req);
  }

  async status(): Promise<StatusResponse> {
    const body = await this.call('status', 'GET');
    if (!isObject(body) || typeof body.ready !== 'boolean') throw this.protocolError('status', 'no boolean "ready"');
    if (body.ready) return { ready: true };
    if (typeof body.code !== 'number' || typeof body.msg !== 'string') throw this.protocolError('status', 'not ready without a numeric "code" and a "msg"');
    return typeof body.details === 'string' ? { ready: false, code: body.code, msg: body.msg, details: body.details } : { ready: false, code: body.code, msg: body.msg };
  }

  async gc(req: GcRequest): Promise<void> {
    await this.call('gc', 'POST', req);
  }

  /** Chained plugins (portmap, bandwidth, tuning) find the pod interface by `sandbox` and the ips by index. */
  private checkAddResult(req: AddRequest, result: CniResult): void {
    const podIndex = result.interfaces.findIndex((i) => i.name === req.ifName && i.sandbox === req.netns);
    if (podIndex < 0) throw this.protocolError('add', `result has no interface named ${req.ifName} with sandbox ${req.netns}`);
    if (result.ips.length === 0) throw this.protocolError('add', 'result has no ips');
    if (result.ips.some((ip) => ip.interface === undefined)) throw this.protocolError('add', 'an ips entry has no interface index');
  }

  private protocolError(verb: ProtocolVerb, problem: string): DaemonProtocolError {
    return new DaemonProtocolError(verb, this.options.socketPath, problem);
  }

  /** One request on its own connection; resolves with the parsed 200 body, rejects with a DaemonCallError. */
  private call(verb: ProtocolVerb, method: 'GET' | 'POST', body?: unknown): Promise<unknown> {
    const { socketPath } = this.options;
    const timeoutMs = this.options.timeoutsMs[verb];
    const request = formatRequest(method, PROTOCOL_PATHS[verb], body === undefined ? undefined : JSON.stringify(body));
    const stopTimer = new AbortController();
    return new Promise<unknown>((resolve, reject) => {
      let settled = false;
      const settle = (action: () => void): void => {
        if (settled) return;
        settled = true;
        stopTimer.abort();
        action();
      };
      const chunks: Buffer[] = [];
      let size = 0;
      const socket = connect(socketPath);
      /** Settles with the daemon's answer from what arrived, or returns why that is not a whole answer yet. */
      const answerFromBytes = (): HttpAnswerError | undefined => {
        let answer: HttpAnswer;
        try {
          answer = parseAnswer(Buffer.concat(chunks));
        } catch (err) {
          if (err instanceof HttpAnswerError && err.truncated) return err;
          settle(() => reject(this.protocolError(verb, `not an HTTP answer: ${messageOf(err)}`)));
          return undefined;
        }
        settle(() => {
          try {
            resolve(this.interpret(verb, answer.status, answer.body));
          } catch (err) {
            reject(err);
          }
        });
        return undefined;
      };
      socket.on('error', (err) => {
        const code = (err as NodeJS.ErrnoException).code;
        const reason = typeof code === 'string' ? `${code}: ${err.message}` : err.message;
        if (size === 0) settle(() => reject(new DaemonUnreachableError(verb, socketPath, reason, { cause: err })));
        // A daemon that answers early (a refused request) and closes can reset what it did not read: the answer is whole.
        else if (answerFromBytes() !== undefined) settle(() => reject(new DaemonUnreachableError(verb, socketPath, `connection lost while reading the answer: ${reason}`, { cause: err })));
      });
      socket.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          settle(() => reject(this.protocolError(verb, `answer larger than ${MAX_ANSWER_BYTES} bytes`)));
          socket.destroy();
          return;
        }
        chunks.push(chunk);
      });
      // The daemon closes the connection after its answer (connection: close), so the answer is complete at 'end'.
      socket.on('end', () => {
        if (size === 0) {
          settle(() => reject(new DaemonUnreachableError(verb, socketPath, 'the daemon closed the connection without answering')));
          return;
        }
        const truncated = answerFromBytes();
        if (truncated !== undefined) settle(() => reject(new DaemonUnreachableError(verb, socketPath, `connection lost while reading the answer: ${truncated.message}`, { cause: truncated })));
      });
      this.clock.sleep(timeoutMs, stopTimer.signal).then(
        () => {
          settle(() => reject(new DaemonTimeoutError(verb, socketPath, timeoutMs)));
          socket.destroy();
        },
        () => undefined, // the timer was stopped because the call settled
      );
      // Not end(): node:http servers drop a request whose connection the client half-closes before the answer.
      socket.write(request);
    });
  }

  /** The 200 body, or the DaemonCallError the answer stands for. */
  private interpret(verb: ProtocolVerb, status: number, text: string): unknown {
    let body: unknown = {};
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw new DaemonProtocolError(verb, this.options.socketPath, `HTTP ${status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 200))}`, { cause: err });
      }
    }
    if (status === 200) return body;
    if (!isObject(body) || typeof body.code !== 'number' || !Number.isInteger(body.code) || body.code < 1 || typeof body.msg !== 'string') {
      throw this.protocolError(verb, `HTTP ${status} without an error body {code, msg}: ${JSON.stringify(text.slice(0, 200))}`);
    }
    const details = typeof body.details === 'string' ? body.details : undefined;
    throw new DaemonAnswerError(verb, this.options.socketPath, status, body.code, body.msg, details);
  }
}
