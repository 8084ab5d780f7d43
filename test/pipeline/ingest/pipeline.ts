/**
 * The event pipeline assembled from its real parts, as `serve --roles
 * ingest,worker` will: Redis, the resilient Client4 and cached directory on
 * the (fake) Mattermost, the watch list with the channel policy, the event
 * log, partition queues and normalize workers, the catch-up worker, and the
 * leader-elected ingest. Used in-process by the ingest tests and, through
 * bridge-process.ts, as a child process by the fault tests.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../../src/logging/logger';
import { createLogger } from '../../../src/logging/logger';
import { connectRedis } from '../../../src/redis/connect';
import { redisKeys, type RedisKeys } from '../../../src/redis/keys';
import { createMattermostClient, type ResilientClient4 } from '../../../src/mattermost/client';
import { CachedDirectory } from '../../../src/mattermost/directory-cache';
import { ChannelPolicy } from '../../../src/policy/channel-policy';
import { RedisWatchList } from '../../../src/watches';
import { RedisEventLog } from '../../../src/eventlog/redis-event-log';
import { EventQueues, startWorkers, type PipelineWorkers } from '../../../src/pipeline/queue';
import { restJobs, startCatchupWorker, type CatchupWorker } from '../../../src/pipeline/catchup';
import { startIngest, type IngestOptions, type RunningIngest } from '../../../src/pipeline/ingest';

export interface PipelineOptions {
  redisUrl: string;
  prefix: string;
  mattermostUrl: string;
  token: string;
  partitions?: number;
  /** Run the ingest role (default true). */
  ingest?: boolean;
  /** Run the worker role: normalize workers and the catch-up worker (default true). */
  worker?: boolean;
  ingestOptions?: Partial<IngestOptions>;
  log?: Logger;
}

export interface RunningPipeline {
  redis: Redis;
  keys: RedisKeys;
  client: ResilientClient4;
  eventLog: RedisEventLog;
  queues: EventQueues;
  watches: RedisWatchList;
  botUserId: string;
  ingest?: RunningIngest;
  stop(): Promise<void>;
}

/** Fast settings for tests: short grace, lock and reconnect delays. */
export const FAST_INGEST: IngestOptions = {
  websocket: true,
  wsGraceMs: 300,
  pollIntervalMs: 1000,
  presenceIntervalMs: 1000,
  lockTtlMs: 1500,
  skewMs: 2000,
  reconnect: { minMs: 50, jitterMs: 50, maxMs: 500, pingIntervalMs: 5000 },
};

export async function startPipeline(o: PipelineOptions): Promise<RunningPipeline> {
  const log = o.log ?? createLogger({ level: process.env.PIPELINE_LOG_LEVEL ?? 'silent', secrets: [o.token] });
  const redis = connectRedis(o.redisUrl);
  const keys = redisKeys(o.prefix);
  const partitions = o.partitions ?? 4;
  const client = createMattermostClient({
    url: o.mattermostUrl,
    token: o.token,
    timeoutMs: 5000,
    ratePerSec: 10_000,
    baseDelayMs: 20,
    maxDelayMs: 200,
    breakerThreshold: 1_000_000,
    log,
  });
  const me = await client.getMe();
  const directory = new CachedDirectory(client);
  const policy = ChannelPolicy.fromConfig({
    BRIDGE_CHANNELS_ALLOW: [],
    BRIDGE_CHANNELS_DENY: [],
    BRIDGE_ALLOW_DIRECT: false,
  });
  const watches = new RedisWatchList({ redis, keys, directory, policy, teams: [], log });
  const eventLog = new RedisEventLog({ redis, keys, retentionMs: 3_600_000, maxLen: 1_000_000, log });
  const queues = new EventQueues({ connection: redis, keys, partitions, attempts: 20, backoffMs: 100 });
  let workers: PipelineWorkers | undefined;
  let catchup: CatchupWorker | undefined;
  if (o.worker ?? true) {
    workers = await startWorkers({
      connection: redis,
      keys,
      partitions,
      eventLog,
      normalize: { directory, botUserId: me.id, botUsername: me.username, log },
      isStreamed: (id, hint) => watches.isStreamed(id, hint),
      log,
      attempts: 20,
      backoffMs: 100,
      lockDurationMs: 2000,
    });
    catchup = await startCatchupWorker({
      connection: redis,
      keys,
      log,
      lockDurationMs: 2000,
      ...restJobs({ client, watches, redis, keys, queues, botUserId: me.id, log }),
    });
  }
  const ingest =
    (o.ingest ?? true)
      ? await startIngest(
          { redis, keys, log, client, token: o.token, watches, queues },
          { ...FAST_INGEST, ...o.ingestOptions },
        )
      : undefined;
  return {
    redis,
    keys,
    client,
    eventLog,
    queues,
    watches,
    botUserId: me.id,
    ingest,
    async stop() {
      await ingest?.stop();
      await catchup?.stop();
      await workers?.stop();
      await queues.close();
      await eventLog.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
