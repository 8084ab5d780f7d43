/** REST catch-up (start-up, missed events, polling fallback) and the `catchup` queue's schedules. */
export {
  runCatchup,
  catchUpChannel,
  fetchPostsSince,
  listStreamedChannels,
  SINCE_LIMIT,
  type CatchupDeps,
  type CatchupOptions,
  type CatchupReport,
  type Enqueue,
  type StreamedChannel,
} from './catchup';
export { ChannelOffsets, postOffsetsOf, LAST_RUN_FIELD } from './offsets';
export {
  startCatchupScheduler,
  startCatchupWorker,
  CATCHUP_QUEUE,
  POLL_SCHEDULER,
  PRESENCE_SCHEDULER,
  type CatchupScheduler,
  type CatchupSchedulerOptions,
  type CatchupWorker,
  type CatchupWorkerOptions,
} from './scheduler';
export { restJobs, type RestJobs, type RestJobsDeps } from './jobs';
export { startCatchupWorkerRole, type CatchupServices } from './role';
