import { readFile as fsReadFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { messageOf } from '../shared/errors.js';
import { ConfigError } from './errors.js';
import type { SignatureMethod } from './signer.js';

/** Everything the SDK needs to reach and sign for the QingCloud API. */
export interface QingCloudConfig {
  accessKeyId: string;
  /** Never logged, never in an error; non-enumerable on configs built by makeConfig/loadConfig. */
  secretAccessKey: string;
  zone: string;
  host: string;
  port: number;
  protocol: 'https' | 'http';
  uri: string;
  /** Extra attempts for a read whose request failed at the transport level. */
  connectionRetries: number;
  connectionTimeoutMs: number;
  signatureMethod?: SignatureMethod;
}

/** Reads a whole text file; injectable so tests need no disk. */
export type ReadTextFile = (path: string) => Promise<string>;

/** Defaults of the official SDKs (qingcloud-api.md §1). */
export const CONFIG_DEFAULTS = {
  host: 'api.qingcloud.com',
  port: 443,
  protocol: 'https',
  uri: '/iaas',
  connectionRetries: 3,
  connectionTimeoutMs: 30_000,
} as const;

/** Environment variables that override the file, and the config-file key each one overrides. */
export const CONFIG_ENV_VARS = {
  QY_ACCESS_KEY_ID: 'qy_access_key_id',
  QY_SECRET_ACCESS_KEY: 'qy_secret_access_key',
  QY_ZONE: 'zone',
  QY_HOST: 'host',
  QY_PORT: 'port',
  QY_PROTOCOL: 'protocol',
  QY_URI: 'uri',
  QY_CONNECTION_RETRIES: 'connection_retries',
  QY_CONNECTION_TIMEOUT: 'connection_timeout',
} as const;

/** Where QingCloud guests keep their own instance id. */
export const INSTANCE_ID_PATH = '/etc/qingcloud/instance-id';

const INSTANCE_ID = /^i-[a-z0-9]{8}$/;
const HOST = /^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/;
const ZONE = /^[a-z0-9-]+$/;

const REDACTED = '[redacted]';

/**
 * A config whose secret is non-enumerable and whose toJSON/inspect redact it, so logging or serialising it
 * cannot leak the key. Copy it with makeConfig({...fields, secretAccessKey}), not with a bare spread.
 */
export function makeConfig(fields: QingCloudConfig): QingCloudConfig {
  const { secretAccessKey, ...visible } = fields;
  const config = { ...visible } as QingCloudConfig;
  Object.defineProperty(config, 'secretAccessKey', { value: secretAccessKey, enumerable: false, writable: false });
  Object.defineProperty(config, 'toJSON', {
    value: () => ({ ...visible, secretAccessKey: REDACTED }),
    enumerable: false,
  });
  Object.defineProperty(config, inspect.custom, {
    value: () => ({ ...visible, secretAccessKey: REDACTED }),
    enumerable: false,
  });
  return config;
}

type RawValues = Partial<Record<(typeof CONFIG_ENV_VARS)[keyof typeof CONFIG_ENV_VARS] | 'signature_method', unknown>>;

/** Parses config.yaml text (official keys; `log_level` and unknown keys ignored) into raw values. */
function parseYamlObject(text: string, source: string): RawValues {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`QingCloud config ${source} is not valid YAML: ${messageOf(err)}; fix the file`, [], { cause: err });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`QingCloud config ${source} must be a YAML mapping of keys to values; fix the file`);
  }
  return doc;
}

