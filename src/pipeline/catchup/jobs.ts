/**
 * What the `catchup` queue's jobs do, bound to their dependencies: the
 * polling fallback's catch-up pass and the presence pass. Hand the result to
 * `startCatchupWorker`.
 */
import type { Client4 } from '@mattermost/client';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logging/logger';
import type { RedisKeys } from '../../redis/keys';
import type { WatchList } from '../../watches/types';
import type { EventQueues } from '../queue/producer';
import { pollPresence, type PresenceReport } from '../presence/presence';
import { listStreamedChannels, runCatchup, type CatchupReport } from './catchup';
import { ChannelOffsets } from './offsets';

export interface RestJobsDeps {
  client: Client4;
  watches: Pick<WatchList, 'isStreamed'>;
  redis: Redis;
  keys: RedisKeys;
  queues: EventQueues;
  /** The bot's user id (not polled for presence: its own status comes over the WebSocket). */
  botUserId: string;
  log: Logger;
  /** Catch-up skew (default 2 s). */
  skewMs?: number;
}

export interface RestJobs {
  poll(): Promise<CatchupReport>;
  presence(): Promise<PresenceReport>;
}

export function restJobs(deps: RestJobsDeps): RestJobs {
  const offsets = new ChannelOffsets(deps.redis, deps.keys);
  return {
    poll: async () => {
      const report = await runCatchup(
        {
          client: deps.client,
          watches: deps.watches,
          offsets,
          enqueue: (events, source) => deps.queues.enqueueEvents(events, source),
          log: deps.log,
        },
        { source: 'poll', skewMs: deps.skewMs },
      );
      deps.log.debug({ ...report, failed: report.failed.length }, 'polling catch-up pass');
      return report;
    },
    presence: async () =>
      pollPresence(
        {
          client: deps.client,
          redis: deps.redis,
          keys: deps.keys,
          enqueue: (events, source, meta) => deps.queues.enqueueEvents(events, source, meta),
          botUserId: deps.botUserId,
          log: deps.log,
        },
        await listStreamedChannels(deps),
      ),
  };
}
