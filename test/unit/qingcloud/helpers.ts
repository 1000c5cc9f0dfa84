import { makeConfig, type QingCloudConfig } from '../../../src/qingcloud/config.js';

/** The secret of testConfig; tests assert it never leaks. */
export const TEST_SECRET = 'SECRETACCESSKEY';

/** A config for unit tests (no network is ever used with it). */
export function testConfig(overrides: Partial<QingCloudConfig> = {}): QingCloudConfig {
  return makeConfig({
    accessKeyId: 'QYACCESSKEYIDEXAMPLE',
    secretAccessKey: TEST_SECRET,
    zone: 'pek3a',
    host: 'api.qingcloud.com',
    port: 443,
    protocol: 'https',
    uri: '/iaas/',
    connectionRetries: 2,
    connectionTimeoutMs: 1000,
    ...overrides,
  });
}
