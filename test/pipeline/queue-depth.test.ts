import type { Redis } from 'ioredis';
import { EventQueues, eventQueueDepths, partitionOf } from '../../src/pipeline/queue';
import { redisKeys } from '../../src/redis/keys';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';

describe('eventQueueDepths', () => {
  const prefix = testPrefix('depth');
  const keys = redisKeys(prefix);
  let redis: Redis;
  let queues: EventQueues;

  beforeAll(() => {
    redis = connectRedis();
    queues = new EventQueues({ connection: redis, keys, partitions: 3 });
  });

  afterAll(async () => {
    await queues.close();
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
  });

  it('counts the micro-batches waiting per partition, with no worker running', async () => {
    expect(await eventQueueDepths(redis, keys, 3)).toEqual({ waiting: [0, 0, 0], active: 0, failed: 0 });
    const frame = (channel: string) => ({ event: 'typing', data: {}, broadcast: { channel_id: channel }, seq: 1 });
    await queues.enqueueEvents([frame('a'.repeat(26))], 'websocket');
    await queues.enqueueEvents([frame('b'.repeat(26)), frame('c'.repeat(26))], 'websocket');
    // one job per call and partition: the partition of a, plus one for each partition b and c hash to
    const expected = [0, 0, 0];
    expected[partitionOf('a'.repeat(26), 3)]++;
    for (const p of new Set([partitionOf('b'.repeat(26), 3), partitionOf('c'.repeat(26), 3)])) expected[p]++;
    expect(await eventQueueDepths(redis, keys, 3)).toEqual({ waiting: expected, active: 0, failed: 0 });
  });
});
