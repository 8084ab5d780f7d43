/**
 * Raw Mattermost event → zero or more update records (brief §4.5). Never
 * throws: anything it cannot read becomes a `skipped` result with a reason,
 * which the worker counts and logs once.
 */
import type { Logger } from '../../logging/logger';
import type { Directory } from '../../mattermost/directory';
import type { NewUpdate, UpdateType } from '../../updates/record';
import { URIS } from '../../updates/uris';
import { eventIds } from './event-ids';
import {
  type EventMeta,
  isRecord,
  iso,
  jsonObject,
  jsonStringArray,
  millis,
  str,
  type RawEvent,
  type Broadcast,
} from './frame';

export interface NormalizeContext {
  directory: Directory;
  /** The bot's user id: posts mentioning it, and DMs to it, also go to mattermost://mentions. */
  botUserId: string;
  /** The bot's username (without @); resolved through the directory when absent. */
  botUsername?: string;
  log?: Logger;
}

export type SkipReason = 'ignored' | 'unknown' | 'malformed';

export type NormalizeResult =
  { ok: true; event: string; updates: NewUpdate[] } | { ok: false; event: string; reason: SkipReason; detail: string };

/** Events the bot receives that carry nothing for the log (or only for the user concerned). */
const IGNORED = new Set([
  'hello',
  'typing',
  'channel_viewed',
  'multiple_channels_viewed',
  'thread_updated',
  'thread_read_changed',
  'thread_follow_changed',
  'ephemeral_message',
  'preference_changed',
  'preferences_changed',
  'preferences_deleted',
  'sidebar_category_created',
  'sidebar_category_updated',
  'sidebar_category_deleted',
  'sidebar_category_order_updated',
  'added_to_team',
  'leave_team',
  'update_team',
  'emoji_added',
  'config_changed',
  'license_changed',
  'channel_member_updated',
  'memberrole_updated',
  'role_updated',
  'plugin_statuses_changed',
  'post_unread',
  'posted_notify_ack',
  'response',
]);

class Malformed extends Error {}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Malformed(`missing or invalid ${what}`);
  return value;
}

export async function normalizeEvent(raw: unknown, meta: EventMeta, ctx: NormalizeContext): Promise<NormalizeResult> {
  if (!isRecord(raw) || typeof raw.event !== 'string' || raw.event.length === 0) {
    return { ok: false, event: '', reason: 'malformed', detail: 'not an event frame ({event, data, broadcast})' };
  }
  const event = raw.event;
  if (IGNORED.has(event)) return { ok: false, event, reason: 'ignored', detail: 'carries nothing for the log' };
  const handler = HANDLERS[event];
  if (!handler) return { ok: false, event, reason: 'unknown', detail: 'unknown event' };
  if (!isRecord(raw.data)) return { ok: false, event, reason: 'malformed', detail: 'data is not an object' };
  const frame: RawEvent = {
    event,
    data: raw.data,
    broadcast: isRecord(raw.broadcast) ? (raw.broadcast as Broadcast) : {},
    seq: typeof raw.seq === 'number' ? raw.seq : undefined,
  };
  try {
    return { ok: true, event, updates: await handler(frame, meta, ctx) };
  } catch (err) {
    if (err instanceof Malformed) return { ok: false, event, reason: 'malformed', detail: err.message };
    return { ok: false, event, reason: 'malformed', detail: `cannot normalize: ${(err as Error)?.message ?? err}` };
  }
}

type Handler = (e: RawEvent, meta: EventMeta, ctx: NormalizeContext) => Promise<NewUpdate[]>;

/** A stable reference to one delivery, for events that carry no time or version of their own. */
function deliveryRef(e: RawEvent, meta: EventMeta): string {
  return meta.connectionId && e.seq !== undefined ? `${meta.connectionId}:${e.seq}` : `r${meta.receivedAt}`;
}

async function quietly<T>(lookup: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await lookup();
  } catch {
    return undefined; // names are for display: a directory failure must not lose the event
  }
}

// ------------------------------------------------------------------ posts

