import type { Redis } from 'ioredis';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { RedisEventStore, STANDALONE_STREAM_ID } from '../../src/mcp/event-store';
import { redisKeys } from '../../src/redis/keys';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';

const note = (n: number): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/resources/updated',
  params: { uri: `mattermost://test/${n}` },
});

describe('RedisEventStore', () => {
  const prefix = testPrefix('evstore');
  const keys = redisKeys(prefix);
  let redis: Redis;

  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
  });

  async function replay(store: RedisEventStore, after: string) {
    const got: { id: string; message: JSONRPCMessage }[] = [];
    const stream = await store.replayEventsAfter(after, {
      send: async (id, message) => {
        got.push({ id, message });
      },
    });
    return { stream, got };
  }

  it('replays the standalone GET stream after an event id (the SDK example store does not)', async () => {
    const store = new RedisEventStore(redis, keys, 's1');
    const first = await store.storeEvent(STANDALONE_STREAM_ID, note(0));
    const ids = [];
    for (let i = 1; i <= 3; i++) ids.push(await store.storeEvent(STANDALONE_STREAM_ID, note(i)));
    expect(await store.getStreamIdForEventId(first)).toBe(STANDALONE_STREAM_ID);
    const { stream, got } = await replay(store, first);
    expect(stream).toBe(STANDALONE_STREAM_ID);
    expect(got.map((g) => g.id)).toEqual(ids);
    expect(got.map((g) => (g.message as unknown as { params: { uri: string } }).params.uri)).toEqual([
      'mattermost://test/1',
      'mattermost://test/2',
      'mattermost://test/3',
    ]);
  });

  it('replays a request stream only with its own events, skipping priming events', async () => {
    const store = new RedisEventStore(redis, keys, 's2');
    const priming = await store.storeEvent('req-a', {} as JSONRPCMessage);
    await store.storeEvent('req-b', note(10));
    const a1 = await store.storeEvent('req-a', note(11));
    await store.storeEvent(STANDALONE_STREAM_ID, note(12));
    const a2 = await store.storeEvent('req-a', { jsonrpc: '2.0', id: 1, result: {} });
    expect(await store.getStreamIdForEventId(priming)).toBe('req-a');
    const { stream, got } = await replay(store, priming);
    expect(stream).toBe('req-a');
    expect(got.map((g) => g.id)).toEqual([a1, a2]);
  });

  it('writes request-stream events behind, and a second instance replays them after the priming id', async () => {
    const a = new RedisEventStore(redis, keys, 's7');
    const b = new RedisEventStore(redis, keys, 's7');
    const priming = await a.storeEvent('req-c', {} as JSONRPCMessage);
    const progress = await a.storeEvent('req-c', note(20));
    const done = await a.storeEvent('req-c', { jsonrpc: '2.0', id: 3, result: { ok: true } });
    const { stream, got } = await replay(a, priming); // sends what is pending first
    expect(stream).toBe('req-c');
    expect(got.map((g) => g.id)).toEqual([progress, done]);
    expect(await b.getStreamIdForEventId(priming)).toBe('req-c');
    const fromB = await replay(b, progress);
    expect(fromB.got.map((g) => g.id)).toEqual([done]);
    expect(fromB.got[0].message).toEqual({ jsonrpc: '2.0', id: 3, result: { ok: true } });
  });

  it('does not store a response that is the first event of its stream (the client held no id to resume from)', async () => {
    const store = new RedisEventStore(redis, keys, 's8');
    const id = await store.storeEvent('req-d', { jsonrpc: '2.0', id: 4, result: {} });
    expect(await store.getStreamIdForEventId(id)).toBe('req-d');
    expect((await replay(store, id)).got).toEqual([]); // the replay sends what is pending before reading
    expect(await redis.exists(keys.mcpRequestEvents('s8'))).toBe(0);
    // a response after an earlier event of the stream is stored
    await store.storeEvent('req-e', note(30));
    await store.storeEvent('req-e', { jsonrpc: '2.0', id: 5, result: {} });
    await replay(store, id);
    expect(await redis.xlen(keys.mcpRequestEvents('s8'))).toBe(2);
  });

  it('drops the held events of a stream whose response was delivered, and writes the others when the hold ends', async () => {
    const store = new RedisEventStore(redis, keys, 's9');
    store.holdMs = 20;
    await store.storeEvent('req-f', {} as JSONRPCMessage);
    await store.storeEvent('req-f', note(40));
    await store.storeEvent('req-f', { jsonrpc: '2.0', id: 'f', result: {} });
    const primingG = await store.storeEvent('req-g', {} as JSONRPCMessage);
    const g = await store.storeEvent('req-g', { jsonrpc: '2.0', id: 7, result: {} });
    store.delivered(['f', 'unknown']);
    for (let i = 0; i < 200 && (await redis.xlen(keys.mcpRequestEvents('s9'))) === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const entries = await redis.xrange(keys.mcpRequestEvents('s9'), '-', '+');
    expect(entries.map(([, f]) => f[1])).toEqual(['req-g']);
    expect((await replay(new RedisEventStore(redis, keys, 's9'), primingG)).got.map((x) => x.id)).toEqual([g]);
  });

  it('is shared by two instances of the same session (another bridge process)', async () => {
    const a = new RedisEventStore(redis, keys, 's3');
    const b = new RedisEventStore(redis, keys, 's3');
    const start = await a.storeEvent(STANDALONE_STREAM_ID, note(0));
    const later = await a.storeEvent(STANDALONE_STREAM_ID, note(1));
    const { got } = await replay(b, start);
    expect(got.map((g) => g.id)).toEqual([later]);
  });

  it('stores the events of many sessions of one turn together, each in order; a failed XADD fails only its own event', async () => {
    const failed: [number, string][] = [];
    const stores = Array.from(
      { length: 450 },
      (_, i) => new RedisEventStore(redis, keys, `many-${i}`, undefined, (err) => failed.push([i, String(err)])),
    );
    await redis.set(keys.mcpEvents('many-7'), 'not a stream');
    const ids: string[][] = [];
    for (const st of stores) {
      ids.push([
        await st.storeEvent(STANDALONE_STREAM_ID, note(1)),
        await st.storeEvent(STANDALONE_STREAM_ID, note(2)),
      ]);
    }
    await stores[0].written();
    expect(failed).toEqual([
      [7, expect.stringMatching(/WRONGTYPE/)],
      [7, expect.stringMatching(/WRONGTYPE/)],
    ]);
    for (const i of [0, 123, 449]) {
      const { got } = await replay(stores[i], ids[i][0]);
      expect(got.map((g) => g.id)).toEqual([ids[i][1]]);
      expect(await redis.pttl(keys.mcpEvents(`many-${i}`))).toBeGreaterThan(0);
    }
  });

  it('makes GET-stream ids itself; one not above the last entry (a clock behind) is stored under a new id', async () => {
    const store = new RedisEventStore(redis, keys, 'ahead');
    await redis.xadd(
      keys.mcpEvents('ahead'),
      '99999999999999-0',
      's',
      STANDALONE_STREAM_ID,
      'm',
      JSON.stringify(note(0)),
    );
    const first = await store.storeEvent(STANDALONE_STREAM_ID, note(1));
    const second = await store.storeEvent(STANDALONE_STREAM_ID, note(2));
    expect(second).not.toBe(first);
    await store.written();
    // stored after the entry from "the future": a replay after an id the client got repeats, never skips
    const { got } = await replay(store, first);
    expect(got.map((g) => (g.message as unknown as { params: { uri: string } }).params.uri)).toEqual([
      'mattermost://test/0',
      'mattermost://test/1',
      'mattermost://test/2',
    ]);
  });

  it('reports a request-stream event whose stream id holds a newline instead of writing it', async () => {
    const errors: unknown[] = [];
    const store = new RedisEventStore(redis, keys, 'nl', undefined, (err) => errors.push(err));
    await store.storeEvent('bad\nstream', {} as JSONRPCMessage); // priming: the stream is resumable
    await store.storeEvent('bad\nstream', note(1));
    await store.storeEvent('good', {} as JSONRPCMessage);
    await store.storeEvent('good', note(2));
    await store.persistHeld();
    expect(errors.map(String)).toEqual([expect.stringMatching(/without newlines/)]);
    expect(await redis.xlen(keys.mcpRequestEvents('nl'))).toBe(1);
  });

  it('keeps sessions apart and rejects ids it never issued', async () => {
    const a = new RedisEventStore(redis, keys, 's4');
    const other = new RedisEventStore(redis, keys, 's5');
    const id = await a.storeEvent('req-x', note(1));
    expect(await other.getStreamIdForEventId(id)).toBeUndefined();
    for (const bad of ['', 'x', 'g', 'gabc', 'r1-1-1', '_GET_stream_123_abc', 'g1-1; DROP']) {
      expect(await a.getStreamIdForEventId(bad)).toBeUndefined();
      await expect(replay(a, bad)).rejects.toThrow(/unknown event id/);
    }
  });

  it('bounds what it keeps and expires with the session', async () => {
    const store = new RedisEventStore(redis, keys, 's6', { maxStandalone: 10, maxRequest: 10, ttlMs: 60_000 });
    for (let i = 0; i < 500; i++) await store.storeEvent(STANDALONE_STREAM_ID, note(i));
    expect(await redis.xlen(keys.mcpEvents('s6'))).toBeLessThan(200);
    const ttl = await redis.pttl(keys.mcpEvents('s6'));
    expect(ttl).toBeGreaterThan(60_000 - 5_000); // at least the idle timeout after the last event
    expect(ttl).toBeLessThanOrEqual(75_000); // at most 1¼ × it
    await store.clear();
    expect(await redis.exists(keys.mcpEvents('s6'))).toBe(0);
  });

  it('renews the expiry once a quarter of it passed, not with every event', async () => {
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const store = new RedisEventStore(redis, keys, 's7', { maxStandalone: 10, maxRequest: 10, ttlMs: 60_000 });
      await store.storeEvent(STANDALONE_STREAM_ID, note(1));
      await store.written();
      expect(await redis.pttl(keys.mcpEvents('s7'))).toBeGreaterThan(60_000);
      await redis.persist(keys.mcpEvents('s7'));
      now += 14_000; // within a quarter: the expiry set with the first event still covers this one
      await store.storeEvent(STANDALONE_STREAM_ID, note(2));
      await store.written();
      expect(await redis.pttl(keys.mcpEvents('s7'))).toBe(-1);
      now += 2_000; // past a quarter: renewed
      await store.storeEvent(STANDALONE_STREAM_ID, note(3));
      await store.written();
      expect(await redis.pttl(keys.mcpEvents('s7'))).toBeGreaterThan(60_000);
      // another store of the same session (another instance) sets it with its first event
      await redis.persist(keys.mcpEvents('s7'));
      const other = new RedisEventStore(redis, keys, 's7', { maxStandalone: 10, maxRequest: 10, ttlMs: 60_000 });
      await other.storeEvent(STANDALONE_STREAM_ID, note(4));
      await other.written();
      expect(await redis.pttl(keys.mcpEvents('s7'))).toBeGreaterThan(60_000);
      await store.clear();
    } finally {
      clock.mockRestore();
    }
  });
});
