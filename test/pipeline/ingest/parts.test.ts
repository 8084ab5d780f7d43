/**
 * The ingest's parts on their own: the micro-batcher (property: every event
 * sent once, in order, never mixing connections, whatever fails), offsets read
 * from encoded posts (property: equal to a real JSON parse), the leader lock
 * on a real Redis, the published state, and the client console routing.
 */
import fc from 'fast-check';
import { WebSocketClient } from '@mattermost/client';
import { cleanupPrefix, connectRedis, testPrefix } from '../../helpers/redis';
import { redisKeys } from '../../../src/redis/keys';
import { createLogger } from '../../../src/logging/logger';
import { MicroBatcher, type BatchMeta } from '../../../src/pipeline/ingest/batcher';
import { RedisLock } from '../../../src/pipeline/ingest/lock';
import { isIngestReady, readIngestState, writeIngestStatus } from '../../../src/pipeline/ingest/state';
import { IngestSocket, routeClientConsole } from '../../../src/pipeline/ingest/websocket';
import { WebSocketServer } from 'ws';
import { eventsSkipped } from '../../../src/pipeline/metrics';
import { ChannelOffsets, postOffsetsOf } from '../../../src/pipeline/catchup/offsets';

const silent = createLogger({ level: 'silent' });

describe('MicroBatcher', () => {
  test('property: every pushed event is sent exactly once, in order, one connection per batch, despite failures', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('c1', 'c2', undefined), fc.nat(3)), { minLength: 1, maxLength: 120 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        fc.integer({ min: 1, max: 17 }),
        async (pushes, failures, maxBatch) => {
          const sent: { events: number[]; meta: BatchMeta }[] = [];
          let call = 0;
          const batcher = new MicroBatcher({
            log: silent,
            maxBatch,
            retryBaseMs: 0,
            minIntervalMs: 0,
            send: async (events, meta) => {
              if (failures[call++ % Math.max(1, failures.length)] && call < 60) throw new Error('redis down');
              sent.push({ events: [...(events as number[])], meta });
            },
          });
          const conn: (string | undefined)[] = [];
          let n = 0;
          for (const [c, pauseEvery] of pushes) {
            conn[n] = c;
            batcher.push(n++, c);
            if (pauseEvery === 0) await Promise.resolve();
          }
          await batcher.drain();
          const flat = sent.flatMap((b) => b.events);
          expect(flat).toEqual(Array.from({ length: n }, (_, i) => i));
          for (const b of sent) {
            expect(b.events.length).toBeLessThanOrEqual(maxBatch);
            expect(new Set(b.events.map((i) => conn[i])).size).toBe(1);
            expect(b.meta.connectionId).toBe(conn[b.events[0]]);
          }
          expect(batcher.size).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  test('pause holds events back without blocking push; resume sends them after', async () => {
    const sent: unknown[] = [];
    const batcher = new MicroBatcher({ log: silent, send: async (e) => void sent.push(...e) });
    batcher.pause();
    for (let i = 0; i < 10; i++) batcher.push(i, 'c');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([]);
    expect(batcher.size).toBe(10);
    batcher.resume();
    await batcher.drain();
    expect(sent).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('a long pause is bounded: past maxPausedEvents the events go out anyway', async () => {
    const sent: unknown[] = [];
    const batcher = new MicroBatcher({ log: silent, maxPausedEvents: 5, send: async (e) => void sent.push(...e) });
    batcher.pause();
    for (let i = 0; i < 6; i++) batcher.push(i);
    await batcher.drain();
    expect(sent).toHaveLength(6);
  });

  test('busy: events pushed while a send is in flight coalesce into few sends; after idle the first goes out alone', async () => {
    const sends: number[][] = [];
    const batcher = new MicroBatcher({
      log: silent,
      minIntervalMs: 40,
      send: async (events) => {
        sends.push([...(events as number[])]);
        await new Promise((r) => setImmediate(r));
      },
    });
    batcher.push(0);
    await batcher.drain();
    expect(sends).toEqual([[0]]); // idle: sent at once, alone
    // 30 events, one per macrotask, right after a send: they wait for the interval and go out together
    for (let i = 1; i <= 30; i++) {
      batcher.push(i);
      await new Promise((r) => setImmediate(r));
    }
    await batcher.drain();
    expect(sends.flat()).toEqual(Array.from({ length: 31 }, (_, i) => i));
    expect(sends.length).toBeLessThan(10);
    batcher.close();
  });

  test('busy with a `ready` signal: a send goes out as soon as the previous one was taken up, not after the interval', async () => {
    const sends: { events: number[]; at: number }[] = [];
    let taken: (() => void) | undefined;
    const readyCalls: number[] = [];
    const batcher = new MicroBatcher({
      log: silent,
      minIntervalMs: 10_000, // would hold the second send for 10 s without the signal
      ready: (timeoutMs) => {
        readyCalls.push(timeoutMs);
        return new Promise<boolean>((resolve) => (taken = () => resolve(true)));
      },
      send: async (events) => void sends.push({ events: [...(events as number[])], at: Date.now() }),
    });
    const t0 = Date.now();
    batcher.push(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(sends.map((s) => s.events)).toEqual([[0]]); // idle: at once
    for (let i = 1; i <= 5; i++) batcher.push(i); // held: the first send's work was not taken up yet
    await new Promise((r) => setTimeout(r, 50));
    expect(sends).toHaveLength(1);
    expect(readyCalls.length).toBeGreaterThan(0);
    expect(readyCalls[0]).toBeLessThanOrEqual(10_000);
    taken!();
    await batcher.drain();
    expect(sends.map((s) => s.events)).toEqual([[0], [1, 2, 3, 4, 5]]); // the held events went out together
    expect(Date.now() - t0).toBeLessThan(5_000);
    batcher.close();
  });

  test('busy with a `ready` signal that times out: the interval still bounds the hold', async () => {
    const sends: number[][] = [];
    const batcher = new MicroBatcher({
      log: silent,
      minIntervalMs: 30,
      ready: (timeoutMs) => new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs)),
      send: async (events) => void sends.push([...(events as number[])]),
    });
    batcher.push(0);
    await new Promise((r) => setImmediate(r));
    batcher.push(1);
    batcher.push(2);
    await batcher.drain();
    expect(sends).toEqual([[0], [1, 2]]);
    batcher.close();
  });
});

describe('postOffsetsOf', () => {
  const id = fc.stringMatching(/^[a-z0-9]{26}$/);
  test('property: the update_at read from the encoded post equals the parsed one (max per channel)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            channel: fc.constantFrom('a'.repeat(26), 'b'.repeat(26)),
            id,
            updateAt: fc.integer({ min: 1, max: 8e12 }),
            message: fc.oneof(fc.string(), fc.constant('"update_at":99999999999999'), fc.string({ unit: 'binary' })),
            event: fc.constantFrom('posted', 'post_edited', 'post_deleted', 'reaction_added'),
            viaBroadcast: fc.boolean(),
          }),
          { maxLength: 30 },
        ),
        (posts) => {
          const frames = posts.map((p) => ({
            event: p.event,
            data: {
              post: JSON.stringify({
                id: p.id,
                create_at: p.updateAt - 1,
                update_at: p.updateAt,
                edit_at: 0,
                channel_id: p.channel,
                message: p.message,
                props: { update_at: p.updateAt + 5 },
                metadata: { files: [{ update_at: p.updateAt + 10 }] },
              }),
            },
            broadcast: p.viaBroadcast ? { channel_id: p.channel } : {},
          }));
          const want = new Map<string, number>();
          for (const p of posts) {
            if (p.event === 'reaction_added') continue;
            want.set(p.channel, Math.max(want.get(p.channel) ?? 0, p.updateAt));
          }
          expect(postOffsetsOf(frames)).toEqual(want);
        },
      ),
    );
  });

  test('ignores frames that are not posts or are malformed', () => {
    expect(
      postOffsetsOf([null, 42, { event: 'posted' }, { event: 'posted', data: { post: '{bad' } }, { event: 'typing' }]),
    ).toEqual(new Map());
  });
});

