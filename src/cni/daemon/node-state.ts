import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { NetOps } from '../net/net-ops.js';
import type { NicProvider } from './nic-provider.js';
import type { Pool } from './pool.js';
import type { NicTable } from './state.js';

/** What reconcile and the orphan sweep both work on: this node's NIC table and pool, the cloud and the host. */
export interface NodeState {
  table: NicTable;
  pool: Pool;
  provider: NicProvider;
  netOps: NetOps;
  clock: Clock;
  logger: Logger;
  instanceId: string;
  hostNetns?: string;
}
