/** BullMQ partition queues of raw events and the normalize workers (see docs/event-pipeline.md). */
export {
  EventQueues,
  enqueueEvents,
  jobOptions,
  MAX_EVENTS_PER_JOB,
  type EventQueuesOptions,
  type RetryOptions,
} from './producer';
export {
  startWorkers,
  stopWorkers,
  makeProcessor,
  type ChannelHint,
  type JobOutcome,
  type PipelineWorkers,
  type WorkerOptions,
} from './worker';
export { partitionOf, partitionQueueName, EVENT_JOB } from './partitions';
export { eventQueueDepths, type QueueDepths } from './depth';
export { invalidJob, type EventBatchJob } from './job';
export { JobStarts } from './job-starts';
