/**
 * JobStarts (src/pipeline/queue/job-starts.ts): the ingest's batching signal.
 * Unit rules, a property over interleavings, and the real thing: jobs added
 * through EventQueues and started by this process's BullMQ workers.
 */
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';
import { redisKeys } from '../../src/redis/keys';
import { createLogger } from '../../src/logging/logger';
import { RedisEventLog } from '../../src/eventlog/redis-event-log';
import { EventQueues, JobStarts, startWorkers } from '../../src/pipeline/queue';
import { FixedDirectory, USERS, postedFrame, CHANNELS } from './fixtures';

describe('JobStarts', () => {
  test('started: open with nothing added; closed while an added job waits; open again once it started', () => {
    const s = new JobStarts(2);
    expect(s.allStarted()).toBe(true);
    s.noteAdded(1, '7');
    expect(s.allStarted()).toBe(false);
    s.noteStarted(1, '6'); // an older job: not enough
    s.noteStarted(0, '9'); // another partition: not enough
    expect(s.allStarted()).toBe(false);
    s.noteStarted(1, '7');
    expect(s.allStarted()).toBe(true);
  });

  test('ids that are not integers are ignored (never block)', () => {
    const s = new JobStarts(1);
    s.noteAdded(0, 'custom-id');
    s.noteAdded(0, undefined);
    expect(s.allStarted()).toBe(true);
  });
});

describe('JobStarts: taken (started and appended)', () => {
  test('whenTaken waits for the newest started job to append, on every partition', async () => {
    const s = new JobStarts(2);
    await expect(s.whenTaken(0)).resolves.toBe(true); // nothing added: open
    s.noteAdded(0, '3');
    s.noteStarted(0, '3');
    expect(s.allStarted()).toBe(true);
    expect(s.allTaken()).toBe(false); // job 3 runs: the batch would wait behind it
    const pending = s.whenTaken(5_000);
    s.noteAppended(0, '2'); // an older job: not enough
    s.noteAdded(1, '8');
    s.noteAppended(0, '3'); // partition 1 still has a job waiting
    expect(s.allTaken()).toBe(false);
    s.noteAppended(1, '8'); // appended implies started
    await expect(pending).resolves.toBe(true);
    expect(s.allStarted()).toBe(true);
  });

  test('whenTaken gives up after its time limit', async () => {
    const s = new JobStarts(1);
    s.noteAdded(0, '1');
    await expect(s.whenTaken(20)).resolves.toBe(false);
    s.noteAppended(0, '1');
    await expect(s.whenTaken(0)).resolves.toBe(true);
  });

  test('a waiter is not woken by a start alone, only once the started job appended', async () => {
    const s = new JobStarts(1);
    s.noteAdded(0, '5');
    let taken: boolean | undefined;
    void s.whenTaken(5_000).then((v) => (taken = v));
    s.noteStarted(0, '5');
    await new Promise((r) => setImmediate(r));
    expect(taken).toBeUndefined();
    s.noteAppended(0, '5');
    await new Promise((r) => setImmediate(r));
    expect(taken).toBe(true);
  });

  test('property: started when every partition started its highest added id; taken when it also appended its highest started', () => {
    const op = fc.record({
      kind: fc.constantFrom('add', 'start', 'append'),
      p: fc.integer({ min: 0, max: 2 }),
      id: fc.nat(50),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const s = new JobStarts(3);
        const added = [0, 0, 0];
        const started = [0, 0, 0];
        const appended = [0, 0, 0];
        for (const o of ops) {
          if (o.kind === 'add') {
            s.noteAdded(o.p, String(o.id));
            added[o.p] = Math.max(added[o.p], o.id);
          } else if (o.kind === 'start') {
            s.noteStarted(o.p, String(o.id));
            started[o.p] = Math.max(started[o.p], o.id);
          } else {
            s.noteAppended(o.p, String(o.id));
            appended[o.p] = Math.max(appended[o.p], o.id);
            started[o.p] = Math.max(started[o.p], o.id);
          }
          expect(s.allStarted()).toBe(added.every((a, p) => started[p] >= a));
          expect(s.allTaken()).toBe(added.every((a, p) => started[p] >= a && appended[p] >= started[p]));
        }
      }),
    );
  });
});

describe('JobStarts fed by real workers', () => {
  const prefix = testPrefix('jobstarts');
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

  test('jobs added through EventQueues are seen starting by this process’s workers', async () => {
    const eventLog = new RedisEventLog({ redis, keys, retentionMs: 3_600_000, maxLen: 100_000 });
    const queues = new EventQueues({ connection: redis, keys, partitions: 3 });
    const channels = [CHANNELS.town, CHANNELS.dev];
    const frames = Array.from({ length: 30 }, (_, i) =>
      postedFrame({ id: `p${i}`.padEnd(26, 'x'), channel: channels[i % 2] }, i + 1),
    );
    await queues.enqueueEvents(frames, 'websocket');
    expect(queues.starts.allStarted()).toBe(false); // no worker yet: the jobs wait
    await expect(queues.starts.whenTaken(50)).resolves.toBe(false);
    const workers = await startWorkers({
      connection: redis,
      keys,
      partitions: 3,
      eventLog,
      normalize: { directory: new FixedDirectory(), botUserId: USERS.bot.id },
      log,
      onJobStarted: (p, id) => queues.starts.noteStarted(p, id),
      onJobAppended: (p, id) => queues.starts.noteAppended(p, id),
    });
    try {
      await expect(queues.starts.whenTaken(10_000)).resolves.toBe(true);
      expect(queues.starts.allStarted()).toBe(true);
      await queues.enqueueEvents([postedFrame({ id: 'late'.padEnd(26, 'x') }, 99)], 'websocket');
      expect(queues.starts.allTaken()).toBe(false); // the late job was added, not yet taken
      await expect(queues.starts.whenTaken(10_000)).resolves.toBe(true);
      expect(queues.starts.allStarted()).toBe(true);
      // taken means appended: the late post is in the log by then
      const { updates } = await eventLog.read({ after: '0-0', limit: 1000 });
      expect(updates.some((u) => JSON.stringify(u.data).includes('late'))).toBe(true);
    } finally {
      await workers.stop();
      await queues.close();
      await eventLog.close();
    }
  });
});
