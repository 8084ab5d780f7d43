/**
 * The services one process shares between its roles, built once in
 * `app/serve.ts` (or `app/stdio.ts`) and handed to tools, resources and workers.
 */
import type { Redis } from 'ioredis';
import type { Client4 } from '@mattermost/client';
import type { BridgeConfig } from '../config/load';
import type { Logger } from '../logging/logger';
import { redisKeys, type RedisKeys } from '../redis/keys';
import { connectRedis } from '../redis/connect';
import type { EventLogReader, EventLogWriter } from '../eventlog/types';
import { createEventLog } from '../eventlog';
import type { WatchList } from '../watches/types';
import { RedisWatchList } from '../watches';
import type { Directory } from '../mattermost/directory';
import { CachedDirectory } from '../mattermost/directory-cache';
import { createMattermostClient } from '../mattermost/client';
import { ChannelPolicy } from '../policy/channel-policy';

export interface BridgeServices {
  config: BridgeConfig;
  log: Logger;
  redis: Redis;
  /**
   * BullMQ's connection (queues, workers): BullMQ defines its ~60 Lua scripts on the connection it
   * is given and ioredis copies every defined script onto each new pipeline/multi, so the event
   * log's and the sessions' pipelines run on `redis`, which has none.
   */
  queueRedis: Redis;
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

/** Builds the shared services from config: the Redis connections, the resilient Client4, caches, log, watches. */
export function createBridgeServices(config: BridgeConfig, log: Logger): BridgeServices & { close(): Promise<void> } {
  if (!config.MATTERMOST_URL || !config.MATTERMOST_TOKEN) {
    throw new Error('MATTERMOST_URL and MATTERMOST_TOKEN are required');
  }
  const redis = connectRedis(config.REDIS_URL);
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error (retrying)'));
  const queueRedis = connectRedis(config.REDIS_URL);
  queueRedis.on('error', (err) => log.warn({ err: err.message }, 'redis (queues) connection error (retrying)'));
  const keys = redisKeys(config.BRIDGE_REDIS_PREFIX);
  const mattermost = createMattermostClient({
    url: config.MATTERMOST_URL,
    token: config.MATTERMOST_TOKEN,
    timeoutMs: config.BRIDGE_MM_TIMEOUT,
    ratePerSec: config.BRIDGE_MM_RATE,
    redis,
    budgetKeyPrefix: keys.rateLimit,
    log,
  });
  const directory = new CachedDirectory(mattermost);
  const policy = ChannelPolicy.fromConfig(config);
  const eventLog = createEventLog(config, redis, keys, log);
  const watches = new RedisWatchList({ redis, keys, directory, policy, teams: config.BRIDGE_TEAMS, log });
  return {
    config,
    log,
    redis,
    queueRedis,
    keys,
    eventLog,
    watches,
    mattermost,
    directory,
    policy,
    async close() {
      await eventLog.close();
      redis.disconnect();
      queueRedis.disconnect();
    },
  };
}
