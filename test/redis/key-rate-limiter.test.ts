/**
 * KeyRateLimiter against a real Redis: requests that do not wait for Redis
 * must never let a key spend more than its points (single instance), and a
 * spent key gets RateLimiterRes (429) again.
 */
import type { Redis } from 'ioredis';
import fc from 'fast-check';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { KeyRateLimiter } from '../../src/redis/key-rate-limiter';
import { cleanupPrefix, connectRedis, testPrefix } from '../helpers/redis';

describe('KeyRateLimiter', () => {
  const prefix = testPrefix('ratelimit');
  let redis: Redis;
  let n = 0;

  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
  });

  function limiter(points: number, errors: unknown[] = []) {
    const store = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:${++n}`, points, duration: 60 });
    return new KeyRateLimiter(store, (err) => errors.push(err));
  }

  /** Runs the waves (requests of a wave are concurrent); counts what went through and what got 429. */
  async function run(l: KeyRateLimiter, key: string, waves: number[]) {
    let allowed = 0;
    let refused = 0;
    for (const size of waves) {
      const results = await Promise.allSettled(Array.from({ length: size }, () => l.consume(key)));
      for (const r of results) {
        if (r.status === 'fulfilled') allowed++;
        else if (r.reason instanceof RateLimiterRes) refused++;
        else throw r.reason;
      }
    }
    return { allowed, refused };
  }

  it('lets exactly its points through, however the requests are spread', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 12 }),
        async (points, waves) => {
          const errors: unknown[] = [];
          const l = limiter(points, errors);
          const total = waves.reduce((a, b) => a + b, 0);
          const { allowed, refused } = await run(l, 'key', waves);
          expect(allowed).toBe(Math.min(points, total));
          expect(refused).toBe(total - allowed);
          expect(errors).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps keys apart and answers 429 with the time left in the window', async () => {
    const l = limiter(3);
    expect(await run(l, 'a', [1, 1, 1, 1])).toEqual({ allowed: 3, refused: 1 });
    expect(await run(l, 'b', [2])).toEqual({ allowed: 2, refused: 0 });
    const err = await l.consume('a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimiterRes);
    expect((err as RateLimiterRes).msBeforeNext).toBeGreaterThan(0);
    expect((err as RateLimiterRes).msBeforeNext).toBeLessThanOrEqual(60_000);
  });

  it('does not wait for Redis while the key clearly has budget left', async () => {
    const l = limiter(10);
    await l.consume('w'); // unknown key: waits for the answer
    let through = false;
    const next = l.consume('w').then(() => (through = true));
    // a Redis reply needs a turn of the event loop; a few microtasks are not enough for one
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(through).toBe(true);
    await next;
  });

  it('counts in Redis every request it let through without waiting', async () => {
    const l = limiter(100);
    await run(l, 'k', [1, 1, 5, 1, 10]);
    await l.flush();
    const stored = await redis.get(`${prefix}:${n}:k`);
    expect(Number(stored)).toBe(18);
  });

  it('sends the points of requests let through together, not one consume each', async () => {
    class Counting extends RateLimiterRedis {
      calls = 0;
      override consume(...args: Parameters<RateLimiterRedis['consume']>) {
        this.calls++;
        return super.consume(...args);
      }
    }
    const store = new Counting({ storeClient: redis, keyPrefix: `${prefix}:${++n}`, points: 1000, duration: 60 });
    const l = new KeyRateLimiter(store, () => undefined, 20);
    await l.consume('b'); // unknown key: waits for Redis
    for (let i = 0; i < 200; i++) await l.consume('b');
    await new Promise((r) => setTimeout(r, 60)); // the flush timer
    await l.flush();
    expect(store.calls).toBeLessThanOrEqual(3);
    expect(Number(await redis.get(`${prefix}:${n}:b`))).toBe(201);
  });

  it('counts the unsent points when a request has to wait for Redis', async () => {
    const l = limiter(5);
    await l.consume('u'); // answer: 4 left
    for (let i = 0; i < 4; i++) await l.consume('u'); // let through locally, unsent
    const err = await l.consume('u').catch((e: unknown) => e); // estimate spent: waits, sending 4 + 1
    expect(err).toBeInstanceOf(RateLimiterRes);
    expect(Number(await redis.get(`${prefix}:${n}:u`))).toBe(6);
  });
});
