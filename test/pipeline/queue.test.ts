import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';
import { redisKeys } from '../../src/redis/keys';
import { createLogger } from '../../src/logging/logger';
import { RedisEventLog } from '../../src/eventlog/redis-event-log';
import {
  EventQueues,
  jobOptions,
  makeProcessor,
  partitionOf,
  partitionQueueName,
  startWorkers,
} from '../../src/pipeline/queue';
import type { PipelineWorkers } from '../../src/pipeline/queue';
import { eventsDeduplicated, eventsNormalized, eventsSkipped, jobsFailed } from '../../src/pipeline/metrics';
import { registry } from '../../src/metrics/registry';
import { URIS } from '../../src/updates/uris';
import { partitionKey } from '../../src/pipeline/normalize';
import { CHANNELS, FixedDirectory, TEAM, USERS, broadcast, postedFrame } from './fixtures';

const PARTITIONS = 4;
const channels = Array.from({ length: 10 }, (_, i) => ({
  id: `chan${i}`.padEnd(26, 'k'),
  name: `chan-${i}`,
  display_name: `Chan ${i}`,
  type: 'O',
  team_id: TEAM.id,
}));

async function counter(c: Counter<string>, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await c.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 25_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('partition queues + normalize workers', () => {
  const prefix = testPrefix('queue');
  const keys = redisKeys(prefix);
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } });
  let redis: Redis;
  let eventLog: RedisEventLog;
  let producer: EventQueues;
  let workers: PipelineWorkers;
  const directory = new FixedDirectory();

  beforeAll(async () => {
    redis = connectRedis();
    eventLog = new RedisEventLog({ redis, keys, retentionMs: 3_600_000, maxLen: 100_000 });
    producer = new EventQueues({ connection: redis, keys, partitions: PARTITIONS, attempts: 3, backoffMs: 50 });
    workers = await startWorkers({
      connection: redis,
      keys,
      partitions: PARTITIONS,
      eventLog,
      normalize: { directory, botUserId: USERS.bot.id },
      log,
    });
  });

  afterAll(async () => {
    await workers.stop();
    await producer.close();
    await eventLog.close();
    await cleanupPrefix(redis, prefix);
    await redis.quit();
  });

  const firehoseLen = () => redis.xlen(keys.logStream(URIS.events));

  test('1,000 posts over 10 channels → exactly 1,000 post.created, in order within each channel', async () => {
    const before = await firehoseLen();
    const normalizedBefore = await counter(eventsNormalized, { type: 'post.created' });
    const sent = new Map<string, string[]>(channels.map((c) => [c.id, []]));
    const frames = Array.from({ length: 1000 }, (_, i) => {
      const channel = channels[(i * 7 + Math.floor(i / 13)) % 10];
      const id = `k${String(i).padStart(5, '0')}`.padEnd(26, 'z');
      sent.get(channel.id)!.push(`post.created:${id}`);
      return postedFrame({ id, channel: channel as never, message: `m${i}`, create_at: 1763683200000 + i }, i + 1);
    });
    for (let i = 0; i < frames.length; i += 50) {
      await producer.enqueueEvents(frames.slice(i, i + 50), 'websocket', { connectionId: 'c'.repeat(26) });
    }
    await until('1000 records', async () => (await firehoseLen()) - before >= 1000);
    await until('queues drained', async () => {
      const counts = await Promise.all(producer.queues.map((q) => q.getJobCounts('wait', 'active', 'delayed')));
      return counts.every((c) => c.wait + c.active + c.delayed === 0);
    });
    expect((await firehoseLen()) - before).toBe(1000);
    expect((await counter(eventsNormalized, { type: 'post.created' })) - normalizedBefore).toBe(1000);
    for (const c of channels) {
      const res = await eventLog.read({ after: '0-0', limit: 1000, streams: [URIS.channelPosts(c.id)] });
      expect(res.updates.map((u) => u.eventId)).toEqual(sent.get(c.id));
      expect(res.updates.every((u) => u.type === 'post.created' && u.channelId === c.id)).toBe(true);
    }
    const all = await eventLog.read({ after: '0-0', limit: 1000, types: ['post.created'] });
    expect(new Set(all.updates.map((u) => u.eventId)).size).toBe(1000);
  });

  test('the same frames twice (a replay, or WebSocket + catch-up) → one record each', async () => {
    const before = await firehoseLen();
    const dedupBefore = await counter(eventsDeduplicated);
    const frames = Array.from({ length: 20 }, (_, i) => postedFrame({ channel: channels[i % 3] as never }, i));
    await producer.enqueueEvents(frames, 'websocket');
    await producer.enqueueEvents(frames, 'catchup');
    await until('20 duplicates counted', async () => (await counter(eventsDeduplicated)) - dedupBefore >= 20);
    expect((await firehoseLen()) - before).toBe(20);
    expect((await counter(eventsDeduplicated)) - dedupBefore).toBe(20);
  });

  test('malformed frames, unknown events and bad JSON in data.post are counted, skipped and logged once each', async () => {
    const before = await firehoseLen();
    const skippedBefore = {
      malformed: await counter(eventsSkipped, { reason: 'malformed' }),
      unknown: await counter(eventsSkipped, { reason: 'unknown' }),
      ignored: await counter(eventsSkipped, { reason: 'ignored' }),
    };
    const linesBefore = lines.length;
    const channel = channels[4];
    const b = broadcast({ channel_id: channel.id });
    const good = postedFrame({ channel: channel as never, message: 'good' });
    await producer.enqueueEvents(
      [
        { event: 'posted', data: { post: '{"id": "broken' }, broadcast: b, seq: 1 },
        { event: 'weird_new_thing', data: {}, broadcast: b, seq: 2 },
        { event: 'typing', data: { parent_id: '', user_id: USERS.bob.id }, broadcast: b, seq: 3 },
        'not even an object',
        good,
      ],
      'websocket',
    );
    await until('the good post', async () => (await firehoseLen()) - before >= 1);
    await until(
      'skips counted',
      async () => (await counter(eventsSkipped, { reason: 'malformed' })) - skippedBefore.malformed >= 2,
    );
    expect((await firehoseLen()) - before).toBe(1);
    expect((await counter(eventsSkipped, { reason: 'malformed' })) - skippedBefore.malformed).toBe(2);
    expect((await counter(eventsSkipped, { reason: 'unknown' })) - skippedBefore.unknown).toBe(1);
    expect((await counter(eventsSkipped, { reason: 'ignored' })) - skippedBefore.ignored).toBe(1);
    const skippedLines = lines.slice(linesBefore).filter((l) => l.includes('event skipped'));
    expect(skippedLines).toHaveLength(3);
    expect(skippedLines.join('\n')).toContain('data.post');
    // the worker is still alive
    await producer.enqueueEvents([postedFrame({ channel: channel as never, message: 'after' })], 'websocket');
    await until('the next post', async () => (await firehoseLen()) - before >= 2);
  });

  test('a poison job ends in the failed set after its retries; its partition keeps flowing', async () => {
    const channel = channels[7];
    const p = partitionOf(channel.id, PARTITIONS);
    const queue = new Queue(partitionQueueName(p), { connection: redis, prefix: keys.bullPrefix });
    const failedBefore = await counter(jobsFailed, { partition: String(p), final: '1' });
    try {
      const poison = await queue.add('events', { v: 99, events: 'nope' }, jobOptions({ attempts: 3, backoffMs: 100 }));
      const before = await firehoseLen();
      const frames = Array.from({ length: 5 }, () => postedFrame({ channel: channel as never }));
      await producer.enqueueEvents(frames, 'websocket');
      await until('the good posts', async () => (await firehoseLen()) - before >= 5);
      await until(
        'the poison job failed for good',
        async () => (await queue.getJob(poison.id!))?.finishedOn !== undefined,
      );
      const job = await queue.getJob(poison.id!);
      expect(await job!.getState()).toBe('failed');
      expect(job!.attemptsMade).toBe(3);
      expect(job!.failedReason).toContain('unsupported payload version 99');
      expect((await firehoseLen()) - before).toBe(5);
      expect((await counter(jobsFailed, { partition: String(p), final: '1' })) - failedBefore).toBe(1);
      // still flowing after the failure
      await producer.enqueueEvents([postedFrame({ channel: channel as never })], 'websocket');
      await until('one more post', async () => (await firehoseLen()) - before >= 6);
    } finally {
      await queue.close();
    }
  });

  test('queue depth is reported per partition on scrape', async () => {
    const text = await registry.getSingleMetricAsString('mmb_event_queue_depth');
    for (let p = 0; p < PARTITIONS; p++)
      expect(text).toContain(`mmb_event_queue_depth{partition="${p}",state="wait"} 0`);
    expect(text).toMatch(/state="failed"} 1/);
  });

  test('one channel always maps to one partition', () => {
    const frame = postedFrame({ channel: channels[2] as never });
    expect(partitionKey(frame)).toBe(channels[2].id);
    const reaction = {
      event: 'reaction_added',
      data: { reaction: '{}' },
      broadcast: broadcast({ channel_id: channels[2].id }),
    };
    expect(partitionKey(reaction)).toBe(channels[2].id);
    expect(partitionOf(channels[2].id, 8)).toBe(partitionOf(channels[2].id, 8));
  });
});

