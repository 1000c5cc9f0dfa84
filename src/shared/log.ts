import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino replaces with "[redacted]": access keys, CSI secrets and mount flags never reach a log line.
 */
export const REDACT_PATHS = [
  'qy_secret_access_key',
  '*.qy_secret_access_key',
  'secretAccessKey',
  '*.secretAccessKey',
  '*.*.secretAccessKey',
  'secret_access_key',
  '*.secret_access_key',
  'signature',
  '*.signature',
  'secrets',
  '*.secrets',
  '*.*.secrets',
  'mountFlags',
  '*.mountFlags',
  '*.*.mountFlags',
  '*.*.*.mountFlags',
  'mount_flags',
  '*.mount_flags',
  '*.*.mount_flags',
  '*.*.*.mount_flags',
  '*.*.*.*.mount_flags',
];

/** Options of createLogger. */
export interface LoggerOptions {
  level?: string;
  name?: string;
}

/** A JSON logger with the project's redaction rules; `destination` defaults to stderr. */
export function createLogger(options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      name: options.name,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
    },
    destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that drops everything (tests, library defaults). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
