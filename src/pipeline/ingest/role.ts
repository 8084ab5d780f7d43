/**
 * The ingest role from the process's shared services (app composition):
 * `serve --roles ingest` calls this once; every process may, only the one
 * holding the lock ingests, the others stand by.
 */
import type { BridgeServices } from '../../app/services';
import type { EventQueues } from '../queue/producer';
import { ingestOptionsFromConfig, startIngest, type IngestOptions, type RunningIngest } from './ingest';

export type IngestServices = Pick<
  BridgeServices,
  'config' | 'log' | 'redis' | 'queueRedis' | 'keys' | 'watches' | 'mattermost'
>;

export function startIngestRole(
  services: IngestServices,
  queues: EventQueues,
  overrides: Partial<IngestOptions> = {},
): Promise<RunningIngest> {
  const token = services.config.MATTERMOST_TOKEN;
  if (!token) throw new Error('MATTERMOST_TOKEN is required for the ingest role');
  return startIngest(
    {
      redis: services.redis,
      queueRedis: services.queueRedis,
      keys: services.keys,
      log: services.log,
      client: services.mattermost,
      token,
      watches: services.watches,
      queues,
    },
    { ...ingestOptionsFromConfig(services.config), ...overrides },
  );
}
