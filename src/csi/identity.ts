import type { Clock } from '../shared/clock.js';
import type * as csi from './csi-types.js';
import { CsiError } from './errors.js';

/** Settings of the identity service. */
export interface IdentityOptions {
  driverName: string;
  version: string;
  /** Checks the plugin's dependencies (the controller: the IaaS with these keys); undefined = always ready. */
  readinessCheck?: () => Promise<void>;
  clock: Clock;
  /** How long a successful check is trusted, so liveness probes do not spend the API budget (2000 calls/hour). */
  probeCacheMs?: number;
}

const DEFAULT_PROBE_CACHE_MS = 30_000;

/** The CSI Identity service. Capabilities are the same wherever the plugin runs (spec: per vendor_version). */
export class IdentityService {
  private lastOkAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: IdentityOptions) {}

  async GetPluginInfo(): Promise<csi.GetPluginInfoResponse> {
    return { name: this.options.driverName, vendor_version: this.options.version, manifest: {} };
  }

  async GetPluginCapabilities(): Promise<csi.GetPluginCapabilitiesResponse> {
    return {
      capabilities: [
        { service: { type: 'CONTROLLER_SERVICE' }, type: 'service' },
        { service: { type: 'VOLUME_ACCESSIBILITY_CONSTRAINTS' }, type: 'service' },
        { volume_expansion: { type: 'ONLINE' }, type: 'volume_expansion' },
      ],
    };
  }

  async Probe(): Promise<csi.ProbeResponse> {
    const check = this.options.readinessCheck;
    if (check === undefined) return { ready: { value: true } };
    const now = this.options.clock.now();
    if (now - this.lastOkAt < (this.options.probeCacheMs ?? DEFAULT_PROBE_CACHE_MS)) return { ready: { value: true } };
    try {
      await check();
    } catch (err) {
      throw new CsiError('FAILED_PRECONDITION', `Probe: the QingCloud API cannot be used: ${(err as Error).message}`, { cause: err });
    }
    this.lastOkAt = now;
    return { ready: { value: true } };
  }
}
