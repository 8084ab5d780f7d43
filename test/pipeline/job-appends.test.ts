/**
 * JobAppends (src/pipeline/queue/job-appends.ts): the ingest's batching signal.
 * Unit rules, a property over interleavings, and the real thing: jobs added
 * through EventQueues and appended by this process's BullMQ workers, and the
 * micro-batcher sending on the signal so that each job is waiting before the
 * worker finishes the previous one.
 */
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';
import { redisKeys } from '../../src/redis/keys';
import { createLogger } from '../../src/logging/logger';
import { RedisEventLog } from '../../src/eventlog/redis-event-log';
import { EventQueues, JobAppends, startWorkers } from '../../src/pipeline/queue';
import { MicroBatcher } from '../../src/pipeline/ingest/batcher';
import { FixedDirectory, USERS, postedFrame, CHANNELS } from './fixtures';

describe('JobAppends', () => {
  test('open with nothing added; closed while an added job waits; open again once it appended', async () => {
    const s = new JobAppends(2);
    expect(s.allAppended()).toBe(true);
    await expect(s.whenAppended(0)).resolves.toBe(true);
    s.noteAdded(1, '7');
    expect(s.allAppended()).toBe(false);
    await expect(s.whenAppended(0)).resolves.toBe(false);
    const pending = s.whenAppended(5_000);
    s.noteAppended(1, '6'); // an older job: not enough
    s.noteAppended(0, '9'); // another partition: not enough
    expect(s.allAppended()).toBe(false);
    s.noteAppended(1, '7');
    await expect(pending).resolves.toBe(true);
  });

  test('whenAppended gives up after its time limit', async () => {
    const s = new JobAppends(1);
    s.noteAdded(0, '1');
    const t0 = Date.now();
    await expect(s.whenAppended(30)).resolves.toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
  });

  test('ids that are not integers are ignored (never block)', () => {
    const s = new JobAppends(1);
    s.noteAdded(0, 'custom-id');
    s.noteAdded(0, undefined);
    expect(s.allAppended()).toBe(true);
  });

  test('property: open exactly when every partition appended its highest added id', () => {
    const op = fc.record({ kind: fc.constantFrom('add', 'append'), p: fc.integer({ min: 0, max: 2 }), id: fc.nat(50) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const s = new JobAppends(3);
        const added = [0, 0, 0];
        const appended = [0, 0, 0];
        for (const o of ops) {
          if (o.kind === 'add') {
            s.noteAdded(o.p, String(o.id));
            added[o.p] = Math.max(added[o.p], o.id);
          } else {
            s.noteAppended(o.p, String(o.id));
            appended[o.p] = Math.max(appended[o.p], o.id);
          }
          expect(s.allAppended()).toBe(added.every((a, p) => appended[p] >= a));
        }
      }),
    );
  });
});

describe('JobAppends fed by real workers', () => {
  const prefix = testPrefix('jobappends');
  const keys = redisKeys(prefix);
  const log = createLogger({ level: 'silent' });
  let redis: Redis;

  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await cleanupPrefix(redis, prefix);
    await redis.quit();
  });

  test('jobs added through EventQueues are seen appended by this process’s workers', async () => {
    const eventLog = new RedisEventLog({ redis, keys, retentionMs: 3_600_000, maxLen: 100_000 });
    const queues = new EventQueues({ connection: redis, keys, partitions: 3 });
    const channels = [CHANNELS.town, CHANNELS.dev];
    const frames = Array.from({ length: 30 }, (_, i) =>
      postedFrame({ id: `p${i}`.padEnd(26, 'x'), channel: channels[i % 2] }, i + 1),
    );
    await queues.enqueueEvents(frames, 'websocket');
    expect(queues.appends.allAppended()).toBe(false); // no worker yet: the jobs wait
    await expect(queues.appends.whenAppended(50)).resolves.toBe(false);
    const workers = await startWorkers({
      connection: redis,
      keys,
      partitions: 3,
      eventLog,
      normalize: { directory: new FixedDirectory(), botUserId: USERS.bot.id },
      log,
      onJobAppended: (p, id) => queues.appends.noteAppended(p, id),
    });
    try {
      await expect(queues.appends.whenAppended(10_000)).resolves.toBe(true);
      await queues.enqueueEvents([postedFrame({ id: 'late'.padEnd(26, 'x') }, 99)], 'websocket');
      await expect(queues.appends.whenAppended(10_000)).resolves.toBe(true);
    } finally {
      await workers.stop();
      await queues.close();
      await eventLog.close();
    }
  });

  test('the batcher sends on the signal before the worker finishes the job, so that call takes the next job (the worker never runs dry)', async () => {
    const k = redisKeys(`${prefix}:chain`);
    const eventLog = new RedisEventLog({ redis, keys: k, retentionMs: 3_600_000, maxLen: 100_000 });
    const queues = new EventQueues({ connection: redis, keys: k, partitions: 1 });
    const batcher = new MicroBatcher({
      send: async (events) => void (await queues.enqueueEvents(events, 'websocket')),
      log,
      minIntervalMs: 5_000,
      ready: (timeoutMs) => queues.appends.whenAppended(timeoutMs),
    });
    const workers = await startWorkers({
      connection: redis,
      keys: k,
      partitions: 1,
      eventLog,
      normalize: { directory: new FixedDirectory(), botUserId: USERS.bot.id },
      log,
      onJobAppended: (p, id) => queues.appends.noteAppended(p, id),
    });
    const n = 20;
    let next = 0;
    const pushNext = () => {
      if (next < n) batcher.push(postedFrame({ id: `chain${next}`.padEnd(26, 'x') }, ++next));
    };
    let drained = 0;
    let done = 0;
    const worker = workers.workers[0];
    // one event arrives while each job runs: the batcher holds it until that job appended
    worker.on('active', pushNext);
    worker.on('drained', () => drained++);
    worker.on('completed', () => done++);
    try {
      pushNext();
      const deadline = Date.now() + 10_000;
      while (done < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(done).toBe(n);
      // every finishing call found the next job waiting: the worker ran dry only after the last one
      expect(drained).toBeLessThanOrEqual(1);
      expect((await eventLog.read({ after: '0-0', limit: 100 })).updates).toHaveLength(n);
    } finally {
      batcher.close();
      await workers.stop();
      await queues.close();
      await eventLog.close();
    }
  });
});