describe('Redis parts', () => {
  const prefix = testPrefix('ingest-parts');
  const keys = redisKeys(prefix);
  const redis = connectRedis();

  afterAll(async () => {
    await cleanupPrefix(redis, prefix);
    await redis.quit();
  });

  test('RedisLock: one holder; renew keeps it, re-takes it when the key vanished, fails once another holds it', async () => {
    const a = new RedisLock(redis, keys.ingestLock, 5000, 'a');
    const b = new RedisLock(redis, keys.ingestLock, 5000, 'b');
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await a.renew()).toBe(true);
    expect(await redis.pttl(keys.ingestLock)).toBeGreaterThan(4000);
    await redis.del(keys.ingestLock); // e.g. Redis restarted without persistence
    expect(await a.renew()).toBe(true);
    expect(await a.holder()).toBe(a.token);
    expect(await b.release()).toBe(false); // not b's to release
    expect(await a.holder()).toBe(a.token);
    expect(await a.release()).toBe(true);
    expect(await b.acquire()).toBe(true);
    expect(await a.renew()).toBe(false);
    expect(await b.release()).toBe(true);
  });

  test('ChannelOffsets only move forward', async () => {
    const offsets = new ChannelOffsets(redis, keys);
    const c = 'c'.repeat(26);
    await offsets.advance(new Map([[c, 2000]]));
    await offsets.advance(new Map([[c, 1000]]));
    expect((await offsets.get([c, 'd'.repeat(26)])).get(c)).toBe(2000);
    await offsets.advance(new Map([[c, 3000]]));
    expect((await offsets.get([c])).get(c)).toBe(3000);
    expect(await offsets.lastRun()).toBeUndefined();
    await offsets.setLastRun(123);
    expect(await offsets.lastRun()).toBe(123);
  });

  test('the published ingest state reads back, expires, and tells readiness', async () => {
    const status = {
      instance: 'host:1:abc',
      websocket: 'connected' as const,
      connectionId: 'x'.repeat(26),
      catchingUp: false,
      polling: false,
      since: 1,
      updatedAt: 2,
      reconnects: 3,
    };
    await writeIngestStatus(redis, keys, status, 5000);
    expect(await readIngestState(redis, keys)).toEqual(status);
    expect(isIngestReady(status)).toBe(true);
    expect(isIngestReady({ ...status, websocket: 'disconnected' })).toBe(false);
    expect(isIngestReady({ ...status, websocket: 'disconnected', polling: true })).toBe(true);
    expect(isIngestReady({ ...status, websocket: 'connecting', catchingUp: true })).toBe(true);
    expect(isIngestReady(undefined)).toBe(false);
    await writeIngestStatus(redis, keys, status, 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(await readIngestState(redis, keys)).toBeUndefined();
  });
});

