import type { ActionHandler } from './common.js';
import { MISC_ACTIONS } from './misc.js';
import { NIC_ACTIONS } from './nics.js';
import { SNAPSHOT_ACTIONS } from './snapshots.js';
import { VOLUME_ACTIONS } from './volumes.js';

export type { ActionHandler, CallContext } from './common.js';

/** Every action the simulator implements; anything else is answered with 1101. */
export const ACTIONS: ReadonlyMap<string, ActionHandler> = new Map(
  Object.entries({ ...VOLUME_ACTIONS, ...SNAPSHOT_ACTIONS, ...NIC_ACTIONS, ...MISC_ACTIONS }),
);

/** Actions that need no `zone` parameter (qingcloud-api.md §4.3). */
export const ZONELESS_ACTIONS: ReadonlySet<string> = new Set(['DescribeZones']);
