/**
 * Queue depths read straight from Redis, without BullMQ Queue objects, so
 * any process (an mcp-only one included) can report them cheaply: one
 * pipeline of LLEN/ZCARD over BullMQ's own keys (`<prefix>:<queue>:wait`, …).
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../redis/keys';
import { partitionQueueName } from './partitions';

export interface QueueDepths {
  /** Jobs (micro-batches) waiting, per partition. */
  waiting: number[];
  /** Jobs being worked now. */
  active: number;
  /** Jobs in BullMQ's failed set after their retries. */
  failed: number;
}

export async function eventQueueDepths(redis: Redis, keys: RedisKeys, partitions: number): Promise<QueueDepths> {
  const pipe = redis.pipeline();
  for (let p = 0; p < partitions; p++) {
    const base = `${keys.bullPrefix}:${partitionQueueName(p)}`;
    pipe.llen(`${base}:wait`).llen(`${base}:active`).zcard(`${base}:failed`);
  }
  const replies = ((await pipe.exec()) ?? []).map(([err, n]) => (err ? 0 : Number(n)));
  const out: QueueDepths = { waiting: [], active: 0, failed: 0 };
  for (let p = 0; p < partitions; p++) {
    out.waiting.push(replies[p * 3]);
    out.active += replies[p * 3 + 1];
    out.failed += replies[p * 3 + 2];
  }
  return out;
}
