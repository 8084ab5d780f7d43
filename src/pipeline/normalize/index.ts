/** Raw Mattermost events → update records (see docs/event-pipeline.md). */
export * from './frame';
export { eventIds } from './event-ids';
export {
  normalizeEvent,
  statusChanged,
  NORMALIZED_EVENTS,
  type NormalizeContext,
  type NormalizeResult,
  type SkipReason,
} from './normalize';
export { postToRawEvents, postListToRawEvents, newestUpdateAt, type RestConversionOptions } from './rest';
export { commandInvoked, commandAnswered, type CommandInvokedInput, type CommandAnsweredInput } from './commands';
