/**
 * The services one process shares between its roles, built once in
 * `app/serve.ts` (or `app/stdio.ts`) and handed to tools, resources and workers.
 */
import type { Redis } from 'ioredis';
import type { Client4 } from '@mattermost/client';
import type { BridgeConfig } from '../config/load';
import type { Logger } from '../logging/logger';
import type { RedisKeys } from '../redis/keys';
import type { EventLogReader, EventLogWriter } from '../eventlog/types';
import type { WatchList } from '../watches/types';
import type { Directory } from '../mattermost/directory';
import type { ChannelPolicy } from '../policy/channel-policy';

export interface BridgeServices {
  config: BridgeConfig;
  log: Logger;
  redis: Redis;
  keys: RedisKeys;
  /** Read side for MCP; `append` for the updates slash commands create (command.invoked/answered). */
  eventLog: EventLogReader & EventLogWriter;
  watches: WatchList;
  /** Client4 on the resilient fetch (timeouts, retries, circuit breaker, request budget). */
  mattermost: Client4;
  directory: Directory;
  /** The global channel policy from BRIDGE_CHANNELS_ALLOW/DENY and BRIDGE_ALLOW_DIRECT. */
  policy: ChannelPolicy;
}
