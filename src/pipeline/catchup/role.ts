/**
 * The REST jobs of the worker role (polling fallback, presence) from the
 * process's shared services: `serve --roles worker` calls this once.
 */
import type { BridgeServices } from '../../app/services';
import type { EventQueues } from '../queue/producer';
import { restJobs } from './jobs';
import { startCatchupWorker, type CatchupWorker } from './scheduler';

export type CatchupServices = Pick<BridgeServices, 'log' | 'redis' | 'queueRedis' | 'keys' | 'watches' | 'mattermost'>;

export function startCatchupWorkerRole(
  services: CatchupServices,
  queues: EventQueues,
  /** The bot's user id (getMe), not polled for presence. */
  botUserId: string,
): Promise<CatchupWorker> {
  return startCatchupWorker({
    connection: services.queueRedis,
    keys: services.keys,
    log: services.log,
    ...restJobs({
      client: services.mattermost,
      watches: services.watches,
      redis: services.redis,
      keys: services.keys,
      queues,
      botUserId,
      log: services.log,
    }),
  });
}
