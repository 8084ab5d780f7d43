/**
 * The normalize workers (role `worker`): one BullMQ Worker per partition
 * queue, concurrency 1 and a global concurrency of 1 per queue (so even with
 * several worker processes a partition runs one job at a time, in order).
 * A job normalizes its raw events, drops those of channels that are not
 * streamed, and appends the rest to the event log in one batch.
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logging/logger';
import type { RedisKeys } from '../../redis/keys';
import type { EventLogWriter } from '../../eventlog/types';
import type { ChannelRef } from '../../policy/types';
import type { NewUpdate } from '../../updates/record';
import { normalizeEvent, type NormalizeContext } from '../normalize/normalize';
import {
  eventsDeduplicated,
  eventsNormalized,
  eventsSkipped,
  ingestLag,
  jobsFailed,
  trackQueueDepth,
  untrackQueueDepth,
} from '../metrics';
import { invalidJob, type EventBatchJob } from './job';
import { partitionQueueName } from './partitions';
import type { RetryOptions } from './producer';

/** What the worker knows of an update's channel, so the stream filter rarely needs a lookup. */
export type ChannelHint = Omit<ChannelRef, 'id'>;

export interface WorkerOptions extends RetryOptions {
  /** A connection with `maxRetriesPerRequest: null`; BullMQ duplicates it for its blocking reads. Not closed here. */
  connection: Redis;
  keys: RedisKeys;
  partitions: number;
  eventLog: EventLogWriter;
  normalize: NormalizeContext;
  /** Whether a channel's updates are logged (watch list, team scope, policy); default: all. */
  isStreamed?: (channelId: string, hint: ChannelHint) => Promise<boolean>;
  log: Logger;
  /**
   * BullMQ job lock of a worker (default BullMQ's 30 s). A worker process that dies mid-job holds its
   * partition until the lock expires and the stalled check (every half of it) requeues the job.
   */
  lockDurationMs?: number;
  /** Told when a job starts (the ingest of this process batches by it: EventQueues.starts). */
  onJobStarted?: (partition: number, jobId: string | undefined) => void;
  /** Told when a job has appended its events, just before it completes (the ingest's next send goes then). */
  onJobAppended?: (partition: number, jobId: string | undefined) => void;
}

export interface JobOutcome {
  appended: number;
  duplicates: number;
  skipped: number;
}

export interface PipelineWorkers {
  workers: Worker<EventBatchJob, JobOutcome>[];
  /** Finishes the running jobs, then closes workers and queues. */
  stop(): Promise<void>;
}

function channelHint(u: NewUpdate): ChannelHint {
  const d = u.data as Record<string, Record<string, unknown> | undefined>;
  const src = d.post ?? d.channel ?? d.member ?? d.reaction ?? {};
  const name = src.channelName ?? (d.channel ? src.name : undefined);
  const type = src.channelType ?? (d.channel ? src.type : undefined);
  return {
    ...(typeof name === 'string' ? { name } : {}),
    ...(type === 'O' || type === 'P' || type === 'D' || type === 'G' ? { type } : {}),
    ...(u.teamId ? { teamId: u.teamId } : {}),
  };
}

/** The job processor, exported for tests of one batch without a queue. */
export function makeProcessor(options: WorkerOptions, partition = -1) {
  const { log } = options;
  return async (job: Pick<Job<EventBatchJob>, 'data' | 'id'>): Promise<JobOutcome> => {
    const problem = invalidJob(job.data);
    if (problem) throw new Error(`invalid event batch job ${job.id}: ${problem}`);
    const { events, receivedAt, connectionId, source } = job.data;

    const meta = { receivedAt, connectionId };
    const results = await Promise.all(events.map((raw) => normalizeEvent(raw, meta, options.normalize)));
    const updates: NewUpdate[] = [];
    let skipped = 0;
    for (const res of results) {
      if (res.ok) {
        updates.push(...res.updates);
        continue;
      }
      skipped++;
      eventsSkipped.inc({ reason: res.reason });
      if (res.reason !== 'ignored') {
        log.warn(
          { event: res.event.slice(0, 64), reason: res.reason, detail: res.detail, partition, source },
          'event skipped',
        );
      }
    }
    let streamed = updates;
    if (options.isStreamed) {
      const verdicts = new Map<string, Promise<boolean>>();
      const keep = await Promise.all(
        updates.map((u) => {
          if (!u.channelId) return true;
          let v = verdicts.get(u.channelId);
          if (!v) verdicts.set(u.channelId, (v = options.isStreamed!(u.channelId, channelHint(u))));
          return v;
        }),
      );
      streamed = updates.filter((_, i) => keep[i]);
      const dropped = updates.length - streamed.length;
      if (dropped) eventsSkipped.inc({ reason: 'not_streamed' }, dropped);
    }
    const appended = await options.eventLog.append(streamed);
    options.onJobAppended?.(partition, job.id);
    const lagSeconds = Math.max(0, Date.now() - receivedAt) / 1000;
    let duplicates = 0;
    appended.forEach((r, i) => {
      if (r.duplicate) {
        duplicates++;
        eventsDeduplicated.inc({ type: streamed[i].type });
      } else {
        eventsNormalized.inc({ type: streamed[i].type });
        ingestLag.observe(lagSeconds);
      }
    });
    return { appended: appended.length - duplicates, duplicates, skipped };
  };
}

/** Starts one worker per partition queue. */
export async function startWorkers(options: WorkerOptions): Promise<PipelineWorkers> {
  const queues: Queue[] = [];
  const workers: Worker<EventBatchJob, JobOutcome>[] = [];
  for (let p = 0; p < options.partitions; p++) {
    const name = partitionQueueName(p);
    const queue = new Queue(name, { connection: options.connection, prefix: options.keys.bullPrefix });
    queue.on('error', (err) => options.log.warn({ partition: p, err: err.message }, 'event queue: Redis error'));
    await queue.setGlobalConcurrency(1);
    trackQueueDepth(queue, p);
    queues.push(queue);
    const worker = new Worker<EventBatchJob, JobOutcome>(name, makeProcessor(options, p), {
      connection: options.connection,
      prefix: options.keys.bullPrefix,
      concurrency: 1,
      ...(options.lockDurationMs
        ? { lockDuration: options.lockDurationMs, stalledInterval: Math.max(500, options.lockDurationMs / 2) }
        : {}),
    });
    if (options.onJobStarted) worker.on('active', (job) => options.onJobStarted!(p, job.id));
    worker.on('failed', (job, err) => {
      const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1);
      jobsFailed.inc({ partition: String(p), final: final ? '1' : '0' });
      const fields = { partition: p, jobId: job?.id, attempt: job?.attemptsMade, err: err.message };
      if (final) options.log.error(fields, 'event batch job failed for good: it is in the failed set');
      else options.log.warn(fields, 'event batch job failed; it will be retried');
    });
    worker.on('error', (err) => options.log.error({ partition: p, err: err.message }, 'event worker error'));
    workers.push(worker);
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  return {
    workers,
    async stop() {
      await Promise.all(workers.map((w) => w.close()));
      for (const q of queues) untrackQueueDepth(q);
      await Promise.all(queues.map((q) => q.close()));
    },
  };
}

export async function stopWorkers(running: PipelineWorkers): Promise<void> {
  await running.stop();
}
