import { makeConfig, type QingCloudConfig } from '../config.js';
import type { SimClientConfig } from './index.js';

/** The SDK config of a client pointed at a running simulator (what --write-client-config writes, as an object). */
export function sdkConfigFor(client: SimClientConfig, overrides: Partial<Pick<QingCloudConfig, 'connectionRetries' | 'connectionTimeoutMs'>> = {}): QingCloudConfig {
  return makeConfig({
    accessKeyId: client.qy_access_key_id,
    secretAccessKey: client.qy_secret_access_key,
    zone: client.zone,
    host: client.host,
    port: client.port,
    protocol: client.protocol,
    uri: client.uri,
    connectionRetries: overrides.connectionRetries ?? 3,
    connectionTimeoutMs: overrides.connectionTimeoutMs ?? 30_000,
  });
}
