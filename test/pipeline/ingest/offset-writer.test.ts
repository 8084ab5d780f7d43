/**
 * OffsetWriter: offsets written off the send path, on a real Redis
 * (ChannelOffsets). Property: whatever the pushes and failed writes, after
 * `flush()` every channel's stored offset is the newest pushed time and
 * writes never overlap.
 */
import fc from 'fast-check';
import { cleanupPrefix, connectRedis, testPrefix } from '../../helpers/redis';
import { redisKeys } from '../../../src/redis/keys';
import { createLogger } from '../../../src/logging/logger';
import { ChannelOffsets } from '../../../src/pipeline/catchup/offsets';
import { OffsetWriter } from '../../../src/pipeline/ingest/offset-writer';

const silent = createLogger({ level: 'silent' });
const prefix = testPrefix('offset-writer');
const redis = connectRedis();

afterAll(async () => {
  await cleanupPrefix(redis, prefix);
  redis.disconnect();
});

describe('OffsetWriter', () => {
  test('property: after flush every offset is the newest pushed, writes one at a time', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 1, max: 1e6 })), { maxLength: 5 }),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        fc.array(fc.boolean(), { maxLength: 10 }),
        async (pushes, failures) => {
          const keys = redisKeys(`${prefix}${run++}:`);
          const offsets = new ChannelOffsets(redis, keys);
          let inFlight = 0;
          let overlaps = 0;
          let call = 0;
          const writer = new OffsetWriter(
            async (o) => {
              if (inFlight > 0) overlaps++;
              inFlight++;
              try {
                if (failures[call++] ?? false) throw new Error('redis down');
                await offsets.advance(o);
              } finally {
                inFlight--;
              }
            },
            silent,
            0,
          );
          const newest = new Map<string, number>();
          for (const batch of pushes) {
            const map = new Map<string, number>(); // as postOffsetsOf: the newest per channel of a batch
            for (const [id, at] of batch) map.set(id, Math.max(map.get(id) ?? 0, at));
            for (const [id, at] of map) newest.set(id, Math.max(newest.get(id) ?? 0, at));
            writer.push(map);
            if (batch.length % 2) await Promise.resolve();
          }
          await writer.flush();
          expect(writer.size).toBe(0);
          expect(overlaps).toBe(0);
          const stored = await offsets.get([...newest.keys()]);
          for (const [id, at] of newest) expect(stored.get(id)).toBe(at);
        },
      ),
      { numRuns: 40 },
    );
  });

  test('writes at most once per interval; offsets pushed meanwhile join the next write', async () => {
    const writes: { at: number; offsets: Map<string, number> }[] = [];
    const writer = new OffsetWriter(async (o) => void writes.push({ at: Date.now(), offsets: o }), silent, 5, 80);
    writer.push(new Map([['a', 1]]));
    await new Promise((r) => setTimeout(r, 5));
    for (let i = 2; i <= 10; i++)
      writer.push(
        new Map([
          ['a', i],
          ['b', i],
        ]),
      );
    await writer.flush();
    expect(writes.map((w) => Object.fromEntries(w.offsets))).toEqual([{ a: 1 }, { a: 10, b: 10 }]);
    expect(writes[1].at - writes[0].at).toBeGreaterThanOrEqual(75);
  });

  test('close() stops retrying a write that keeps failing; flush() then returns', async () => {
    let calls = 0;
    const writer = new OffsetWriter(
      async () => {
        calls++;
        throw new Error('redis down');
      },
      silent,
      5,
    );
    writer.push(new Map([['a', 1]]));
    await new Promise((r) => setTimeout(r, 30));
    writer.close();
    await writer.flush();
    expect(calls).toBeGreaterThan(1);
    expect(writer.size).toBe(1);
  });
});