describe('console routing of @mattermost/client', () => {
  test("the client's console.log goes to the logger at debug; other console calls are untouched", () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(l) } });
    const spy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      routeClientConsole(log);
      // logs "websocket must have connection url" through console.log
      new WebSocketClient().initialize(undefined as unknown as string);
      console.log('from the test');
    } finally {
      spy.mockRestore();
    }
    const routed = lines.map((l) => JSON.parse(l) as { level: number; msg: string; source: string });
    expect(routed).toEqual([
      expect.objectContaining({ level: 20, msg: 'websocket must have connection url', source: '@mattermost/client' }),
    ]);
  });
});

describe('IngestSocket', () => {
  test('a frame that is not JSON is counted and skipped; the process and the stream go on', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    const auth: (string | undefined)[] = [];
    wss.on('connection', (ws, req) => {
      auth.push(req.headers.authorization);
      ws.send(JSON.stringify({ event: 'hello', data: { connection_id: 'k'.repeat(26) }, broadcast: {}, seq: 0 }));
      ws.send('this is {not json');
      ws.send(JSON.stringify({ event: 'posted', data: { post: '{}' }, broadcast: {}, seq: 1 }));
    });
    const { port } = wss.address() as { port: number };
    const before = (await eventsSkipped.get()).values.find((v) => v.labels.reason === 'malformed')?.value ?? 0;
    const got: string[] = [];
    const socket = new IngestSocket({
      url: `http://127.0.0.1:${port}/api/v4/websocket`,
      token: 'secret-token-123',
      log: silent,
      reconnect: { minMs: 10_000, pingIntervalMs: 60_000 },
      onEvent: (msg, connectionId) => got.push(`${String(msg.event)}@${connectionId}`),
      onMissed: () => undefined,
      onOpen: () => undefined,
      onClose: () => undefined,
    });
    try {
      socket.connect();
      const end = Date.now() + 5000;
      while (got.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual([`hello@${'k'.repeat(26)}`, `posted@${'k'.repeat(26)}`]);
      expect(auth).toEqual(['Bearer secret-token-123']);
      const after = (await eventsSkipped.get()).values.find((v) => v.labels.reason === 'malformed')?.value ?? 0;
      expect(after - before).toBe(1);
    } finally {
      socket.close();
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    }
  });
});
