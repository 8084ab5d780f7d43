/**
 * Scenario 2 — throughput of a burst.
 *
 * Bridge: `events` raw `posted` frames (real-shaped, on the bench channels, by
 * a real user of the fake) handed to the ingest's producer
 * (EventQueues.enqueueEvents, in batches of the ingest's micro-batch size),
 * drained by the bridge's normalize workers into the event log in the
 * bridge's process. Time from the first enqueue until the firehose stream has
 * grown by `events` entries (XINFO STREAM entries-added, so trimming does not
 * hide any).
 *
 * Baseline: bare BullMQ — `queue.addBulk` of `events` no-op jobs (in chunks)
 * drained by a no-op Worker in a child process; time from the first addBulk
 * until the worker has processed them all.
 */
import type { Redis } from 'ioredis';
import type { BenchWorld } from '../lib/env';
import type { Baseline } from '../lib/baseline';
import { nowMs, sleep } from '../lib/clock';
import { EventQueues } from '../../src/pipeline/queue';
import { redisKeys } from '../../src/redis/keys';
import { URIS } from '../../src/updates/uris';
import { postedFrame } from '../../test/pipeline/fixtures';

/** The ingest's micro-batch cap (src/pipeline/ingest/batcher.ts default). */
export const INGEST_BATCH = 2000;
export const BULK_CHUNK = 1000;

export interface ThroughputResult {
  events: number;
  ms: number;
  perSecond: number;
}

async function entriesAdded(redis: Redis, stream: string): Promise<number> {
  const exists = await redis.exists(stream);
  if (!exists) return 0;
  const info = (await redis.call('XINFO', 'STREAM', stream)) as (string | number)[];
  const i = info.indexOf('entries-added');
  if (i < 0) throw new Error('XINFO STREAM has no entries-added: Redis 7 or later is needed for the throughput count');
  return Number(info[i + 1]);
}

export async function bridgeThroughput(
  world: BenchWorld,
  prefix: string,
  partitions: number,
  opts: { events: number; timeoutMs?: number },
): Promise<ThroughputResult> {
  const keys = redisKeys(prefix);
  const conn = world.connect();
  const stream = keys.logStream(URIS.events);
  const producer = new EventQueues({ connection: conn, keys, partitions });
  const alice = world.fake.alice;
  const frames = Array.from({ length: opts.events }, (_, i) =>
    // the frame the fake (and Mattermost) sends for a post by alice on a bench channel
    postedFrame(
      {
        channel: world.channels[i % world.channels.length],
        user: alice,
        message: `burst post ${i}`,
        create_at: Date.now(),
      },
      i + 1,
    ),
  );
  const before = await entriesAdded(conn, stream);
  const t0 = nowMs();
  for (let i = 0; i < frames.length; i += INGEST_BATCH) {
    await producer.enqueueEvents(frames.slice(i, i + INGEST_BATCH), 'websocket', { receivedAt: Date.now() });
  }
  const deadline = t0 + (opts.timeoutMs ?? 120_000);
  while ((await entriesAdded(conn, stream)) - before < opts.events) {
    if (nowMs() > deadline) throw new Error(`bridge throughput: not all ${opts.events} events in the log in time`);
    await sleep(5);
  }
  const done = nowMs();
  await producer.close();
  const ms = done - t0;
  return { events: opts.events, ms: Math.round(ms), perSecond: Math.round((opts.events / ms) * 1000) };
}

export async function baselineThroughput(
  baseline: Baseline,
  opts: { events: number; timeoutMs?: number },
): Promise<ThroughputResult> {
  const { done } = await baseline.expectDrained(opts.events, opts.timeoutMs ?? 120_000);
  const t0 = nowMs();
  for (let i = 0; i < opts.events; i += BULK_CHUNK) {
    const n = Math.min(BULK_CHUNK, opts.events - i);
    await baseline.queue.addBulk(
      Array.from({ length: n }, (_, k) => ({ name: 'e', data: { seq: i + k }, opts: { removeOnComplete: true } })),
    );
  }
  const end = await done;
  await baseline.collect();
  const ms = end - t0;
  return { events: opts.events, ms: Math.round(ms), perSecond: Math.round((opts.events / ms) * 1000) };
}
