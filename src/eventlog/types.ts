/**
 * The read side of the event log, as the MCP layer uses it. Cursors are Redis
 * stream entry ids; one update has the same cursor in every stream it is in.
 */
import type { NewUpdate, UpdateRecord, UpdateType } from '../updates/record';

export interface EventFilter {
  /** Resource URIs to read (each is its own stream); default: the firehose `mattermost://events`. */
  streams?: string[];
  types?: UpdateType[];
  /** Channel ids. */
  channels?: string[];
  /** Extra predicate (e.g. an API key's channel policy); applied after the other filters. */
  accept?: (update: UpdateRecord) => boolean;
}

export interface ReadOptions extends EventFilter {
  /** Return updates strictly after this cursor. Absent: the most recent `limit` updates. */
  after?: string;
  limit: number;
}

export interface WaitOptions extends EventFilter {
  /** Wait for updates after this cursor. Absent: updates after "now". */
  after?: string;
  limit: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ReadResult {
  /** Oldest first. */
  updates: UpdateRecord[];
  /** Pass back as `after` to continue; equals the input cursor (or the log's head) when nothing matched. */
  nextCursor: string;
}

/** A cursor older than the retained log: the caller must restart from `oldest`. */
export class CursorExpiredError extends Error {
  constructor(
    readonly cursor: string,
    readonly oldest: string,
  ) {
    super(`cursor ${cursor} expired: the log now starts at ${oldest}; restart from cursor ${oldest}`);
    this.name = 'CursorExpiredError';
  }
}

export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super(`"${cursor}" is not a cursor: cursors look like 1763683200000-0 (take them from a previous result)`);
    this.name = 'InvalidCursorError';
  }
}

export interface EventLogReader {
  read(options: ReadOptions): Promise<ReadResult>;
  waitFor(options: WaitOptions): Promise<ReadResult>;
  /** Cursor of the newest entry of a stream (default: the firehose), or `0-0` when empty. */
  head(stream?: string): Promise<string>;
  /**
   * Every update appended after `after` (default: the newest entry at the call), in log order, until
   * the signal aborts (one per process for fan-out; a restarted reader passes the last cursor it saw).
   */
  tail(signal: AbortSignal, after?: string): AsyncIterable<UpdateRecord>;
}

/** What `append` did with one update: its cursor, and whether it was already in the log. */
export interface AppendResult {
  eventId: string;
  cursor: string;
  duplicate: boolean;
}

/** The write side of the event log, used by the normalize workers (and slash commands for `command.*`). */
export interface EventLogWriter {
  /** Idempotent: an update whose `eventId` is already logged is not added again (its existing cursor is returned). */
  append(updates: NewUpdate[]): Promise<AppendResult[]>;
}
