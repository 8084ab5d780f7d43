/**
 * Entities as the real server writes them: omitempty fields dropped, other
 * users' profiles sanitized (ClearNonProfileFields), posts prepared for the
 * client (metadata filled in).
 */
import type { Bot, Channel, Command, FileInfo, Post, Reaction, Status, Store, User } from './store';

export function userWire(user: User, viewerId: string, store: Store): Record<string, unknown> {
  const self = user.id === viewerId || store.isSystemAdmin(viewerId);
  const out: Record<string, unknown> = {
    id: user.id,
    create_at: user.create_at,
    update_at: user.update_at,
    delete_at: user.delete_at,
    username: user.username,
    auth_data: '',
    auth_service: user.auth_service,
    email: user.email,
  };
  if (self && user.email_verified) out.email_verified = true;
  out.nickname = user.nickname;
  out.first_name = user.first_name;
  out.last_name = user.last_name;
  out.position = user.position;
  out.roles = user.roles;
  if (Object.keys(user.props).length > 0) out.props = user.props;
  if (self) {
    out.notify_props = user.notify_props;
    out.last_password_update = user.last_password_update;
  }
  out.locale = user.locale;
  out.timezone = user.timezone;
  if (user.is_bot) {
    out.is_bot = true;
    if (user.bot_description) out.bot_description = user.bot_description;
  }
  out.disable_welcome_email = user.disable_welcome_email;
  return out;
}

export function botWire(bot: Bot): Record<string, unknown> {
  return { ...bot };
}

export function channelWire(channel: Channel): Record<string, unknown> {
  return { ...channel };
}

export function reactionWire(r: Reaction): Record<string, unknown> {
  return { ...r };
}

export function fileInfoWire(f: FileInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: f.id,
    user_id: f.user_id,
    channel_id: f.channel_id,
    post_id: f.post_id,
    create_at: f.create_at,
    update_at: f.update_at,
    delete_at: f.delete_at,
    name: f.name,
    extension: f.extension,
    size: f.size,
    mime_type: f.mime_type,
  };
  if (f.width) out.width = f.width;
  if (f.height) out.height = f.height;
  if (f.has_preview_image) out.has_preview_image = true;
  out.mini_preview = null;
  out.remote_id = f.remote_id;
  out.archived = f.archived;
  return out;
}

/** The Post struct with PreparePostForClient's metadata (reactions and files when there are any). */
export function postWire(post: Post, store: Store): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: post.id,
    create_at: post.create_at,
    update_at: post.update_at,
    edit_at: post.edit_at,
    delete_at: post.delete_at,
    is_pinned: post.is_pinned,
    user_id: post.user_id,
    channel_id: post.channel_id,
    root_id: post.root_id,
    original_id: post.original_id,
    message: post.message,
    type: post.type,
    props: post.props,
    hashtags: post.hashtags,
  };
  if (post.file_ids.length > 0) out.file_ids = post.file_ids;
  out.pending_post_id = post.pending_post_id;
  if (post.has_reactions) out.has_reactions = true;
  out.remote_id = '';
  out.reply_count = post.reply_count;
  out.last_reply_at = post.last_reply_at;
  out.participants = post.participants;
  const metadata: Record<string, unknown> = {};
  const files = store.filesFor(post.id);
  if (files.length > 0) metadata.files = files.map(fileInfoWire);
  const reactions = store.reactionsFor(post.id);
  if (reactions.length > 0) metadata.reactions = reactions.map(reactionWire);
  out.metadata = metadata;
  return out;
}

export function statusWire(s: Status): Record<string, unknown> {
  return {
    user_id: s.user_id,
    status: s.status,
    manual: s.manual,
    last_activity_at: s.last_activity_at,
    dnd_end_time: s.dnd_end_time,
  };
}

export function commandWire(c: Command): Record<string, unknown> {
  return { ...c };
}

/** model.PostList: order newest first, every post in `posts`. */
export function postListWire(
  posts: Post[],
  store: Store,
  extra: { next_post_id?: string; prev_post_id?: string; has_next?: boolean } = {},
): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (const p of posts) map[p.id] = postWire(p, store);
  const out: Record<string, unknown> = {
    order: posts.map((p) => p.id),
    posts: map,
    next_post_id: extra.next_post_id ?? '',
    prev_post_id: extra.prev_post_id ?? '',
  };
  if (extra.has_next !== undefined) out.has_next = extra.has_next;
  out.first_inaccessible_post_time = 0;
  return out;
}
