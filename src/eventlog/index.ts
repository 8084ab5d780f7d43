/** The event log: Redis Streams read/write side (see docs/event-pipeline.md). */
import type { Redis } from 'ioredis';
import type { BridgeConfig } from '../config/load';
import type { Logger } from '../logging/logger';
import type { RedisKeys } from '../redis/keys';
import { RedisEventLog } from './redis-event-log';

export * from './types';
export { RedisEventLog, MAX_READ_LIMIT, type EventLogOptions } from './redis-event-log';
export { compareCursors, normalizeCursor, parseCursor, ZERO_CURSOR } from './cursor';

/** The event log with the retention of the config. Call `close()` on shutdown. */
export function createEventLog(config: BridgeConfig, redis: Redis, keys: RedisKeys, log?: Logger): RedisEventLog {
  return new RedisEventLog({
    redis,
    keys,
    retentionMs: config.BRIDGE_RETENTION_AGE,
    maxLen: config.BRIDGE_RETENTION_MAXLEN,
    log,
  });
}
