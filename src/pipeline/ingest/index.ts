/** The ingest role: leader-elected WebSocket consumer → micro-batches → partition queues (docs/event-pipeline.md). */
export {
  startIngest,
  ingestOptionsFromConfig,
  type IngestDeps,
  type IngestOptions,
  type RunningIngest,
} from './ingest';
export { startIngestRole, type IngestServices } from './role';
export { readIngestState, isIngestReady, writeIngestStatus, type IngestStatus } from './state';
export { LeaderElection, RedisLock, type LeaderElectionOptions } from './lock';
export { MicroBatcher, type BatchMeta, type BatchSender, type MicroBatcherOptions } from './batcher';
export { IngestSocket, routeClientConsole, type IngestSocketOptions, type ReconnectOptions } from './websocket';
