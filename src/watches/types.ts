import type { ChannelRef } from '../policy/types';

/** Which channels are streamed (the list `/mcp watch` and `watch_channel` edit). Empty: every channel of the bot. */
export interface WatchEntry {
  channelId: string;
  channelName: string;
  teamId: string;
  addedBy: string;
  /** ISO-8601 */
  addedAt: string;
}

export interface WatchList {
  list(): Promise<WatchEntry[]>;
  /** false when the channel was already watched. */
  add(entry: Omit<WatchEntry, 'addedAt'>): Promise<boolean>;
  /** false when the channel was not watched. */
  remove(channelId: string): Promise<boolean>;
  /**
   * Whether events of this channel are streamed (every channel when the list is
   * empty), within team scope and channel policy. `hint`: what the caller already
   * knows of the channel (saves a directory lookup).
   */
  isStreamed(channelId: string, hint?: Omit<ChannelRef, 'id'>): Promise<boolean>;
}