interface PostView {
  id: string;
  channelId: string;
  channelName?: string;
  channelType?: string;
  teamId?: string;
  teamName?: string;
  userId: string;
  username?: string;
  message: string;
  rootId: string;
  type: string;
  createAt: string;
  updateAt?: string;
  editAt?: string;
  deleteAt?: string;
  isPinned: boolean;
  fileIds: string[];
  props?: Record<string, unknown>;
}

interface ParsedPost {
  view: PostView;
  createMs: number;
  updateMs?: number;
  editMs?: number;
  deleteMs?: number;
}

async function readPost(e: RawEvent, ctx: NormalizeContext): Promise<ParsedPost> {
  const p = need(jsonObject(e.data.post), 'data.post (a JSON-encoded post)');
  const id = need(str(p.id), 'post.id');
  const channelId = need(str(p.channel_id) ?? str(e.broadcast.channel_id), 'post.channel_id');
  const userId = need(str(p.user_id), 'post.user_id');
  const createMs = need(millis(p.create_at), 'post.create_at');
  const updateMs = millis(p.update_at);
  const editMs = millis(p.edit_at);
  const deleteMs = millis(p.delete_at);
  const [user, channel] = await Promise.all([
    quietly(() => ctx.directory.user(userId)),
    str(e.data.channel_name) && str(e.data.channel_type) ? undefined : quietly(() => ctx.directory.channel(channelId)),
  ]);
  const props = isRecord(p.props) && Object.keys(p.props).length ? p.props : undefined;
  const teamId = str(e.data.team_id) ?? str(channel?.team_id);
  const team = teamId ? await quietly(() => ctx.directory.team(teamId)) : undefined;
  const view: PostView = {
    id,
    channelId,
    channelName: str(e.data.channel_name) ?? channel?.name,
    channelType: str(e.data.channel_type) ?? channel?.type,
    teamId,
    teamName: team?.name,
    userId,
    username: user?.username ?? str(e.data.sender_name)?.replace(/^@/, ''),
    message: typeof p.message === 'string' ? p.message : '',
    rootId: str(p.root_id) ?? '',
    type: typeof p.type === 'string' ? p.type : '',
    createAt: iso(createMs),
    updateAt: updateMs ? iso(updateMs) : undefined,
    editAt: editMs ? iso(editMs) : undefined,
    deleteAt: deleteMs ? iso(deleteMs) : undefined,
    isPinned: p.is_pinned === true,
    fileIds: jsonStringArray(p.file_ids),
    props,
  };
  return { view, createMs, updateMs, editMs, deleteMs };
}

async function botUsername(ctx: NormalizeContext): Promise<string | undefined> {
  if (ctx.botUsername === undefined) {
    const me = await quietly(() => ctx.directory.user(ctx.botUserId));
    if (me) ctx.botUsername = me.username;
  }
  return ctx.botUsername;
}

