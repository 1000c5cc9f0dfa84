import { describe, expect, it } from 'vitest';
import { parseArgs, parseLatency, parseListen } from '../../../../src/qingcloud/sim/cli.js';
import { SimUsageError } from '../../../../src/qingcloud/sim/errors.js';

describe('qingcloud-sim arguments', () => {
  it('parses a full command line', () => {
    expect(
      parseArgs([
        '--listen', '127.0.0.1:8080', '--state', '/tmp/s.json', '--seed', 'seed.yaml', '--effects', 'real',
        '--device-root', '/run/sim', '--write-client-config=/tmp/c.yaml', '--cleanup', '--job-latency-ms', '100-300',
      ]),
    ).toEqual({
      kind: 'run',
      options: {
        host: '127.0.0.1', port: 8080, stateFile: '/tmp/s.json', seedFile: 'seed.yaml', effects: 'real', deviceRoot: '/run/sim',
        writeClientConfig: '/tmp/c.yaml', cleanup: true, jobLatencyMs: { min: 100, max: 300 },
      },
    });
  });

  it('defaults to no effects and no cleanup, and answers --help', () => {
    expect(parseArgs(['--listen', '0.0.0.0:0', '--state', 's'])).toEqual({ kind: 'run', options: { host: '0.0.0.0', port: 0, stateFile: 's', effects: 'none', cleanup: false } });
    expect(parseArgs(['--state', 's', '--help'])).toEqual({ kind: 'help' });
  });

  it('rejects bad usage with a SimUsageError naming the problem', () => {
    const cases: [string[], string][] = [
      [['--state', 's'], '--listen'],
      [['--listen', '127.0.0.1:1'], '--state'],
      [['--listen', '127.0.0.1', '--state', 's'], 'HOST:PORT'],
      [['--listen', '127.0.0.1:70000', '--state', 's'], 'HOST:PORT'],
      [['--listen', '127.0.0.1:1', '--state', 's', '--effects', 'fake'], 'none or real'],
      [['--listen', '127.0.0.1:1', '--state'], '--state needs a value'],
      [['--listen', '127.0.0.1:1', '--state', '--cleanup'], '--state needs a value'],
      [['--listen', '127.0.0.1:1', '--state', 's', '--bogus'], '--bogus'],
      [['--listen', '127.0.0.1:1', '--state', 's', '--state', 't'], 'twice'],
      [['--listen', '127.0.0.1:1', '--state', 's', '--job-latency-ms', '5-1'], 'MIN-MAX'],
    ];
    for (const [argv, mention] of cases) {
      expect(() => parseArgs(argv), argv.join(' ')).toThrow(SimUsageError);
      expect(() => parseArgs(argv)).toThrow(mention);
    }
  });

  it('parses listen addresses and latencies', () => {
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseListen('localhost:1')).toEqual({ host: 'localhost', port: 1 });
    expect(parseLatency('250')).toBe(250);
    expect(parseLatency('0-10')).toEqual({ min: 0, max: 10 });
    expect(() => parseLatency('-5')).toThrow(SimUsageError);
  });
});
