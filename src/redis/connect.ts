import IORedis, { type Redis, type RedisOptions } from 'ioredis';

/**
 * One Redis connection. `maxRetriesPerRequest: null` is what BullMQ needs and
 * lets commands wait through a Redis restart instead of failing.
 */
export function connectRedis(url: string, options: RedisOptions = {}): Redis {
  return new IORedis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    ...options,
  });
}
