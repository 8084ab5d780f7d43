/**
 * Makes sure the suite has a Redis: REDIS_URL when it is set and answers,
 * otherwise a private redis-server for this run, otherwise one clear line.
 */
import { INSTALL_HINT, PrivateRedis, hasRedisServer, pingRedis } from '../helpers/redis-server';

export default async function globalSetup(): Promise<void> {
  const given = process.env.REDIS_URL;
  if (given && (await pingRedis(given))) return;
  if (!hasRedisServer()) throw new Error(INSTALL_HINT);
  const redis = await PrivateRedis.start();
  process.env.REDIS_URL = redis.url;
  (globalThis as { __privateRedis?: PrivateRedis }).__privateRedis = redis;
}
