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
  /** Whether events of this channel are streamed (true for every channel when the list is empty). */
  isStreamed(channelId: string): Promise<boolean>;
}
