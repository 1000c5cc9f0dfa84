#!/usr/bin/env node
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { messageOf } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { NodeCommandRunner } from '../../shared/node-exec.js';
import { parseArgs, USAGE, type CliOptions } from './cli.js';
import { NoEffects, type SimEffects } from './effects.js';
import { SimUsageError } from './errors.js';
import { startSimulator } from './index.js';

/** Builds the effects adapter; the real one is loaded only when asked for (it needs root and Linux tools). */
async function makeEffects(options: CliOptions): Promise<SimEffects> {
  if (options.effects === 'none') return new NoEffects();
  const stateFile = resolve(options.stateFile);
  const dataDir = resolve(options.dataDir ?? join(dirname(stateFile), 'qingcloud-sim-data'));
  // A variable specifier keeps the type checker from requiring the module; --effects none never loads it.
  const specifier = './real-effects.js';
  const mod = (await import(specifier)) as { RealEffects: new (o: Record<string, unknown>) => SimEffects };
  return new mod.RealEffects({
    runner: new NodeCommandRunner(),
    dataDir,
    deviceRoot: resolve(options.deviceRoot ?? join(dataDir, 'by-id')),
    // Stable per state file, so a restarted simulator finds the links and namespaces it made before.
    namePrefix: `qs${createHash('sha256').update(stateFile).digest('hex').slice(0, 4)}`,
  });
}

async function main(): Promise<number> {
  let command;
  try {
    command = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof SimUsageError) {
      process.stderr.write(`qingcloud-sim: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (command.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const options = command.options;
  const logger = createLogger({ name: 'qingcloud-sim' });
  const seed = options.seedFile === undefined ? undefined : await readFile(options.seedFile, 'utf8');
  const sim = await startSimulator({
    host: options.host,
    port: options.port,
    stateFile: options.stateFile,
    seed,
    effects: await makeEffects(options),
    jobLatencyMs: options.jobLatencyMs ?? 0,
    logger,
  });
  if (options.writeClientConfig !== undefined) await sim.writeClientConfig(options.writeClientConfig);
  process.stdout.write(`qingcloud-sim listening on ${sim.url}\n`);
  return new Promise((resolveExit) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'stopping');
      sim.stop({ cleanup: options.cleanup }).then(
        () => resolveExit(0),
        (err: unknown) => {
          logger.error({ err: messageOf(err) }, 'stop failed');
          resolveExit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`qingcloud-sim: ${messageOf(err)}\n`);
    process.exit(1);
  },
);