describe('the processor with a stream filter', () => {
  test('updates of channels that are not streamed are dropped and counted', async () => {
    const redis = connectRedis();
    const prefix = testPrefix('filter');
    const keys = redisKeys(prefix);
    const eventLog = new RedisEventLog({ redis, keys, retentionMs: 60_000, maxLen: 1000 });
    try {
      const hints: unknown[] = [];
      const process = makeProcessor({
        connection: redis,
        keys,
        partitions: 1,
        eventLog,
        normalize: { directory: new FixedDirectory(), botUserId: USERS.bot.id },
        isStreamed: async (channelId, hint) => {
          hints.push(hint);
          return channelId !== CHANNELS.offTopic.id;
        },
        log: createLogger({ level: 'silent' }),
      });
      const before = await counter(eventsSkipped, { reason: 'not_streamed' });
      const out = await process({
        id: 'x',
        data: {
          v: 1,
          source: 'websocket',
          receivedAt: Date.now(),
          events: [
            postedFrame({ channel: CHANNELS.offTopic }),
            postedFrame({ channel: CHANNELS.town }),
            postedFrame({ channel: CHANNELS.offTopic }),
            { event: 'new_user', data: { user_id: USERS.bob.id }, broadcast: broadcast() },
          ],
        },
      });
      expect(out).toEqual({ appended: 2, duplicates: 0, skipped: 0 });
      expect((await counter(eventsSkipped, { reason: 'not_streamed' })) - before).toBe(2);
      expect(hints).toContainEqual({ name: 'off-topic', type: 'O', teamId: TEAM.id });
      const res = await eventLog.read({ after: '0-0', limit: 10 });
      expect(res.updates.map((u) => u.type)).toEqual(['post.created', 'user.created']);
      await expect(process({ id: 'y', data: { nope: true } as never })).rejects.toThrow(/invalid event batch job y/);
    } finally {
      await eventLog.close();
      await cleanupPrefix(redis, prefix);
      await redis.quit();
    }
  });
});
