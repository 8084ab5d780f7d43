import type { Redis } from 'ioredis';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';
import { redisKeys } from '../../src/redis/keys';
import { RedisEventLog } from '../../src/eventlog/redis-event-log';
import { CursorExpiredError, InvalidCursorError } from '../../src/eventlog/types';
import { compareCursors } from '../../src/eventlog/cursor';
import type { NewUpdate } from '../../src/updates/record';
import { URIS } from '../../src/updates/uris';

const CH_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaa';
const CH_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbb';

let seq = 0;
function post(channelId: string, id = `p${++seq}`.padEnd(26, 'x')): NewUpdate {
  return {
    eventId: `post.created:${id}`,
    type: 'post.created',
    uri: URIS.channelPosts(channelId),
    at: new Date().toISOString(),
    channelId,
    data: { post: { id, message: `hello ${id}` } },
    uris: [URIS.channelPosts(channelId), URIS.thread(id), URIS.newChannelPosts],
  };
}

function reaction(channelId: string, postId: string): NewUpdate {
  return {
    eventId: `reaction.added:${postId}:u:smile:${++seq}`,
    type: 'reaction.added',
    uri: URIS.reactions,
    at: new Date().toISOString(),
    channelId,
    data: { reaction: { postId } },
    uris: [URIS.reactions],
  };
}