/** A post for the bot: it is @-mentioned (or the server says so), or it is a DM to the bot. */
async function isForBot(e: RawEvent, post: PostView, ctx: NormalizeContext): Promise<boolean> {
  if (post.userId === ctx.botUserId) return false;
  if (post.channelType === 'D') return true;
  if (jsonStringArray(e.data.mentions).includes(ctx.botUserId)) return true;
  const name = await botUsername(ctx);
  if (!name) return false;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_.-])@${escaped}(?![A-Za-z0-9_-]|\\.[A-Za-z0-9_-])`, 'i').test(post.message);
}

function postUpdate(type: UpdateType, eventId: string, atMs: number, post: PostView, uris: string[]): NewUpdate {
  return {
    eventId,
    type,
    uri: URIS.channelPosts(post.channelId),
    at: iso(atMs),
    ...(post.teamId ? { teamId: post.teamId } : {}),
    channelId: post.channelId,
    userId: post.userId,
    data: { post: stripUndefined(post) },
    uris,
  };
}

const postUris = (post: PostView) => [URIS.channelPosts(post.channelId), URIS.thread(post.rootId || post.id)];

const posted: Handler = async (e, _meta, ctx) => {
  const { view, createMs } = await readPost(e, ctx);
  const uris = [...postUris(view), URIS.newChannelPosts];
  if (await isForBot(e, view, ctx)) uris.push(URIS.mentions);
  return [postUpdate('post.created', eventIds.postCreated(view.id), createMs, view, uris)];
};

const postEdited: Handler = async (e, _meta, ctx) => {
  const { view, editMs, updateMs, createMs } = await readPost(e, ctx);
  const uris = postUris(view);
  if (await isForBot(e, view, ctx)) uris.push(URIS.mentions);
  const id = eventIds.postEdited(view.id, editMs, updateMs);
  return [postUpdate('post.edited', id, editMs ?? updateMs ?? createMs, view, uris)];
};

const postDeleted: Handler = async (e, meta, ctx) => {
  const { view, deleteMs, updateMs } = await readPost(e, ctx);
  const at = deleteMs ?? updateMs ?? meta.receivedAt;
  return [postUpdate('post.deleted', eventIds.postDeleted(view.id), at, view, postUris(view))];
};

// ------------------------------------------------------------------ reactions

function reactionHandler(type: 'reaction.added' | 'reaction.removed'): Handler {
  return async (e, meta, ctx) => {
    const r = need(jsonObject(e.data.reaction), 'data.reaction (a JSON-encoded reaction)');
    const postId = need(str(r.post_id), 'reaction.post_id');
    const userId = need(str(r.user_id), 'reaction.user_id');
    const emoji = need(str(r.emoji_name), 'reaction.emoji_name');
    const createMs = millis(r.create_at);
    const channelId = str(r.channel_id) ?? str(e.broadcast.channel_id);
    let atMs: number;
    let eventId: string;
    if (type === 'reaction.added') {
      atMs = need(createMs, 'reaction.create_at');
      eventId = eventIds.reactionAdded(postId, userId, emoji, atMs);
    } else {
      const ref = millis(r.delete_at) ?? millis(r.update_at) ?? createMs;
      atMs = millis(r.delete_at) ?? meta.receivedAt;
      eventId = eventIds.reactionRemoved(postId, userId, emoji, ref ?? deliveryRef(e, meta));
    }
    const [user, channel] = await Promise.all([
      quietly(() => ctx.directory.user(userId)),
      channelId ? quietly(() => ctx.directory.channel(channelId)) : undefined,
    ]);
    const reaction = stripUndefined({
      postId,
      userId,
      username: user?.username,
      emojiName: emoji,
      channelId,
      channelName: channel?.name,
      createAt: createMs ? iso(createMs) : undefined,
    });
    return [
      {
        eventId,
        type,
        uri: URIS.reactions,
        at: iso(atMs),
        ...(str(channel?.team_id) ? { teamId: channel?.team_id } : {}),
        ...(channelId ? { channelId } : {}),
        userId,
        data: { reaction },
        uris: [URIS.reactions],
      },
    ];
  };
}

// ------------------------------------------------------------------ status

const statusChange: Handler = async (e, meta, ctx) => {
  const userId = need(str(e.data.user_id) ?? str(e.broadcast.user_id), 'data.user_id');
  const status = need(str(e.data.status), 'data.status');
  const user = await quietly(() => ctx.directory.user(userId));
  // `at`: set by the presence poller when it enqueues a change it saw; real frames carry neither
  const atMs = millis(e.data.at);
  const ref = atMs ?? millis(e.data.last_activity_at) ?? deliveryRef(e, meta);
  const id = eventIds.statusChanged(userId, status, ref);
  return [statusUpdate(userId, status, id, atMs ?? meta.receivedAt, user?.username)];
};

function statusUpdate(userId: string, status: string, eventId: string, atMs: number, username?: string): NewUpdate {
  return {
    eventId,
    type: 'status.changed',
    uri: URIS.userStatus(userId),
    at: iso(atMs),
    userId,
    data: { status: stripUndefined({ userId, username, status }) },
    uris: [URIS.userStatus(userId)],
  };
}

/** For the presence poller: a user's status seen to change at `at`. */
export function statusChanged(input: { userId: string; status: string; at: number; username?: string }): NewUpdate {
  const { userId, status, at, username } = input;
  return statusUpdate(userId, status, eventIds.statusChanged(userId, status, at), at, username);
}

// ------------------------------------------------------------------ channels

interface ChannelView {
  id: string;
  name?: string;
  displayName?: string;
  type?: string;
  teamId?: string;
  teamName?: string;
  purpose?: string;
  header?: string;
}

function channelView(c: Record<string, unknown>): ChannelView {
  return {
    id: need(str(c.id), 'channel.id'),
    name: str(c.name),
    displayName: str(c.display_name),
    type: str(c.type),
    teamId: str(c.team_id),
    purpose: typeof c.purpose === 'string' ? c.purpose : undefined,
    header: typeof c.header === 'string' ? c.header : undefined,
  };
}

async function withTeamName(view: ChannelView, ctx: NormalizeContext): Promise<ChannelView> {
  if (!view.teamId) return view;
  const team = await quietly(() => ctx.directory.team(view.teamId as string));
  return { ...view, teamName: team?.name };
}

function channelUpdate(type: UpdateType, eventId: string, atMs: number, view: ChannelView, userId?: string): NewUpdate {
  return {
    eventId,
    type,
    uri: URIS.channelPosts(view.id),
    at: iso(atMs),
    ...(view.teamId ? { teamId: view.teamId } : {}),
    channelId: view.id,
    ...(userId ? { userId } : {}),
    data: { channel: stripUndefined(view) },
    uris: [],
  };
}

async function knownChannel(channelId: string, ctx: NormalizeContext): Promise<ChannelView> {
  const c = await quietly(() => ctx.directory.channel(channelId));
  return c ? channelView(c as unknown as Record<string, unknown>) : { id: channelId };
}

const channelCreated: Handler = async (e, meta, ctx) => {
  const channelId = need(str(e.data.channel_id), 'data.channel_id');
  const view = await withTeamName({ ...(await knownChannel(channelId, ctx)), teamId: str(e.data.team_id) }, ctx);
  const creator = str(e.broadcast.user_id);
  return [channelUpdate('channel.created', eventIds.channelCreated(channelId), meta.receivedAt, view, creator)];
};

/** `direct_added` / `group_added`: a new DM or group channel the bot is in. */
function directCreated(type: 'D' | 'G'): Handler {
  return async (e, meta, ctx) => {
    const channelId = need(str(e.broadcast.channel_id), 'broadcast.channel_id');
    const known = await knownChannel(channelId, ctx);
    const view: ChannelView = { ...known, type: known.type ?? type };
    const creator = str(e.data.creator_id);
    return [channelUpdate('channel.created', eventIds.channelCreated(channelId), meta.receivedAt, view, creator)];
  };
}

const channelUpdated: Handler = async (e, meta, ctx) => {
  const c = need(jsonObject(e.data.channel), 'data.channel (a JSON-encoded channel)');
  const view = await withTeamName(channelView(c), ctx);
  ctx.directory.invalidate('channel', view.id);
  const updateMs = millis(c.update_at);
  const id = eventIds.channelUpdated(view.id, updateMs ?? deliveryRef(e, meta));
  return [channelUpdate('channel.updated', id, updateMs ?? meta.receivedAt, view)];
};

const channelDeleted: Handler = async (e, meta, ctx) => {
  const channelId = need(str(e.data.channel_id), 'data.channel_id');
  const view = await knownChannel(channelId, ctx);
  ctx.directory.invalidate('channel', channelId);
  const deleteMs = millis(e.data.delete_at);
  const id = eventIds.channelDeleted(channelId, deleteMs ?? deliveryRef(e, meta));
  return [
    channelUpdate('channel.deleted', id, deleteMs ?? meta.receivedAt, {
      ...view,
      teamId: view.teamId ?? str(e.broadcast.team_id),
    }),
  ];
};

// ------------------------------------------------------------------ members

function memberHandler(type: 'member.added' | 'member.removed'): Handler {
  return async (e, meta, ctx) => {
    const channelId = need(str(e.broadcast.channel_id) ?? str(e.data.channel_id), 'broadcast.channel_id');
    const userId = need(str(e.data.user_id) ?? str(e.broadcast.user_id), 'data.user_id');
    const [user, channel] = await Promise.all([
      quietly(() => ctx.directory.user(userId)),
      quietly(() => ctx.directory.channel(channelId)),
    ]);
    const ref = deliveryRef(e, meta);
    const eventId =
      type === 'member.added'
        ? eventIds.memberAdded(channelId, userId, ref)
        : eventIds.memberRemoved(channelId, userId, ref);
    const teamId = str(channel?.team_id) ?? str(e.data.team_id);
    const member = stripUndefined({
      channelId,
      channelName: channel?.name,
      userId,
      username: user?.username,
      actorId: str(e.data.remover_id),
    });
    return [
      {
        eventId,
        type,
        uri: URIS.channelPosts(channelId),
        at: iso(meta.receivedAt),
        ...(teamId ? { teamId } : {}),
        channelId,
        userId,
        data: { member },
        uris: [],
      },
    ];
  };
}

// ------------------------------------------------------------------ users

interface UserView {
  id: string;
  username?: string;
  firstName?: string;
  lastName?: string;
  nickname?: string;
  position?: string;
  isBot?: boolean;
  deleteAt?: string;
}

function userView(u: Record<string, unknown>): UserView {
  const deleteMs = millis(u.delete_at);
  return stripUndefined({
    id: need(str(u.id), 'user.id'),
    username: str(u.username),
    firstName: str(u.first_name),
    lastName: str(u.last_name),
    nickname: str(u.nickname),
    position: str(u.position),
    isBot: typeof u.is_bot === 'boolean' ? u.is_bot : undefined,
    deleteAt: deleteMs ? iso(deleteMs) : undefined,
  });
}

function userUpdate(type: UpdateType, eventId: string, atMs: number, user: UserView): NewUpdate {
  return { eventId, type, uri: URIS.events, at: iso(atMs), userId: user.id, data: { user }, uris: [] };
}

const newUser: Handler = async (e, meta, ctx) => {
  const userId = need(str(e.data.user_id), 'data.user_id');
  const u = await quietly(() => ctx.directory.user(userId));
  const view = u ? userView(u as unknown as Record<string, unknown>) : { id: userId };
  const at = millis(u?.create_at) ?? meta.receivedAt;
  return [userUpdate('user.created', eventIds.userCreated(userId), at, view)];
};

const userUpdated: Handler = async (e, meta, ctx) => {
  const u = need(jsonObject(e.data.user), 'data.user');
  const view = userView(u);
  ctx.directory.invalidate('user', view.id);
  const updateMs = millis(u.update_at);
  const id = eventIds.userUpdated(view.id, updateMs ?? deliveryRef(e, meta));
  return [userUpdate('user.updated', id, updateMs ?? meta.receivedAt, view)];
};

// ------------------------------------------------------------------ table

const HANDLERS: Record<string, Handler> = {
  posted,
  post_edited: postEdited,
  post_deleted: postDeleted,
  reaction_added: reactionHandler('reaction.added'),
  reaction_removed: reactionHandler('reaction.removed'),
  status_change: statusChange,
  channel_created: channelCreated,
  direct_added: directCreated('D'),
  group_added: directCreated('G'),
  channel_updated: channelUpdated,
  channel_converted: async (e, meta, ctx) => {
    const channelId = need(str(e.data.channel_id), 'data.channel_id');
    ctx.directory.invalidate('channel', channelId);
    const view = await withTeamName(await knownChannel(channelId, ctx), ctx);
    return [
      channelUpdate('channel.updated', eventIds.channelUpdated(channelId, deliveryRef(e, meta)), meta.receivedAt, view),
    ];
  },
  channel_deleted: channelDeleted,
  user_added: memberHandler('member.added'),
  user_removed: memberHandler('member.removed'),
  new_user: newUser,
  user_updated: userUpdated,
};

/** Mattermost event names the normalizer turns into records. */
export const NORMALIZED_EVENTS = Object.keys(HANDLERS);

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
