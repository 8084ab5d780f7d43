/**
 * REST catch-up → the same raw event shape the WebSocket delivers, so both
 * go through one normalizer and get the same event ids. A post fetched with
 * `since` yields `posted` (if created after `since`), `post_edited` (if edited
 * after it), `post_deleted` (if deleted) and `reaction_added` for reactions in
 * its metadata made after it, ordered by time (created < edited < deleted).
 */
import type { Post, PostList } from '@mattermost/types/posts';
import type { Channel } from '@mattermost/types/channels';
import type { RawEvent } from './frame';

export type ChannelInfo = Pick<Channel, 'id' | 'name' | 'display_name' | 'type' | 'team_id'>;

export interface RestConversionOptions {
  /** The `since` (epoch ms) the posts were fetched with: changes at or before it were already seen. */
  since?: number;
  /** The channel the posts are in (fills channel_name/type/team_id as `posted` does). */
  channel?: Partial<ChannelInfo>;
}

interface Timed {
  at: number;
  order: number;
  event: RawEvent;
}

function after(ms: number | undefined, since: number | undefined): boolean {
  return typeof ms === 'number' && ms > 0 && (since === undefined || ms > since);
}

function timedEvents(post: Post, opts: RestConversionOptions): Timed[] {
  const channelId = post.channel_id;
  const broadcast = { omit_users: null, user_id: '', channel_id: channelId, team_id: '' };
  const encoded = JSON.stringify(post);
  const out: Timed[] = [];
  if (after(post.create_at, opts.since)) {
    const c = opts.channel ?? {};
    out.push({
      at: post.create_at,
      order: 0,
      event: {
        event: 'posted',
        data: {
          post: encoded,
          ...(c.name !== undefined ? { channel_name: c.name } : {}),
          ...(c.display_name !== undefined ? { channel_display_name: c.display_name } : {}),
          ...(c.type !== undefined ? { channel_type: c.type } : {}),
          ...(c.team_id !== undefined ? { team_id: c.team_id } : {}),
        },
        broadcast,
      },
    });
  }
  if (after(post.edit_at, opts.since)) {
    out.push({ at: post.edit_at, order: 1, event: { event: 'post_edited', data: { post: encoded }, broadcast } });
  }
  if (after(post.delete_at, opts.since)) {
    out.push({ at: post.delete_at, order: 2, event: { event: 'post_deleted', data: { post: encoded }, broadcast } });
  }
  for (const r of post.metadata?.reactions ?? []) {
    if (!after(r.create_at, opts.since)) continue;
    out.push({
      at: r.create_at,
      order: 3,
      event: {
        event: 'reaction_added',
        data: { reaction: JSON.stringify({ ...r, channel_id: channelId }) },
        broadcast,
      },
    });
  }
  return out;
}

function sorted(timed: Timed[]): RawEvent[] {
  return timed.sort((a, b) => a.at - b.at || a.order - b.order).map((t) => t.event);
}

/** One REST post as raw events, oldest change first. */
export function postToRawEvents(post: Post, opts: RestConversionOptions = {}): RawEvent[] {
  return sorted(timedEvents(post, opts));
}

/** A PostList (e.g. from `getPostsSince`) as raw events in Mattermost's order of changes. */
export function postListToRawEvents(list: PostList, opts: RestConversionOptions = {}): RawEvent[] {
  return sorted(Object.values(list.posts ?? {}).flatMap((p) => timedEvents(p, opts)));
}

/** The newest `update_at` in a PostList: the next `since` for this channel. */
export function newestUpdateAt(list: PostList): number | undefined {
  let newest: number | undefined;
  for (const p of Object.values(list.posts ?? {})) if (!newest || p.update_at > newest) newest = p.update_at;
  return newest;
}
