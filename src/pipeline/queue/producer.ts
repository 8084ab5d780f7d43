/**
 * The ingest side: raw events → partition queues, one job per partition per
 * call (split when large), all of one queue in one round trip (add, or addBulk for several jobs).
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logging/logger';
import type { RedisKeys } from '../../redis/keys';
import { partitionKey, type EventMeta, type EventSource } from '../normalize/frame';
import { eventLabel, eventsEnqueued, eventsReceived, trackQueueDepth, untrackQueueDepth } from '../metrics';
import { EVENT_JOB, partitionOf, partitionQueueName } from './partitions';
import type { EventBatchJob } from './job';
import { JobStarts } from './job-starts';

/** Events per job at most: a catch-up of thousands becomes several jobs, still in order. */
export const MAX_EVENTS_PER_JOB = 200;

export interface RetryOptions {
  /** Attempts of a job before it goes to the failed set (default 5). */
  attempts?: number;
  /** First retry delay; doubles each time (default 1000 ms). */
  backoffMs?: number;
}

export interface EventQueuesOptions extends RetryOptions {
  /** A connection with `maxRetriesPerRequest: null` (src/redis/connect.ts); shared, not closed here. */
  connection: Redis;
  keys: RedisKeys;
  /** BRIDGE_PARTITIONS */
  partitions: number;
  /** Where Redis errors of the queues go while ioredis reconnects (otherwise BullMQ prints raw stacks). */
  log?: Logger;
}

export function jobOptions(retry: RetryOptions = {}): JobsOptions {
  return {
    attempts: retry.attempts ?? 5,
    backoff: { type: 'exponential', delay: retry.backoffMs ?? 1000 },
    removeOnComplete: true,
    removeOnFail: { age: 7 * 86_400, count: 10_000 },
  };
}

export class EventQueues {
  readonly queues: Queue<EventBatchJob>[];
  /** Which of the jobs added here have started and appended (fed by this process's workers, see job-starts.ts). */
  readonly starts: JobStarts;
  private readonly opts: JobsOptions;

  constructor(private readonly options: EventQueuesOptions) {
    this.opts = jobOptions(options);
    this.starts = new JobStarts(options.partitions);
    this.queues = Array.from({ length: options.partitions }, (_, p) => {
      const queue = new Queue<EventBatchJob>(partitionQueueName(p), {
        connection: options.connection,
        prefix: options.keys.bullPrefix,
      });
      trackQueueDepth(queue as Queue, p);
      queue.on('error', (err) => options.log?.warn({ partition: p, err: err.message }, 'event queue: Redis error'));
      return queue;
    });
  }

  /**
   * Adds raw events to their partitions' queues. Await each call before the
   * next one so that events of one channel stay in order. Returns the number
   * of jobs added.
   */
  async enqueueEvents(events: unknown[], source: EventSource, meta: Partial<EventMeta> = {}): Promise<number> {
    if (events.length === 0) return 0;
    const receivedAt = meta.receivedAt ?? Date.now();
    const groups = new Map<number, unknown[]>();
    for (const e of events) {
      eventsReceived.inc({ event: eventLabel((e as { event?: unknown } | null)?.event), source });
      const p = partitionOf(partitionKey(e), this.options.partitions);
      let group = groups.get(p);
      if (!group) groups.set(p, (group = []));
      group.push(e);
    }
    let jobs = 0;
    await Promise.all(
      [...groups].map(([p, group]) => {
        const bulk = [];
        for (let i = 0; i < group.length; i += MAX_EVENTS_PER_JOB) {
          const data: EventBatchJob = {
            v: 1,
            source,
            receivedAt,
            ...(meta.connectionId ? { connectionId: meta.connectionId } : {}),
            events: group.slice(i, i + MAX_EVENTS_PER_JOB),
          };
          bulk.push({ name: EVENT_JOB, data, opts: this.opts });
        }
        jobs += bulk.length;
        // One job: add() calls BullMQ's script directly. addBulk() builds an ioredis pipeline, which copies
        // every script defined on the connection (BullMQ's ~60) onto it: ~0.2 ms of CPU per call.
        const queue = this.queues[p];
        const adding =
          bulk.length === 1 ? queue.add(EVENT_JOB, bulk[0].data, this.opts).then((j) => [j]) : queue.addBulk(bulk);
        return adding.then((added) => {
          for (const job of added) this.starts.noteAdded(p, job.id);
        });
      }),
    );
    eventsEnqueued.inc({ source }, events.length);
    return jobs;
  }

  async close(): Promise<void> {
    for (const q of this.queues) untrackQueueDepth(q as Queue);
    await Promise.all(this.queues.map((q) => q.close()));
  }
}

/** `enqueueEvents` as a function, for callers holding an EventQueues. */
export function enqueueEvents(
  queues: EventQueues,
  events: unknown[],
  source: EventSource,
  meta?: Partial<EventMeta>,
): Promise<number> {
  return queues.enqueueEvents(events, source, meta);
}
