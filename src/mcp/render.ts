/**
 * Compact, model-friendly text for update records: one line each, names
 * instead of ids where the record carries them, ISO times, and the cursor.
 */
import type { UpdateRecord } from '../updates/record';
import { URIS } from '../updates/uris';

const MAX_MESSAGE = 500;

function s(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

function oneLine(text: string, max = MAX_MESSAGE): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function renderUpdate(u: UpdateRecord): string {
  const d = u.data as Record<string, Record<string, unknown> | undefined>;
  const post = d.post;
  // the normalizer puts resolved names inside the record's main object (post, reaction, member, ...)
  const parts = [post, d.reaction, d.member, d.status];
  const firstOf = (field: string) => parts.map((p) => s(p?.[field])).find(Boolean);
  const channel = firstOf('channelName') ?? s(d.channel?.name) ?? s(d.channelName as unknown) ?? u.channelId;
  const user = firstOf('username') ?? s(d.user?.username) ?? s(d.username as unknown) ?? u.userId;
  const where = channel ? ` ~${channel}` : '';
  const who = user ? ` @${user}` : '';
  let what = '';
  if (post) {
    const root = s(post.rootId);
    const id = s(post.id);
    what = `${root ? ` (reply in thread ${root})` : ''}: ${oneLine(s(post.message) ?? '')}${id ? ` [post ${id}]` : ''}`;
  } else if (u.type.startsWith('reaction.')) {
    const r = d.reaction;
    what = ` :${s(r?.emojiName) ?? s(r?.emoji_name) ?? '?'}: on post ${s(r?.postId) ?? s(r?.post_id) ?? '?'}`;
  } else if (u.type === 'status.changed') {
    what = ` is ${s(d.status as unknown) ?? s(d.status?.status) ?? '?'}`;
  } else if (u.type.startsWith('command.')) {
    const text = s(d.text as unknown) ?? s(d.message as unknown);
    what = ` request ${s(d.requestId as unknown) ?? '?'}${text ? `: ${oneLine(text)}` : ''}`;
  }
  return `${u.at} ${u.type}${where}${who}${what} (cursor ${u.cursor})`;
}

export function renderUpdates(updates: UpdateRecord[], nextCursor: string, empty = 'no updates'): string {
  const lines = updates.length ? updates.map(renderUpdate) : [empty];
  lines.push(`next cursor: ${nextCursor}`);
  return lines.join('\n');
}

/**
 * The resource URIs an update notifies: the firehose, its primary URI, and
 * those that follow from its kind. When the log reports the exact streams
 * the update was appended to (`uris`), those are used as they are.
 */
export function resourceUrisOf(u: UpdateRecord): string[] {
  const out = new Set<string>([URIS.events, u.uri]);
  const known = (u as UpdateRecord & { uris?: unknown }).uris;
  if (Array.isArray(known)) {
    for (const uri of known) if (typeof uri === 'string') out.add(uri);
    return [...out];
  }
  const post = (u.data as { post?: { id?: unknown; rootId?: unknown } }).post;
  if (u.type.startsWith('post.')) {
    if (u.channelId) out.add(URIS.channelPosts(u.channelId));
    const root = s(post?.rootId) ?? s(post?.id);
    if (root) out.add(URIS.thread(root));
    if (u.type === 'post.created') out.add(URIS.newChannelPosts);
  } else if (u.type.startsWith('reaction.')) {
    out.add(URIS.reactions);
  } else if (u.type.startsWith('command.')) {
    out.add(URIS.commands);
  } else if (u.type === 'status.changed' && u.userId) {
    out.add(URIS.userStatus(u.userId));
  }
  return [...out];
}
