import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_ENV_VARS,
  endpointUrl,
  loadConfig,
  makeConfig,
  parseConfigYaml,
  readInstanceId,
} from '../../../src/qingcloud/config.js';
import { ConfigError } from '../../../src/qingcloud/errors.js';

const SECRET = 'TOP-SECRET-KEY-123';
const minimal = `qy_access_key_id: AKID\nqy_secret_access_key: ${SECRET}\nzone: pek3a\nlog_level: debug\n`;

function files(map: Record<string, string>): (path: string) => Promise<string> {
  return async (path) => {
    const text = map[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file ${path}`), { code: 'ENOENT' });
    return text;
  };
}

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('parseConfigYaml', () => {
  it('fills the official defaults and ignores log_level', () => {
    const config = parseConfigYaml(minimal);
    expect({ ...config }).toEqual({
      accessKeyId: 'AKID',
      zone: 'pek3a',
      host: 'api.qingcloud.com',
      port: 443,
      protocol: 'https',
      uri: '/iaas',
      connectionRetries: 3,
      connectionTimeoutMs: 30_000,
    });
    expect(config.secretAccessKey).toBe(SECRET);
  });

  it('reads every official key, connection_timeout in seconds', () => {
    const config = parseConfigYaml(
      `${minimal}host: 127.0.0.1\nport: 8080\nprotocol: http\nuri: /iaas/\nconnection_retries: 1\nconnection_timeout: 2.5\nsignature_method: HmacSHA1\n`,
    );
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      protocol: 'http',
      uri: '/iaas/',
      connectionRetries: 1,
      connectionTimeoutMs: 2500,
      signatureMethod: 'HmacSHA1',
    });
  });

  it('names every missing or malformed key in one ConfigError', () => {
    const err = captureError(() =>
      parseConfigYaml('qy_secret_access_key: "has space"\nport: 70000\nprotocol: ftp\nconnection_timeout: -1\n', '/etc/qc.yaml'),
    );
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.code).toBe('QC_CONFIG_INVALID');
    for (const key of ['qy_access_key_id', 'qy_secret_access_key', 'zone', 'port', 'protocol', 'connection_timeout']) {
      expect(e.message).toContain(key);
      expect(e.keys).toContain(key);
    }
    expect(e.message).toContain('/etc/qc.yaml');
    expect(e.message).not.toContain('has space');
  });

  it('rejects YAML that is not a mapping', () => {
    expect(() => parseConfigYaml('- a\n- b\n')).toThrow(ConfigError);
    expect(() => parseConfigYaml('a: [unclosed\n')).toThrow(/not valid YAML/);
  });
});

describe('secret handling', () => {
  const config = parseConfigYaml(minimal);

  it('keeps the secret out of JSON, inspect and spreads', () => {
    expect(JSON.stringify(config)).not.toContain(SECRET);
    expect(JSON.stringify(config)).toContain('[redacted]');
    expect(inspect(config, { depth: 5 })).not.toContain(SECRET);
    expect(JSON.stringify({ nested: { config } })).not.toContain(SECRET);
    expect(Object.keys(config)).not.toContain('secretAccessKey');
  });

  it('keeps the secret out of error messages even when other keys are bad', () => {
    const err = captureError(() => parseConfigYaml(`qy_secret_access_key: ${SECRET}\nzone: "Bad Zone"\n`)) as ConfigError;
    expect(err.message).not.toContain(SECRET);
    expect(JSON.stringify(err)).not.toContain(SECRET);
    expect(inspect(err)).not.toContain(SECRET);
  });

  it('makeConfig builds the same redacted shape from fields', () => {
    const built = makeConfig({ ...config, secretAccessKey: 'another-secret' });
    expect(built.secretAccessKey).toBe('another-secret');
    expect(JSON.stringify(built)).not.toContain('another-secret');
  });
});

describe('loadConfig', () => {
  it('lets QY_* environment variables override the file', async () => {
    const config = await loadConfig({
      file: '/cfg.yaml',
      readFile: files({ '/cfg.yaml': minimal }),
      env: { QY_ZONE: 'sh1a', QY_PORT: '8443', QY_CONNECTION_TIMEOUT: '5', QY_SECRET_ACCESS_KEY: 'env-secret', OTHER: 'x' },
    });
    expect(config).toMatchObject({ zone: 'sh1a', port: 8443, connectionTimeoutMs: 5000, accessKeyId: 'AKID' });
    expect(config.secretAccessKey).toBe('env-secret');
  });

  it('works from the environment alone', async () => {
    const config = await loadConfig({
      env: { QY_ACCESS_KEY_ID: 'A', QY_SECRET_ACCESS_KEY: 'S', QY_ZONE: 'pek3', QY_PROTOCOL: 'http', QY_HOST: 'sim', QY_URI: '/iaas/', QY_CONNECTION_RETRIES: '0' },
    });
    expect(config).toMatchObject({ host: 'sim', protocol: 'http', uri: '/iaas/', connectionRetries: 0, port: 443 });
  });

  it('documents one environment variable per official key', () => {
    expect(Object.keys(CONFIG_ENV_VARS)).toHaveLength(9);
  });

  it('names the file when it cannot be read', async () => {
    await expect(loadConfig({ file: '/missing.yaml', readFile: files({}) })).rejects.toThrow(/\/missing\.yaml/);
  });

  it('names the file and the environment in a validation error', async () => {
    const err = (await loadConfig({ file: '/c.yaml', readFile: files({ '/c.yaml': 'zone: pek3a\n' }), env: { QY_PORT: 'x' } }).catch(
      (e: unknown) => e,
    )) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/\/c\.yaml/);
    expect(err.message).toMatch(/QY_PORT/);
    expect(err.keys).toEqual(expect.arrayContaining(['qy_access_key_id', 'qy_secret_access_key', 'port']));
  });
});

describe('readInstanceId', () => {
  it('returns the trimmed id', async () => {
    await expect(readInstanceId('/iid', files({ '/iid': 'i-abcd1234\n' }))).resolves.toBe('i-abcd1234');
  });

  it('rejects a malformed id naming the path', async () => {
    await expect(readInstanceId('/iid', files({ '/iid': 'vol-abcd1234' }))).rejects.toThrow(/\/iid.*i-xxxxxxxx/);
  });

  it('rejects an unreadable file naming the path', async () => {
    await expect(readInstanceId('/nope', files({}))).rejects.toThrow(/\/nope/);
  });
});

describe('endpointUrl', () => {
  it('always writes the port and collapses runs of slashes in the uri', () => {
    expect(endpointUrl({ protocol: 'https', host: 'api.qingcloud.com', port: 443, uri: '/iaas' })).toBe('https://api.qingcloud.com:443/iaas');
    expect(endpointUrl({ protocol: 'http', host: 'h', port: 80, uri: '//iaas///' })).toBe('http://h:80/iaas/');
  });
});
