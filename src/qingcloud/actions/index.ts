import type { ActionContext } from './context.js';
import { InstancesApi } from './instances.js';
import { JobsApi } from './jobs.js';
import { NicsApi } from './nics.js';
import { QuotasApi } from './quotas.js';
import { SnapshotsApi } from './snapshots.js';
import { TagsApi } from './tags.js';
import { VolumesApi } from './volumes.js';
import { VxnetsApi } from './vxnets.js';
import { ZonesApi } from './zones.js';

/** Every typed action group. */
export interface QingCloudApi {
  volumes: VolumesApi;
  snapshots: SnapshotsApi;
  instances: InstancesApi;
  jobs: JobsApi;
  nics: NicsApi;
  vxnets: VxnetsApi;
  tags: TagsApi;
  zones: ZonesApi;
  quotas: QuotasApi;
}

/** The typed actions over one client (and its waiter, for the ...AndWait methods). */
export function createApi(ctx: ActionContext): QingCloudApi {
  return {
    volumes: new VolumesApi(ctx),
    snapshots: new SnapshotsApi(ctx),
    instances: new InstancesApi(ctx),
    jobs: new JobsApi(ctx.client),
    nics: new NicsApi(ctx),
    vxnets: new VxnetsApi(ctx),
    tags: new TagsApi(ctx),
    zones: new ZonesApi(ctx),
    quotas: new QuotasApi(ctx),
  };
}