/** Validates raw values (file keys) and applies the defaults; ONE ConfigError naming every bad key otherwise. */
function buildConfig(raw: RawValues, source: string): QingCloudConfig {
  const bad: string[] = [];
  const str = (key: keyof RawValues, required: boolean, pattern?: RegExp): string | undefined => {
    const value = raw[key];
    if (value === undefined || value === null || value === '') {
      if (required) bad.push(`${key} (missing)`);
      return undefined;
    }
    const text = typeof value === 'number' ? String(value) : value;
    if (typeof text !== 'string' || (pattern !== undefined && !pattern.test(text))) {
      // The secret's value is never echoed, whatever its shape.
      bad.push(`${key} (malformed)`);
      return undefined;
    }
    return text;
  };
  const int = (key: keyof RawValues, min: number, max: number): number | undefined => {
    const value = raw[key];
    if (value === undefined || value === null || value === '') return undefined;
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      bad.push(`${key} (malformed: expected an integer ${min}..${max})`);
      return undefined;
    }
    return n;
  };

  const accessKeyId = str('qy_access_key_id', true, /^\S+$/);
  const secretAccessKey = str('qy_secret_access_key', true, /^\S+$/);
  const zone = str('zone', true, ZONE);
  const host = str('host', false, HOST);
  const port = int('port', 1, 65535);
  const protocol = str('protocol', false, /^https?$/);
  const uri = str('uri', false, /^\/[^\s?#]*$/);
  const connectionRetries = int('connection_retries', 0, 100);
  const timeoutRaw = raw.connection_timeout;
  let connectionTimeoutMs: number | undefined;
  if (timeoutRaw !== undefined && timeoutRaw !== null && timeoutRaw !== '') {
    const seconds = typeof timeoutRaw === 'number' ? timeoutRaw : typeof timeoutRaw === 'string' ? Number(timeoutRaw) : NaN;
    if (!Number.isFinite(seconds) || seconds <= 0) bad.push('connection_timeout (malformed: expected seconds > 0)');
    else connectionTimeoutMs = Math.round(seconds * 1000);
  }
  const signatureMethod = str('signature_method', false, /^(HmacSHA256|HmacSHA1)$/);

  if (bad.length > 0) {
    throw new ConfigError(
      `QingCloud config from ${source} is invalid: ${bad.join(', ')}; set these keys in the file or via the QY_* ` +
        'environment variables',
      bad.map((entry) => entry.split(' ')[0] ?? entry),
    );
  }
  return makeConfig({
    accessKeyId: accessKeyId!,
    secretAccessKey: secretAccessKey!,
    zone: zone!,
    host: host ?? CONFIG_DEFAULTS.host,
    port: port ?? CONFIG_DEFAULTS.port,
    protocol: (protocol as 'https' | 'http' | undefined) ?? CONFIG_DEFAULTS.protocol,
    uri: uri ?? CONFIG_DEFAULTS.uri,
    connectionRetries: connectionRetries ?? CONFIG_DEFAULTS.connectionRetries,
    connectionTimeoutMs: connectionTimeoutMs ?? CONFIG_DEFAULTS.connectionTimeoutMs,
    ...(signatureMethod === undefined ? {} : { signatureMethod: signatureMethod as SignatureMethod }),
  });
}

/** Parses the text of a QingCloud config.yaml into a validated config. */
export function parseConfigYaml(text: string, source = 'config.yaml'): QingCloudConfig {
  return buildConfig(parseYamlObject(text, source), source);
}

/** Options of loadConfig: a config.yaml path and/or environment overrides (CONFIG_ENV_VARS). */
export interface LoadConfigOptions {
  file?: string;
  env?: Record<string, string | undefined>;
  readFile?: ReadTextFile;
}

/** Reads the file (if given), then applies the QY_* environment overrides, validates and fills defaults. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<QingCloudConfig> {
  const readFile = options.readFile ?? ((path: string) => fsReadFile(path, 'utf8'));
  let raw: RawValues = {};
  const sources: string[] = [];
  if (options.file !== undefined) {
    let text: string;
    try {
      text = await readFile(options.file);
    } catch (err) {
      throw new ConfigError(
        `QingCloud config file ${options.file} could not be read: ${messageOf(err)}; create it or point to another file`,
        [],
        { cause: err },
      );
    }
    raw = { ...parseYamlObject(text, `file ${options.file}`) };
    sources.push(`file ${options.file}`);
  }
  const env = options.env ?? {};
  const overridden: string[] = [];
  for (const [name, key] of Object.entries(CONFIG_ENV_VARS)) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      raw[key] = value;
      overridden.push(name);
    }
  }
  if (overridden.length > 0) sources.push(`environment (${overridden.join(', ')})`);
  return buildConfig(raw, sources.length > 0 ? sources.join(' and ') : 'no file and no QY_* environment variables');
}

/** The guest's own instance id from `path`, validated as `i-xxxxxxxx`. */
export async function readInstanceId(path: string = INSTANCE_ID_PATH, readFile?: ReadTextFile): Promise<string> {
  const read = readFile ?? ((p: string) => fsReadFile(p, 'utf8'));
  let text: string;
  try {
    text = await read(path);
  } catch (err) {
    throw new ConfigError(
      `QingCloud instance id file ${path} could not be read: ${messageOf(err)}; run on a QingCloud instance or pass the id explicitly`,
      ['instance-id'],
      { cause: err },
    );
  }
  const id = text.trim();
  if (!INSTANCE_ID.test(id)) {
    throw new ConfigError(
      `QingCloud instance id file ${path} holds ${JSON.stringify(id.slice(0, 40))}, not an id like i-xxxxxxxx; fix or remove the file`,
      ['instance-id'],
    );
  }
  return id;
}

/** protocol://host:port + uri, with runs of '/' in the uri collapsed (the port is always written). */
export function endpointUrl(config: Pick<QingCloudConfig, 'protocol' | 'host' | 'port' | 'uri'>): string {
  const uri = `/${config.uri}`.replace(/\/{2,}/g, '/');
  return `${config.protocol}://${config.host}:${config.port}${uri}`;
}