describe('RedisEventLog', () => {
  let redis: Redis;
  const prefix = testPrefix('eventlog');
  const logs: RedisEventLog[] = [];
  let n = 0;
  /** Each test its own sub-prefix so streams start empty. */
  function makeLog(opts: { retentionMs?: number; maxLen?: number } = {}) {
    const keys = redisKeys(`${prefix}:${++n}`);
    const log = new RedisEventLog({
      redis,
      keys,
      retentionMs: opts.retentionMs ?? 3_600_000,
      maxLen: opts.maxLen ?? 100_000,
    });
    logs.push(log);
    return { log, keys };
  }

  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await Promise.all(logs.map((l) => l.close()));
    await cleanupPrefix(redis, prefix);
    await redis.quit();
  });

  test('append writes the firehose and every resource stream under the same cursor', async () => {
    const { log, keys } = makeLog();
    const updates = [post(CH_A), post(CH_B), post(CH_A)];
    const res = await log.append(updates);
    expect(res.map((r) => r.duplicate)).toEqual([false, false, false]);
    expect(compareCursors(res[0].cursor, res[1].cursor)).toBe(-1);
    expect(compareCursors(res[1].cursor, res[2].cursor)).toBe(-1);

    const all = await log.read({ after: '0-0', limit: 10 });
    expect(all.updates.map((u) => u.eventId)).toEqual(updates.map((u) => u.eventId));
    expect(all.updates.map((u) => u.cursor)).toEqual(res.map((r) => r.cursor));
    expect(all.nextCursor).toBe(res[2].cursor);
    expect(all.updates[0]).toEqual({
      cursor: res[0].cursor,
      eventId: updates[0].eventId,
      type: 'post.created',
      uri: updates[0].uri,
      at: updates[0].at,
      channelId: CH_A,
      data: updates[0].data,
    });

    const chA = await log.read({ after: '0-0', limit: 10, streams: [URIS.channelPosts(CH_A)] });
    expect(chA.updates.map((u) => u.cursor)).toEqual([res[0].cursor, res[2].cursor]);
    const thread = await log.read({
      after: '0-0',
      limit: 10,
      streams: [URIS.thread(updates[1].data.post ? (updates[1].data.post as { id: string }).id : '')],
    });
    expect(thread.updates.map((u) => u.cursor)).toEqual([res[1].cursor]);
    expect(await redis.xlen(keys.logStream(URIS.events))).toBe(3);
    expect(await redis.xlen(keys.logStream(URIS.newChannelPosts))).toBe(3);
    expect(await redis.get(keys.dedup(updates[0].eventId))).toBe(res[0].cursor);
    // resource streams expire with the retention; the firehose never does
    expect(await redis.pttl(keys.logStream(URIS.channelPosts(CH_A)))).toBeGreaterThan(3_000_000);
    expect(await redis.pttl(keys.logStream(URIS.events))).toBe(-1);
  });

  test('the same batch twice lands once, with the same cursors', async () => {
    const { log, keys } = makeLog();
    const updates = [post(CH_A), post(CH_A), reaction(CH_A, 'x')];
    const first = await log.append(updates);
    const second = await log.append(updates);
    expect(second.map((r) => r.duplicate)).toEqual([true, true, true]);
    expect(second.map((r) => r.cursor)).toEqual(first.map((r) => r.cursor));
    expect(await redis.xlen(keys.logStream(URIS.events))).toBe(3);
    expect(await redis.xlen(keys.logStream(URIS.channelPosts(CH_A)))).toBe(2);
    expect(await redis.xlen(keys.logStream(URIS.reactions))).toBe(1);
  });

  test('a duplicate inside one batch lands once', async () => {
    const { log, keys } = makeLog();
    const p = post(CH_A);
    const res = await log.append([p, post(CH_B), p]);
    expect(res.map((r) => r.duplicate)).toEqual([false, false, true]);
    expect(res[2].cursor).toBe(res[0].cursor);
    expect(await redis.xlen(keys.logStream(URIS.events))).toBe(2);
  });

  test('concurrent appends of overlapping batches: each update exactly once', async () => {
    const { log, keys } = makeLog();
    const updates = Array.from({ length: 60 }, (_, i) => post(i % 2 ? CH_A : CH_B));
    const batches = Array.from({ length: 8 }, (_, b) => updates.slice((b * 7) % 30, ((b * 7) % 30) + 30));
    const results = await Promise.all(batches.map((batch) => log.append(batch)));
    const cursorOf = new Map<string, string>();
    for (const r of results.flat()) {
      const known = cursorOf.get(r.eventId);
      if (known) expect(r.cursor).toBe(known);
      else cursorOf.set(r.eventId, r.cursor);
    }
    const distinct = new Set(batches.flat().map((u) => u.eventId));
    expect(results.flat().filter((r) => !r.duplicate)).toHaveLength(distinct.size);
    expect(await redis.xlen(keys.logStream(URIS.events))).toBe(distinct.size);
    const read = await log.read({ after: '0-0', limit: 1000 });
    expect(new Set(read.updates.map((u) => u.eventId)).size).toBe(distinct.size);
  });

  test('a batch larger than one script call keeps its order', async () => {
    const { log } = makeLog();
    const updates = Array.from({ length: 450 }, () => post(CH_A));
    const res = await log.append(updates);
    for (let i = 1; i < res.length; i++) expect(compareCursors(res[i - 1].cursor, res[i].cursor)).toBe(-1);
    const read = await log.read({ after: '0-0', limit: 1000, streams: [URIS.channelPosts(CH_A)] });
    expect(read.updates.map((u) => u.eventId)).toEqual(updates.map((u) => u.eventId));
  });

  test('filters by type, channel and predicate; pages with nextCursor', async () => {
    const { log } = makeLog();
    const updates: NewUpdate[] = [];
    for (let i = 0; i < 30; i++) updates.push(post(i % 3 ? CH_A : CH_B), reaction(CH_A, 'p'));
    await log.append(updates);
    const byType = await log.read({ after: '0-0', limit: 1000, types: ['reaction.added'] });
    expect(byType.updates).toHaveLength(30);
    const byChannel = await log.read({ after: '0-0', limit: 1000, types: ['post.created'], channels: [CH_B] });
    expect(byChannel.updates).toHaveLength(10);
    expect(byChannel.updates.every((u) => u.channelId === CH_B)).toBe(true);
    const accepted = await log.read({ after: '0-0', limit: 1000, accept: (u) => u.channelId === CH_A });
    expect(accepted.updates).toHaveLength(50);

    // paging through two streams with a small limit yields their union once, in log order
    const seen: string[] = [];
    let cursor = '0-0';
    for (let pages = 0; pages < 100; pages++) {
      const res = await log.read({
        after: cursor,
        limit: 7,
        streams: [URIS.channelPosts(CH_B), URIS.reactions, URIS.channelPosts(CH_B)],
      });
      seen.push(...res.updates.map((u) => u.cursor));
      if (res.updates.length === 0) break;
      cursor = res.nextCursor;
    }
    expect(seen).toHaveLength(40);
    expect([...seen].sort(compareCursors)).toEqual(seen);
    expect(new Set(seen).size).toBe(40);
  });

  test('without a cursor: the most recent updates, and the head as next cursor', async () => {
    const { log } = makeLog();
    const updates = Array.from({ length: 20 }, (_, i) => (i % 2 ? post(CH_A) : reaction(CH_B, 'q')));
    const res = await log.append(updates);
    const latest = await log.read({ limit: 3, types: ['post.created'] });
    expect(latest.updates.map((u) => u.eventId)).toEqual([updates[15], updates[17], updates[19]].map((u) => u.eventId));
    expect(latest.nextCursor).toBe(res[19].cursor);
    const latestAll = await log.read({ limit: 4, streams: [URIS.reactions] });
    expect(latestAll.updates.map((u) => u.cursor)).toEqual([res[12], res[14], res[16], res[18]].map((r) => r.cursor));
    expect(latestAll.nextCursor).toBe(res[19].cursor);
    expect(await log.head()).toBe(res[19].cursor);
    expect(await log.head(URIS.reactions)).toBe(res[18].cursor);
  });

  test('nothing new: nextCursor moves to the head even when the stream read is empty', async () => {
    const { log } = makeLog();
    const [a] = await log.append([post(CH_A)]);
    const [b] = await log.append([reaction(CH_B, 'z')]);
    const res = await log.read({ after: a.cursor, limit: 10, streams: [URIS.channelPosts(CH_A)] });
    expect(res.updates).toEqual([]);
    expect(res.nextCursor).toBe(b.cursor);
  });

  test('a catch-up page is one script call on the wire, not a MULTI (its replies were promoted)', async () => {
    const own = connectRedis();
    const monitor = await redis.monitor();
    try {
      const keys = redisKeys(`${prefix}:${++n}`);
      const log = new RedisEventLog({ redis: own, keys, retentionMs: 3_600_000, maxLen: 100_000 });
      logs.push(log);
      const res = await log.append(Array.from({ length: 10 }, () => post(CH_A)));
      await log.read({ limit: 1 }); // loads the script (a first EVALSHA is answered NOSCRIPT, then EVAL)
      const addr = /addr=(\S+)/.exec(String(await own.client('INFO')))![1];
      const seen: string[] = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source === addr) seen.push(String(args[0]).toLowerCase());
      });
      const after = await log.read({ after: res[0].cursor, limit: 3, streams: [URIS.channelPosts(CH_A)] });
      const latest = await log.read({ limit: 2, streams: [URIS.channelPosts(CH_A), URIS.newChannelPosts] });
      await own.ping(); // the marker that everything before it was seen
      for (const deadline = Date.now() + 5000; !seen.includes('ping') && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(after.updates.map((u) => u.cursor)).toEqual(res.slice(1, 4).map((r) => r.cursor));
      expect(latest.updates.map((u) => u.cursor)).toEqual(res.slice(8).map((r) => r.cursor));
      expect(seen).toEqual(['evalsha', 'evalsha', 'ping']);
    } finally {
      monitor.disconnect();
      own.disconnect();
    }
  });

  test('bad cursors and limits are refused clearly', async () => {
    const { log } = makeLog();
    await expect(log.read({ after: 'yesterday', limit: 5 })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(log.read({ after: '1-2-3', limit: 5 })).rejects.toThrow(/not a cursor/);
    await expect(log.read({ after: '0-0', limit: 0 })).rejects.toThrow(/limit/);
    expect((await log.read({ after: '0', limit: 5 })).updates).toEqual([]);
    // an empty log with a cursor older than the retention: expired, restart from the retention floor
    await expect(log.read({ after: '5', limit: 5 })).rejects.toBeInstanceOf(CursorExpiredError);
  });

  test('length trimming: an old cursor gets CursorExpiredError naming the cursor to restart from', async () => {
    const { log, keys } = makeLog({ maxLen: 10 });
    const res = await log.append(Array.from({ length: 400 }, () => post(CH_A)));
    const len = await redis.xlen(keys.logStream(URIS.events));
    expect(len).toBe(10);
    expect(await redis.xlen(keys.logStream(URIS.channelPosts(CH_A)))).toBe(10);
    const oldestKept = res[400 - len].cursor;

    let error: unknown;
    try {
      await log.read({ after: res[0].cursor, limit: 10 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CursorExpiredError);
    const expired = error as CursorExpiredError;
    expect(expired.oldest).toBe(res[400 - len - 1].cursor);
    expect(expired.message).toContain(`restart from cursor ${expired.oldest}`);

    const restart = await log.read({ after: expired.oldest, limit: 1000 });
    expect(restart.updates).toHaveLength(len);
    expect(restart.updates[0].cursor).toBe(oldestKept);
    // the trimmed entries' own channel stream is trimmed too
    await expect(
      log.read({ after: res[0].cursor, limit: 1, streams: [URIS.channelPosts(CH_A)] }),
    ).rejects.toBeInstanceOf(CursorExpiredError);
    // 0-0 means "from the oldest retained", never expired
    expect((await log.read({ after: '0-0', limit: 1000 })).updates).toHaveLength(len);
  });

  test('a cursor before the first entry of a never-trimmed stream is not expired', async () => {
    const { log } = makeLog({ maxLen: 10 });
    const [first] = await log.append([post(CH_A)]);
    const before = `${Number(first.cursor.split('-')[0]) - 5000}-0`;
    const res = await log.read({ after: before, limit: 10 });
    expect(res.updates.map((u) => u.cursor)).toEqual([first.cursor]);
    // a stream that never existed, recent cursor: empty, not expired
    const none = await log.read({ after: before, limit: 10, streams: [URIS.userStatus('u'.repeat(26))] });
    expect(none.updates).toEqual([]);
  });

  test('a stream gone past the retention rejects cursors older than the retention age', async () => {
    const { log } = makeLog({ retentionMs: 60_000 });
    const old = `${Date.now() - 120_000}-0`;
    await expect(log.read({ after: old, limit: 1, streams: [URIS.thread('t'.repeat(26))] })).rejects.toBeInstanceOf(
      CursorExpiredError,
    );
  });

  test('age trimming drops entries older than the retention', async () => {
    const { log, keys } = makeLog({ retentionMs: 1000 });
    const res = await log.append(Array.from({ length: 300 }, () => post(CH_A)));
    await new Promise((r) => setTimeout(r, 1200));
    await log.append([post(CH_A)]);
    const len = await redis.xlen(keys.logStream(URIS.events));
    expect(len).toBe(1);
    await expect(log.read({ after: res[0].cursor, limit: 1 })).rejects.toBeInstanceOf(CursorExpiredError);
  });

  describe('waitFor', () => {
    test('returns as soon as a matching update lands', async () => {
      const { log } = makeLog();
      await log.append([post(CH_A)]);
      const started = Date.now();
      const waiting = log.waitFor({ limit: 10, timeoutMs: 20_000, types: ['reaction.added'] });
      setTimeout(() => void log.append([post(CH_A)]), 100);
      const r = reaction(CH_B, 'w');
      setTimeout(() => void log.append([r]), 400);
      const res = await waiting;
      expect(res.updates.map((u) => u.eventId)).toEqual([r.eventId]);
      expect(res.nextCursor).toBe(res.updates[0].cursor);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    test('returns at once when updates are already there', async () => {
      const { log } = makeLog();
      const [a] = await log.append([post(CH_A)]);
      const [b] = await log.append([post(CH_A)]);
      const res = await log.waitFor({ after: a.cursor, limit: 10, timeoutMs: 20_000 });
      expect(res.updates.map((u) => u.cursor)).toEqual([b.cursor]);
    });

    test('returns empty at its deadline, cursor at the head', async () => {
      const { log } = makeLog();
      const [a] = await log.append([post(CH_A)]);
      const res = await log.waitFor({ after: a.cursor, limit: 10, timeoutMs: 300 });
      expect(res).toEqual({ updates: [], nextCursor: a.cursor });
    });

    test('ends promptly on abort', async () => {
      const { log } = makeLog();
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 100);
      const res = await log.waitFor({ limit: 10, timeoutMs: 25_000, signal: controller.signal });
      expect(res.updates).toEqual([]);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    test('many concurrent waiters all wake on one append', async () => {
      const { log } = makeLog();
      const waits = Array.from({ length: 20 }, () => log.waitFor({ limit: 5, timeoutMs: 20_000 }));
      await new Promise((r) => setTimeout(r, 200));
      const [a] = await log.append([post(CH_B)]);
      const results = await Promise.all(waits);
      for (const r of results) expect(r.updates.map((u) => u.cursor)).toEqual([a.cursor]);
    });
  });

  test('tail yields every update appended after the call, in order, until aborted', async () => {
    const { log } = makeLog();
    await log.append([post(CH_A)]);
    const controller = new AbortController();
    const got: string[] = [];
    const consuming = (async () => {
      for await (const u of log.tail(controller.signal)) {
        got.push(u.eventId);
        if (got.length === 25) controller.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const updates = Array.from({ length: 25 }, (_, i) => post(i % 2 ? CH_A : CH_B));
    for (let i = 0; i < 25; i += 5) await log.append(updates.slice(i, i + 5));
    await consuming;
    expect(got).toEqual(updates.map((u) => u.eventId));
  });

  test('tail after a cursor yields from there on, what was appended before the call included', async () => {
    const { log } = makeLog();
    const [first] = await log.append([post(CH_A)]);
    const missed = [post(CH_A), post(CH_B), post(CH_A)];
    await log.append(missed);
    const controller = new AbortController();
    const got: string[] = [];
    const later = post(CH_B);
    const consuming = (async () => {
      for await (const u of log.tail(controller.signal, first.cursor)) {
        got.push(u.eventId);
        if (got.length === 4) controller.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await log.append([later]);
    await consuming;
    expect(got).toEqual([...missed, later].map((u) => u.eventId));
  });
});
