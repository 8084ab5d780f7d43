/**
 * Repeatable REST jobs on one BullMQ queue (`catchup`), worked one at a time
 * across every process (global concurrency 1):
 *  - `poll`: the polling fallback, a catch-up pass every POLL_INTERVAL, on
 *    only while the WebSocket is down past BRIDGE_WS_GRACE or disabled;
 *  - `presence`: the presence poll every BRIDGE_STATUS_POLL_INTERVAL.
 * The active ingest switches the schedules (`startCatchupScheduler`); any
 * process with the `worker` role may run the jobs (`startCatchupWorker`).
 */
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logging/logger';
import type { RedisKeys } from '../../redis/keys';

export const CATCHUP_QUEUE = 'catchup';
export const POLL_SCHEDULER = 'poll';
export const PRESENCE_SCHEDULER = 'presence';

export type CatchupJobName = typeof POLL_SCHEDULER | typeof PRESENCE_SCHEDULER;

export interface CatchupJobData {
  v: 1;
}

const TEMPLATE_OPTS = { removeOnComplete: true, removeOnFail: { count: 100 } };

export interface CatchupSchedulerOptions {
  connection: Redis;
  keys: RedisKeys;
  /** POLL_INTERVAL */
  pollIntervalMs: number;
  /** BRIDGE_STATUS_POLL_INTERVAL */
  presenceIntervalMs: number;
  log: Logger;
}

export interface CatchupScheduler {
  readonly queue: Queue<CatchupJobData>;
  /** Turns the polling fallback on or off (idempotent). */
  setPolling(on: boolean): Promise<void>;
  setPresence(on: boolean): Promise<void>;
  /** Whether the `poll` schedule exists in Redis (any process may have set it). */
  isPolling(): Promise<boolean>;
  close(): Promise<void>;
}

export function startCatchupScheduler(options: CatchupSchedulerOptions): CatchupScheduler {
  const queue = new Queue<CatchupJobData>(CATCHUP_QUEUE, {
    connection: options.connection,
    prefix: options.keys.bullPrefix,
  });
  // without a listener BullMQ prints connection errors (Redis restarting) to the console
  queue.on('error', (err) => options.log.debug({ err: err.message }, 'catchup queue: Redis error'));
  const set = async (id: CatchupJobName, on: boolean, every: number) => {
    if (on) {
      const existing = await queue.getJobScheduler(id);
      if (existing && Number(existing.every) === every) return;
      await queue.upsertJobScheduler(id, { every }, { name: id, data: { v: 1 }, opts: TEMPLATE_OPTS });
      options.log.info({ schedule: id, everyMs: every }, 'REST schedule on');
    } else if (await queue.removeJobScheduler(id)) {
      options.log.info({ schedule: id }, 'REST schedule off');
    }
  };
  return {
    queue,
    setPolling: (on) => set(POLL_SCHEDULER, on, options.pollIntervalMs),
    setPresence: (on) => set(PRESENCE_SCHEDULER, on, options.presenceIntervalMs),
    isPolling: async () => (await queue.getJobScheduler(POLL_SCHEDULER)) !== undefined,
    close: () => queue.close(),
  };
}

export interface CatchupWorkerOptions {
  connection: Redis;
  keys: RedisKeys;
  log: Logger;
  /** One polling catch-up pass. */
  poll: () => Promise<unknown>;
  /** One presence pass. */
  presence: () => Promise<unknown>;
  /** BullMQ job lock (default 30 s): how soon a job of a dead worker is run again. */
  lockDurationMs?: number;
}

export interface CatchupWorker {
  readonly worker: Worker<CatchupJobData, unknown, CatchupJobName>;
  stop(): Promise<void>;
}

/** Works the `catchup` queue (one job at a time across all processes). */
export async function startCatchupWorker(options: CatchupWorkerOptions): Promise<CatchupWorker> {
  const queue = new Queue(CATCHUP_QUEUE, { connection: options.connection, prefix: options.keys.bullPrefix });
  await queue.setGlobalConcurrency(1);
  await queue.close();
  const worker = new Worker<CatchupJobData, unknown, CatchupJobName>(
    CATCHUP_QUEUE,
    async (job) => {
      if (job.name === POLL_SCHEDULER) return options.poll();
      if (job.name === PRESENCE_SCHEDULER) return options.presence();
      throw new Error(`unknown catch-up job ${String(job.name)}`);
    },
    {
      connection: options.connection,
      prefix: options.keys.bullPrefix,
      concurrency: 1,
      ...(options.lockDurationMs
        ? { lockDuration: options.lockDurationMs, stalledInterval: Math.max(500, options.lockDurationMs / 2) }
        : {}),
    },
  );
  worker.on('failed', (job, err) =>
    options.log.warn({ job: job?.name, err: err.message }, 'REST catch-up job failed; the next run retries'),
  );
  let lastError = 0;
  worker.on('error', (err) => {
    // Redis restarting makes every connection report; one line per 10 s is enough
    if (Date.now() - lastError < 10_000) return;
    lastError = Date.now();
    options.log.warn({ err: err.message }, 'catch-up worker: Redis error (BullMQ reconnects by itself)');
  });
  await worker.waitUntilReady();
  return { worker, stop: () => worker.close() };
}
