/**
 * Reads answered from the head watcher's window (RecentEntries) must be the
 * reads Redis gives: a property over random appends (types, channels,
 * resource streams) and random reads (cursor, streams, filters, limit),
 * comparing a log with the window against one without on the same keys.
 * Batches are appended by either log: the window takes its own log's appends
 * at once (HeadWatcher.offer) and the other's through its XREAD.
 */
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';
import { eventually } from '../mcp/harness';
import { redisKeys } from '../../src/redis/keys';
import { RedisEventLog } from '../../src/eventlog/redis-event-log';
import { HeadWatcher } from '../../src/eventlog/head-watcher';
import { ZERO_CURSOR } from '../../src/eventlog/cursor';
import type { NewUpdate, UpdateType } from '../../src/updates/record';
import { URIS } from '../../src/updates/uris';

const CHANNELS = ['aaaaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbbbbb', 'cccccccccccccccccccccccccc'];
const TYPES: UpdateType[] = ['post.created', 'post.edited', 'reaction.added'];
const URI_POOL = [URIS.newChannelPosts, URIS.reactions, URIS.mentions, URIS.channelPosts(CHANNELS[0])];

describe('event log reads from the recent window', () => {
  let redis: Redis;
  const prefix = testPrefix('recent-reads');
  let run = 0;

  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await cleanupPrefix(redis, prefix);
    await redis.quit();
  });

  test('property: the same updates and next cursor as Redis, for cursors inside the window', async () => {
    let memoryReads = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            items: fc.array(
              fc.record({
                type: fc.constantFrom(...TYPES),
                channel: fc.constantFrom(...CHANNELS, undefined),
                uris: fc.subarray(URI_POOL),
              }),
              { minLength: 1, maxLength: 6 },
            ),
            byOther: fc.boolean(),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        fc.array(
          fc.record({
            at: fc.nat(),
            streams: fc.option(fc.subarray([...URI_POOL, URIS.events], { minLength: 1 }), { nil: undefined }),
            types: fc.option(fc.subarray(TYPES, { minLength: 1 }), { nil: undefined }),
            channels: fc.option(fc.subarray(CHANNELS, { minLength: 1 }), { nil: undefined }),
            limit: fc.integer({ min: 1, max: 12 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.integer({ min: 3, max: 40 }),
        async (batches, reads, window) => {
          const keys = redisKeys(`${prefix}:${++run}`);
          const options = { redis, keys, retentionMs: 86_400_000, maxLen: 100_000 };
          const withWindow = new RedisEventLog({ ...options, recentWindow: window });
          const redisOnly = new RedisEventLog({ ...options, recentWindow: 0 });
          try {
            // the head watchers follow the firehose from here (a short waitFor may pass its deadline under
            // load before it reaches the watcher, which then never starts); the other one keeps no window
            await Promise.all([withWindow, redisOnly].map((log) => log.watch()));
            const cursors = [ZERO_CURSOR];
            let n = 0;
            for (const batch of batches) {
              const updates: NewUpdate[] = batch.items.map((b) => ({
                eventId: `e${run}-${++n}`,
                type: b.type,
                uri: URIS.events,
                at: new Date().toISOString(),
                ...(b.channel ? { channelId: b.channel } : {}),
                data: { n },
                uris: b.uris,
              }));
              const writer = batch.byOther ? redisOnly : withWindow;
              cursors.push(...(await writer.append(updates)).map((r) => r.cursor));
            }
            // the watcher has read everything appended (a read after the newest cursor comes from memory)
            const newest = cursors[cursors.length - 1];
            await eventually(async () => {
              const m = withWindow.reads.memory;
              await withWindow.read({ after: newest, limit: 1 });
              return withWindow.reads.memory > m;
            });
            const before = withWindow.reads.memory;
            for (const r of reads) {
              const q = {
                after: cursors[r.at % cursors.length],
                streams: r.streams,
                types: r.types,
                channels: r.channels,
                limit: r.limit,
              };
              expect(await withWindow.read(q)).toEqual(await redisOnly.read(q));
            }
            memoryReads += withWindow.reads.memory - before;
            expect(redisOnly.reads.memory).toBe(0);
          } finally {
            await withWindow.close();
            await redisOnly.close();
          }
        },
      ),
      { numRuns: 25 },
    );
    expect(memoryReads).toBeGreaterThan(20); // the window answered, it was not always bypassed
  });

  test("the process's own appends are in the window when append() resolves, whichever answer (the append's or the XREAD's) is read first", async () => {
    const keys = redisKeys(`${prefix}:own-${++run}`);
    const log = new RedisEventLog({ redis, keys, retentionMs: 86_400_000, maxLen: 100_000 });
    try {
      await log.watch();
      let after = ZERO_CURSOR; // a read after 0-0 goes to Redis: start checking from the second append
      for (let i = 0; i < 20; i++) {
        const update: NewUpdate = {
          eventId: `own-${run}-${i}`,
          type: 'post.created',
          uri: URIS.events,
          at: new Date().toISOString(),
          channelId: CHANNELS[0],
          data: { i },
          uris: [URIS.newChannelPosts],
        };
        const [res] = await log.append([update]);
        const memory = log.reads.memory;
        const read = await log.read({ after, streams: [URIS.newChannelPosts], limit: 10 });
        if (i > 0) expect(log.reads.memory).toBe(memory + 1);
        expect(read.updates.map((u) => u.eventId)).toEqual([update.eventId]);
        expect(read.nextCursor).toBe(res.cursor);
        after = res.cursor;
      }
      // each entry came in one way or the other, never twice (under load Redis' XREAD answer is often read first)
      expect(log.watcherTaken.offered + log.watcherTaken.read).toBe(20);
      // a duplicate adds nothing: no entry offered, the window unchanged
      const offered = log.watcherTaken.offered;
      const [dup] = await log.append([
        { eventId: `own-${run}-0`, type: 'post.created', uri: URIS.events, at: '', data: {}, uris: [] },
      ]);
      expect(dup.duplicate).toBe(true);
      expect(log.watcherTaken.offered).toBe(offered);
      expect((await log.read({ after, limit: 10 })).updates).toEqual([]);
    } finally {
      await log.close();
    }
  });

  test('wake order: a tail is woken at once, a long poll on the next turn; an abort before then wins', async () => {
    const key = `${prefix}:order-${++run}`;
    await redis.xadd(key, '1-1', 'n', '1');
    const watcher = new HeadWatcher(redis, key, undefined, 10_000, 50);
    const settled = new Map<string, boolean>();
    const note = (name: string, p: Promise<boolean>) => void p.then((v) => settled.set(name, v));
    try {
      await expect(watcher.waitBeyond(ZERO_CURSOR, Date.now() + 5_000)).resolves.toBe(true); // started at 1-1
      const aborted = new AbortController();
      note('tail', watcher.waitBeyond('1-1', Infinity, undefined, 'now'));
      note('poll', watcher.waitBeyond('1-1', Date.now() + 5_000, undefined, 'next-turn'));
      note('aborted poll', watcher.waitBeyond('1-1', Date.now() + 5_000, aborted.signal, 'next-turn'));
      note('poll of a newer cursor', watcher.waitBeyond('2-1', Date.now() + 200, undefined, 'next-turn'));
      await new Promise((r) => setImmediate(r)); // all four are waiting
      expect(settled.size).toBe(0);
      watcher.offer('1-1', [['2-1', ['n', '2']]]);
      watcher.offer('2-1', [['2-2', ['n', '2b']]]); // a second move in the same turn wakes no one twice
      aborted.abort();
      for (let i = 0; i < 20; i++) await Promise.resolve(); // this turn's microtasks
      expect([...settled]).toEqual([
        ['tail', true],
        ['aborted poll', false],
      ]);
      await new Promise((r) => setImmediate(r));
      expect(Object.fromEntries(settled)).toEqual({
        tail: true,
        'aborted poll': false,
        poll: true,
        'poll of a newer cursor': true,
      });
    } finally {
      await watcher.close();
      await redis.del(key);
    }
  });

  test('offer: entries right after the newest read are taken at once; the XREAD later skips them; others wait for it', async () => {
    const key = `${prefix}:offer-${++run}`;
    await redis.xadd(key, '1-1', 'n', '1');
    const watcher = new HeadWatcher(redis, key, undefined, 10_000, 50);
    try {
      await expect(watcher.waitBeyond(ZERO_CURSOR, Date.now() + 5_000)).resolves.toBe(true); // started at 1-1
      const woken = watcher.waitBeyond('1-1', Date.now() + 5_000);
      watcher.offer('1-0', [['5-1', ['n', '5']]]); // does not follow the newest read: left to the XREAD
      watcher.offer('1-1', [['2-1', ['n', '2']]]);
      await expect(woken).resolves.toBe(true);
      expect(watcher.recentAfter('1-1')?.head).toBe('2-1');
      expect(watcher.taken).toEqual({ offered: 1, read: 0 });
      // the entries reach Redis (the XREAD was issued from 1-1): 2-1 is skipped, 3-1 taken from the XREAD
      await redis.xadd(key, '2-1', 'n', '2');
      await redis.xadd(key, '3-1', 'n', '3');
      await eventually(async () => watcher.taken.read === 1);
      const view = watcher.recentAfter('1-1')!;
      expect(view.entries.slice(view.from).map((e) => e.entry)).toEqual([
        ['2-1', ['n', '2']],
        ['3-1', ['n', '3']],
      ]);
      expect(view.head).toBe('3-1');
    } finally {
      await watcher.close();
      await redis.del(key);
    }
  });
});
