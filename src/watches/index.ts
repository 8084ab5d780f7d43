/** The watch list (which channels are streamed) and its change notifications. */
export * from './types';
export {
  RedisWatchList,
  WatchRefusedError,
  subscribeWatchChanges,
  type WatchChange,
  type WatchListOptions,
} from './redis-watch-list';
