/**
 * REST catch-up: for every streamed channel, the posts changed since its
 * offset (minus a small skew) through `getPostsSince`, turned into the raw
 * events the WebSocket would have delivered (normalizer's REST converter) and
 * enqueued through the same partition queues. The offset advances only after
 * the enqueue succeeded. Used at start-up, when the server could not replay
 * (missed-message), and by the polling fallback.
 *
 * What REST cannot show is not recovered: reactions removed, membership and
 * channel changes made while nothing listened (see docs/event-pipeline.md).
 */
import type { Client4 } from '@mattermost/client';
import type { Post, PostList } from '@mattermost/types/posts';
import type { Logger } from '../../logging/logger';
import type { WatchList } from '../../watches/types';
import type { EventSource } from '../normalize/frame';
import { newestUpdateAt, postListToRawEvents, type ChannelInfo } from '../normalize/rest';
import type { ChannelOffsets } from './offsets';

/** `getPostsSince` answers at most this many posts (the server's limit). */
export const SINCE_LIMIT = 1000;
/** Page size when walking back past that limit. */
const BEFORE_PAGE = 200;

export type StreamedChannel = ChannelInfo & { teamName?: string };

/** What catch-up needs to enqueue: the partition queues' enqueueEvents. */
export type Enqueue = (events: unknown[], source: EventSource) => Promise<unknown>;

export interface CatchupDeps {
  client: Client4;
  watches: Pick<WatchList, 'isStreamed'>;
  offsets: ChannelOffsets;
  enqueue: Enqueue;
  log: Logger;
}

export interface CatchupOptions {
  source: Extract<EventSource, 'catchup' | 'poll'>;
  /** Subtracted from each offset: changes committed with a slightly older update_at are not missed (default 2 s). */
  skewMs?: number;
  /** Channels fetched at once (default 4). */
  concurrency?: number;
  /** Channels to catch up; default: every streamed channel of the bot. */
  channels?: StreamedChannel[];
}

export interface CatchupReport {
  channels: number;
  /** Raw events enqueued. */
  events: number;
  /** Channels whose fetch or enqueue failed (their offsets did not move). */
  failed: string[];
}

/** The bot's channels in every team that the watch list, team scope and policy stream (DMs once). */
export async function listStreamedChannels(deps: Pick<CatchupDeps, 'client' | 'watches'>): Promise<StreamedChannel[]> {
  const teams = await deps.client.getMyTeams();
  const seen = new Map<string, StreamedChannel>();
  for (const team of teams) {
    if (team.delete_at) continue;
    for (const c of await deps.client.getMyChannels(team.id)) {
      if (seen.has(c.id) || c.delete_at) continue;
      seen.set(c.id, {
        id: c.id,
        name: c.name,
        display_name: c.display_name,
        type: c.type,
        team_id: c.team_id,
        ...(c.team_id ? { teamName: team.name } : {}),
      });
    }
  }
  const channels = [...seen.values()];
  const verdicts = await Promise.all(
    channels.map((c) =>
      deps.watches.isStreamed(c.id, {
        name: c.name,
        type: c.type as 'O' | 'P' | 'D' | 'G',
        // '' (not absent) for DMs: everything is known, so no directory lookup per channel and pass
        teamId: c.team_id ?? '',
        ...(c.teamName ? { teamName: c.teamName } : {}),
      }),
    ),
  );
  return channels.filter((_, i) => verdicts[i]);
}

/** Posts changed after `since`; walks back with `before` pages when the since-answer hit its limit. */
export async function fetchPostsSince(client: Client4, channelId: string, since: number): Promise<PostList> {
  const list = await client.getPostsSince(channelId, since);
  const posts = { ...(list.posts ?? {}) };
  let count = Object.keys(posts).length;
  if (count >= SINCE_LIMIT) {
    // The server kept the newest ones; fetch older pages until we are back at `since`.
    let oldest = oldestPost(Object.values(posts));
    while (oldest && oldest.create_at > since) {
      const page = await client.getPostsBefore(channelId, oldest.id, 0, BEFORE_PAGE);
      const older = Object.values(page.posts ?? {}).filter((p) => p.channel_id === channelId && !posts[p.id]);
      if (older.length === 0) break;
      for (const p of older) posts[p.id] = p;
      count += older.length;
      oldest = oldestPost(older);
    }
  }
  return { ...list, posts, order: Object.keys(posts) };
}

function oldestPost(posts: Post[]): Post | undefined {
  let oldest: Post | undefined;
  for (const p of posts) if (!oldest || p.create_at < oldest.create_at) oldest = p;
  return oldest;
}

/** Catches one channel up from `since`; returns the number of events enqueued. */
export async function catchUpChannel(
  deps: CatchupDeps,
  channel: StreamedChannel,
  since: number,
  source: CatchupOptions['source'],
): Promise<number> {
  const list = await fetchPostsSince(deps.client, channel.id, since);
  const events = postListToRawEvents(list, { since, channel });
  if (events.length) await deps.enqueue(events, source);
  const newest = newestUpdateAt(list);
  if (newest) await deps.offsets.advance(new Map([[channel.id, newest]]));
  return events.length;
}

/** One catch-up pass over the streamed channels. Never throws for one channel's failure. */
export async function runCatchup(deps: CatchupDeps, options: CatchupOptions): Promise<CatchupReport> {
  const startedAt = Date.now();
  const skew = options.skewMs ?? 2000;
  const channels = options.channels ?? (await listStreamedChannels(deps));
  const offsets = await deps.offsets.get(channels.map((c) => c.id));
  const lastRun = await deps.offsets.lastRun();
  const report: CatchupReport = { channels: channels.length, events: 0, failed: [] };
  let next = 0;
  const worker = async () => {
    while (next < channels.length) {
      const channel = channels[next++];
      // never seen: from the last complete run (joined while down), or from now on the very first run
      const from = offsets.get(channel.id) ?? lastRun ?? startedAt;
      try {
        report.events += await catchUpChannel(deps, channel, Math.max(1, from - skew), options.source);
      } catch (err) {
        report.failed.push(channel.id);
        deps.log.warn(
          { channelId: channel.id, channel: channel.name, err: (err as Error).message, source: options.source },
          'catch-up of a channel failed; its offset did not move, the next pass retries it',
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, channels.length)) }, worker));
  if (report.failed.length === 0) await deps.offsets.setLastRun(startedAt - skew);
  return report;
}
