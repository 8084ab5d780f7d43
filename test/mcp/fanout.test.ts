/**
 * The fan-out reader loop (src/mcp/fanout.ts) against a real event log: when
 * its tail fails (Redis outage) and the loop restarts, it goes on after the
 * last update it dispatched, so what was appended meanwhile is not skipped.
 */
import type { Redis } from 'ioredis';
import { FanOut } from '../../src/mcp/fanout';
import type { UpdateRecord } from '../../src/updates/record';
import type { NewUpdate } from '../../src/updates/record';
import { URIS } from '../../src/updates/uris';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';
import { buildServices, eventually, testConfig, testLogger, type TestServices } from './harness';

let seq = 0;
function post(channelId: string): NewUpdate {
  const id = `fan${++seq}`.padEnd(26, 'x');
  return {
    eventId: `post.created:${id}`,
    type: 'post.created',
    at: new Date().toISOString(),
    channelId,
    uris: [URIS.events, URIS.channelPosts(channelId)],
    data: { post: { id, channelId, message: `m${seq}` } },
  } as unknown as NewUpdate;
}

describe('fan-out reader loop', () => {
  const prefix = testPrefix('fanout');
  let redis: Redis;
  let services: TestServices;

  beforeAll(() => {
    redis = connectRedis();
    services = buildServices(testConfig(prefix), {}, connectRedis());
  });
  afterAll(async () => {
    await services.eventLog.close();
    await cleanupPrefix(redis, prefix);
    services.redis.disconnect();
    redis.disconnect();
  });

  test('a restarted loop resumes after the last update it dispatched', async () => {
    const channel = 'fanchannelxxxxxxxxxxxxxxxx';
    const real = services.eventLog;
    let failures = 0;
    let downUntil: Promise<void> | undefined;
    let tailedAfter: (string | undefined)[] = [];
    // a tail that fails once after its second update, while more updates are appended
    const flaky = {
      ...real,
      read: real.read.bind(real),
      waitFor: real.waitFor.bind(real),
      head: real.head.bind(real),
      async *tail(signal: AbortSignal, after?: string): AsyncGenerator<UpdateRecord> {
        tailedAfter.push(after);
        let n = 0;
        for await (const u of real.tail(signal, after)) {
          yield u;
          if (++n === 2 && failures === 0) {
            failures++;
            downUntil = real.append([post(channel), post(channel)]).then(() => undefined);
            throw new Error('connection lost');
          }
        }
      },
    };
    const fanout = new FanOut({ ...services, eventLog: flaky as unknown as TestServices['eventLog'] }, testLogger());
    const got: string[] = [];
    fanout.onUpdate((u) => got.push(u.eventId));
    await fanout.start();
    try {
      await eventually(() => tailedAfter.length === 1, 5000, 'the loop to start');
      await new Promise((r) => setTimeout(r, 100));
      const before = [post(channel), post(channel), post(channel)];
      await real.append(before);
      await eventually(() => failures === 1, 5000, 'the tail to fail');
      await downUntil;
      const after = [post(channel)];
      await real.append(after);
      await eventually(() => got.length >= 6, 5000, 'every update');
      await new Promise((r) => setTimeout(r, 200));
      expect(tailedAfter).toHaveLength(2);
      expect(tailedAfter[1]).toBeDefined(); // restarted from its last cursor, not from the head
      expect(new Set(got).size).toBe(got.length); // nothing twice
      expect(got).toHaveLength(6);
      expect(got.slice(0, 3)).toEqual(before.map((u) => u.eventId));
      expect(got[5]).toBe(after[0].eventId);
    } finally {
      await fanout.stop();
      tailedAfter = [];
    }
  });
});
