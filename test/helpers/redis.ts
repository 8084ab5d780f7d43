/**
 * Redis for integration tests: the run's Redis (see test/setup), a unique key
 * prefix per test file, and clean-up by prefix (never FLUSHALL/FLUSHDB).
 */
import { randomBytes } from 'node:crypto';
import IORedis, { type Redis } from 'ioredis';

export function testRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run the tests through jest (test/setup/global-setup.ts)');
  return url;
}

/** A key prefix no other test run or file shares, e.g. `t:3f9a1c:ingest`. */
export function testPrefix(label = 't'): string {
  return `mmbtest-${randomBytes(4).toString('hex')}-${label}`;
}

export function connectRedis(url = testRedisUrl()): Redis {
  return new IORedis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

/** Deletes every key under `prefix`. */
export async function cleanupPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) removed += await redis.unlink(...keys);
  } while (cursor !== '0');
  return removed;
}
