/**
 * Mutations with the side effects the real server has: permission checks,
 * validation, stored state, system messages and the WebSocket events each
 * change emits (app/*.go). REST routes and the control API both go through
 * here, so a post made by `/__fake/posts` is indistinguishable from one made
 * through `POST /api/v4/posts`.
 */
import { AppError, errors } from './app-error';
import { Hub, HubEvent, broadcast } from './hub';
import { isValidId, newId, nowMs } from './ids';
import type {
  Bot,
  Channel,
  ChannelMember,
  FileInfo,
  NewUserFields,
  Post,
  Reaction,
  Status,
  Store,
  TeamMember,
  User,
} from './store';
import { channelWire, postWire, reactionWire, userWire } from './wire';
import { goJson } from './wire-json';

export const MAX_POST_RUNES = 16383;
const EMOJI_NAME = /^[a-zA-Z0-9\-+_]{1,64}$/;
const USERNAME = /^[a-z][a-z0-9.\-_]{2,21}$/;
const CHANNEL_NAME = /^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$/;

export class FakeApp {
  constructor(
    readonly store: Store,
    readonly hub: Hub,
  ) {
    hub.hooks = {
      onConnect: (userId) => this.setStatus(userId, 'online', false),
      onAllInactive: (userId) => this.setStatus(userId, 'offline', false),
    };
  }

  publish(evt: HubEvent): void {
    this.hub.publish(evt);
  }

  // --- lookups that answer like the server ------------------------------

  user(id: string): User {
    const u = this.store.users.get(id);
    if (!u) throw errors.userNotFound();
    return u;
  }

  channel(id: string): Channel {
    const c = this.store.channels.get(id);
    if (!c) throw errors.channelNotFound();
    return c;
  }

  post(id: string, includeDeleted = false): Post {
    const p = this.store.posts.get(id);
    if (!p || (p.delete_at !== 0 && !includeDeleted)) throw errors.postNotFound();
    return p;
  }

  // --- permissions (as far as the bridge can observe them) ----------------

  isAdmin(userId: string): boolean {
    return this.store.isSystemAdmin(userId);
  }

  /** read_channel: members; for public channels every team member (read_public_channel). */
  canReadChannel(userId: string, channel: Channel): boolean {
    if (this.isAdmin(userId) || this.store.isChannelMember(channel.id, userId)) return true;
    return channel.type === 'O' && this.store.isTeamMember(channel.team_id, userId);
  }

  /** create_post is a channel-member permission, for public channels too. */
  canPostInChannel(userId: string, channel: Channel): boolean {
    return this.isAdmin(userId) || this.store.isChannelMember(channel.id, userId);
  }

  readableChannel(userId: string, channelId: string): Channel {
    const channel = this.channel(channelId);
    if (!this.canReadChannel(userId, channel)) throw errors.permissions();
    return channel;
  }

  readablePost(userId: string, postId: string, includeDeleted = false): Post {
    const post = this.store.posts.get(postId);
    // Unknown posts and posts in unreadable channels look alike to callers without access (403).
    if (!post) throw this.isAdmin(userId) ? errors.postNotFound() : errors.permissions();
    const channel = this.channel(post.channel_id);
    if (!this.canReadChannel(userId, channel)) throw errors.permissions();
    if (post.delete_at !== 0 && !includeDeleted) throw errors.postNotFound();
    return post;
  }

  // --- users, bots, statuses ---------------------------------------------

  createUser(fields: NewUserFields, announce = true): { user: User; token: string } {
    const username = String(fields.username ?? '').toLowerCase();
    if (!USERNAME.test(username)) throw errors.invalidBodyParam('username');
    if (this.store.userByUsername(username)) {
      throw new AppError(
        'app.user.save.username_exists.app_error',
        'An account with that username already exists.',
        400,
      );
    }
    const user = this.store.addUser({ ...fields, username });
    const token = this.store.addToken(user.id, 'fake-mattermost session').token;
    if (announce) this.publish({ event: 'new_user', data: { user_id: user.id }, broadcast: broadcast() });
    return { user, token };
  }

  createBot(ownerId: string, fields: { username: string; display_name?: string; description?: string }): Bot {
    const { user } = this.createUser(
      {
        username: fields.username,
        is_bot: true,
        bot_description: fields.description ?? '',
        first_name: fields.display_name ?? '',
      },
      false,
    ); // CreateBot saves the user directly: no new_user event
    const bot: Bot = {
      user_id: user.id,
      username: user.username,
      display_name: fields.display_name ?? '',
      description: fields.description ?? '',
      owner_id: ownerId,
      create_at: user.create_at,
      update_at: user.update_at,
      delete_at: 0,
    };
    this.store.bots.set(bot.user_id, bot);
    return bot;
  }

  /** SetStatus*: stores and broadcasts `status_change` to that user's own sockets when it changed. */
  setStatus(userId: string, status: Status['status'], manual: boolean, dndEndTime = 0): Status {
    const current = this.store.statuses.get(userId)!;
    if (!manual && current.manual) {
      // An automatic change never overrides a status the user set (SetStatusOnline/Offline/Away).
      return current;
    }
    const changed = current.status !== status;
    current.status = status;
    current.manual = manual;
    current.dnd_end_time = status === 'dnd' ? dndEndTime : 0;
    if (status === 'online') current.last_activity_at = nowMs();
    if (changed) {
      this.publish({
        event: 'status_change',
        data: { status, user_id: userId },
        broadcast: broadcast({ user_id: userId }),
      });
    }
    return current;
  }

  // --- teams --------------------------------------------------------------

  /** AddTeamMember: `added_to_team` to the user, then the default channels (with their join posts). */
  addTeamMember(actorId: string, teamId: string, userId: string, systemPosts = true): TeamMember {
    const team = this.store.teams.get(teamId);
    if (!team) throw errors.teamNotFound();
    this.user(userId);
    if (this.store.isTeamMember(teamId, userId)) return this.store.teamMembers.get(teamId)!.get(userId)!;
    const self = actorId === userId;
    if (!this.isAdmin(actorId) && !(self && team.allow_open_invite) && !this.store.isTeamMember(teamId, actorId)) {
      throw errors.permissions();
    }
    const member = this.store.putTeamMember(teamId, userId);
    this.publish({
      event: 'added_to_team',
      data: { team_id: teamId, user_id: userId },
      broadcast: broadcast({ user_id: userId }),
    });
    for (const name of ['town-square', 'off-topic']) {
      const channel = this.store.channelByName(teamId, name);
      if (!channel || channel.delete_at !== 0) continue;
      this.joinChannel(channel, userId);
      if (systemPosts && name === 'town-square') {
        const username = this.user(userId).username;
        this.systemPost(channel, userId, 'system_join_team', `@${username} joined the team.`, { username });
      }
    }
    return member;
  }

  // --- channels -----------------------------------------------------------

  createChannel(
    actorId: string,
    fields: {
      team_id?: unknown;
      name?: unknown;
      display_name?: unknown;
      type?: unknown;
      purpose?: unknown;
      header?: unknown;
    },
  ): Channel {
    if (!isValidId(fields.team_id)) throw errors.invalidBodyParam('channel.team_id');
    const team = this.store.teams.get(fields.team_id);
    if (!team) throw errors.permissions();
    const type = fields.type === undefined ? 'O' : fields.type;
    if (type !== 'O' && type !== 'P') throw errors.invalidBodyParam('channel.type');
    if (!this.isAdmin(actorId) && !this.store.isTeamMember(team.id, actorId)) throw errors.permissions();
    const name = typeof fields.name === 'string' ? fields.name : '';
    if (name.length < 1 || name.length > 64 || !CHANNEL_NAME.test(name) || /__/.test(name)) {
      throw new AppError('model.channel.is_valid.name.app_error', 'Invalid channel name.', 400);
    }
    const displayName = typeof fields.display_name === 'string' ? fields.display_name : '';
    if (displayName.length < 1 || displayName.length > 64) {
      throw new AppError('model.channel.is_valid.display_name.app_error', 'Invalid display name.', 400);
    }
    if (this.store.channelByName(team.id, name)) {
      throw new AppError(
        'store.sql_channel.save_channel.exists.app_error',
        'A channel with that name already exists on the same team.',
        400,
      );
    }
    const channel = this.store.addChannel({
      team_id: team.id,
      type,
      name,
      display_name: displayName,
      creator_id: actorId,
      purpose: typeof fields.purpose === 'string' ? fields.purpose : '',
      header: typeof fields.header === 'string' ? fields.header : '',
    });
    this.store.putChannelMember(channel.id, actorId, true);
    this.publish({
      event: 'channel_created',
      data: { channel_id: channel.id, team_id: team.id },
      broadcast: broadcast({ user_id: actorId }),
    });
    return channel;
  }

  /** GetOrCreateDirectChannel: `direct_added` only when the channel is new. */
  createDirect(actorId: string, ids: unknown): Channel {
    if (!Array.isArray(ids) || ids.length !== 2 || !ids.every(isValidId)) throw errors.invalidBodyParam('user_ids');
    const [a, b] = ids as string[];
    if (a !== actorId && b !== actorId && !this.isAdmin(actorId)) throw errors.permissions();
    this.user(a);
    this.user(b);
    const name = this.store.directChannelName(a, b);
    const existing = this.store.channelByName('', name);
    if (existing) return existing;
    const channel = this.store.addChannel({ team_id: '', type: 'D', name, display_name: '', creator_id: actorId });
    this.store.putChannelMember(channel.id, a);
    this.store.putChannelMember(channel.id, b);
    const teammate = a === actorId ? b : a;
    this.publish({
      event: 'direct_added',
      data: { creator_id: actorId, teammate_id: teammate },
      broadcast: broadcast({ channel_id: channel.id }),
    });
    return channel;
  }

  createGroup(actorId: string, ids: unknown): Channel {
    if (!Array.isArray(ids) || !ids.every(isValidId)) throw errors.invalidBodyParam('user_ids');
    const members = [...new Set([...(ids as string[]), actorId])];
    if (members.length < 3 || members.length > 8) {
      throw new AppError(
        'api.channel.create_group.bad_size.app_error',
        'Group message channels must contain at least 3 and no more than 8 users.',
        400,
      );
    }
    const users = members.map((id) => this.user(id));
    const sorted = [...members].sort();
    const name = sorted.join('-').slice(0, 64);
    const existing = this.store.channelByName('', name);
    if (existing) return existing;
    const displayName = users
      .map((u) => u.username)
      .sort()
      .join(', ');
    const channel = this.store.addChannel({
      team_id: '',
      type: 'G',
      name,
      display_name: displayName,
      creator_id: actorId,
    });
    for (const id of members) this.store.putChannelMember(channel.id, id);
    this.publish({
      event: 'group_added',
      data: { teammate_ids: goJson(members) },
      broadcast: broadcast({ channel_id: channel.id }),
    });
    return channel;
  }

  private joinChannel(channel: Channel, userId: string): ChannelMember {
    const member = this.store.putChannelMember(channel.id, userId);
    this.publish({
      event: 'user_added',
      data: { team_id: channel.team_id, user_id: userId },
      broadcast: broadcast({ channel_id: channel.id }),
    });
    return member;
  }

  /** AddChannelMember: `user_added` and the join / added-by system message. */
  addChannelMember(actorId: string, channelId: string, userId: string): ChannelMember {
    const channel = this.channel(channelId);
    const user = this.user(userId);
    if (channel.type === 'D' || channel.type === 'G') {
      throw new AppError(
        'api.channel.add_user_to_channel.type.app_error',
        'Can not add user to this channel type.',
        400,
      );
    }
    if (channel.delete_at !== 0) {
      throw new AppError(
        'api.channel.add_user.to.channel.failed.deleted.app_error',
        'Failed to add user to channel because channel has been archived.',
        400,
      );
    }
    const existing = this.store.channelMembers.get(channelId)!.get(userId);
    if (existing) return existing;
    const self = actorId === userId;
    const admin = this.isAdmin(actorId);
    if (!admin) {
      const allowed =
        channel.type === 'O'
          ? self
            ? this.store.isTeamMember(channel.team_id, actorId)
            : this.store.isChannelMember(channelId, actorId)
          : this.store.isChannelMember(channelId, actorId);
      if (!allowed) throw errors.permissions();
    }
    if (!this.store.isTeamMember(channel.team_id, userId)) {
      throw new AppError('api.channel.add_user.to.channel.failed.app_error', 'Failed to add user to channel.', 403);
    }
    const member = this.joinChannel(channel, userId);
    if (self) {
      this.systemPost(channel, userId, 'system_join_channel', `@${user.username} joined the channel.`, {
        username: user.username,
      });
    } else {
      const actor = this.user(actorId);
      this.systemPost(
        channel,
        actorId,
        'system_add_to_channel',
        `@${user.username} added to the channel by @${actor.username}.`,
        {
          addedUserId: userId,
          addedUsername: user.username,
          userId: actorId,
          username: actor.username,
        },
      );
    }
    return member;
  }

  /** RemoveUserFromChannel: `user_removed` to the channel and to the removed user. */
  removeChannelMember(actorId: string, channelId: string, userId: string): void {
    const channel = this.channel(channelId);
    const user = this.user(userId);
    if (channel.type === 'D' || channel.type === 'G') {
      throw new AppError(
        'api.channel.remove_user_from_channel.direct_group.app_error',
        'Can not remove user from this channel type.',
        400,
      );
    }
    if (channel.name === 'town-square') {
      throw new AppError(
        'api.channel.remove.default.app_error',
        'Unable to remove user from the default channel town-square.',
        400,
      );
    }
    if (actorId !== userId && !this.isAdmin(actorId) && !this.store.isChannelMember(channelId, actorId)) {
      throw errors.permissions();
    }
    if (!this.store.isChannelMember(channelId, userId)) return;
    if (actorId === userId) {
      this.systemPost(channel, userId, 'system_leave_channel', `@${user.username} left the channel.`, {
        username: user.username,
      });
    } else {
      this.systemPost(
        channel,
        actorId,
        'system_remove_from_channel',
        `@${user.username} was removed from the channel.`,
        {
          removedUserId: userId,
          removedUsername: user.username,
        },
      );
    }
    this.store.channelMembers.get(channelId)!.delete(userId);
    this.publish({
      event: 'user_removed',
      data: { remover_id: actorId, user_id: userId },
      broadcast: broadcast({ channel_id: channelId }),
    });
    this.publish({
      event: 'user_removed',
      data: { channel_id: channelId, remover_id: actorId },
      broadcast: broadcast({ user_id: userId }),
    });
  }

  patchChannel(actorId: string, channelId: string, patch: Record<string, unknown>): Channel {
    const channel = this.channel(channelId);
    if (!this.isAdmin(actorId) && !this.store.isChannelMember(channelId, actorId)) throw errors.permissions();
    for (const key of ['display_name', 'name', 'header', 'purpose'] as const) {
      const value = patch[key];
      if (value === undefined) continue;
      if (typeof value !== 'string') throw errors.invalidBodyParam(`channel.${key}`);
      channel[key] = value;
    }
    channel.update_at = nowMs();
    this.publish({
      event: 'channel_updated',
      data: { channel: goJson(channelWire(channel)) },
      broadcast: broadcast({ channel_id: channelId }),
    });
    return channel;
  }

  deleteChannel(actorId: string, channelId: string): Channel {
    const channel = this.channel(channelId);
    if (channel.type === 'D' || channel.type === 'G') {
      throw new AppError(
        'api.channel.delete_channel.type.invalid',
        'Could not delete direct or group message channels',
        400,
      );
    }
    if (!this.isAdmin(actorId) && !this.store.isChannelMember(channelId, actorId)) throw errors.permissions();
    const t = nowMs();
    channel.delete_at = t;
    channel.update_at = t;
    this.publish({
      event: 'channel_deleted',
      data: { channel_id: channelId, delete_at: t },
      broadcast: broadcast({ team_id: channel.team_id }),
    });
    return channel;
  }

  // --- posts --------------------------------------------------------------

  createPost(
    actorId: string,
    input: Record<string, unknown>,
    opts: { setOnline?: boolean; allowSystemType?: boolean } = {},
  ): Post {
    if (!isValidId(input.channel_id)) throw errors.invalidBodyParam('post.channel_id');
    const channel = this.store.channels.get(input.channel_id);
    if (!channel) throw this.isAdmin(actorId) ? errors.channelNotFound() : errors.permissions();
    if (!this.canPostInChannel(actorId, channel)) throw errors.permissions();
    if (channel.delete_at !== 0) {
      throw new AppError('api.post.create_post.can_not_post_to_deleted.error', 'Can not post to deleted channel.', 403);
    }
    const message = input.message === undefined ? '' : input.message;
    if (typeof message !== 'string') throw errors.invalidBodyParam('post.message');
    if ([...message].length > MAX_POST_RUNES) {
      throw new AppError('model.post.is_valid.msg.app_error', 'Invalid Message.', 400);
    }
    const type = input.type === undefined ? '' : input.type;
    if (typeof type !== 'string' || (type.startsWith('system_') && !opts.allowSystemType)) {
      throw errors.invalidBodyParam('post.type');
    }
    const rootId = input.root_id === undefined || input.root_id === '' ? '' : input.root_id;
    let root: Post | undefined;
    if (rootId !== '') {
      root = isValidId(rootId) ? this.store.posts.get(rootId) : undefined;
      if (!root || root.channel_id !== channel.id || root.root_id !== '' || root.delete_at !== 0) {
        throw new AppError('api.post.create_post.root_id.app_error', 'Invalid RootId parameter.', 400);
      }
    }
    const props = input.props === undefined || input.props === null ? {} : input.props;
    if (typeof props !== 'object' || Array.isArray(props)) throw errors.invalidBodyParam('post.props');
    const fileIds = input.file_ids === undefined || input.file_ids === null ? [] : input.file_ids;
    if (!Array.isArray(fileIds) || fileIds.length > 10 || !fileIds.every(isValidId)) {
      throw errors.invalidBodyParam('post.file_ids');
    }
    const files: FileInfo[] = [];
    for (const id of fileIds as string[]) {
      const f = this.store.files.get(id);
      // Files that are not the poster's, already attached or in another channel are dropped, as the server does.
      if (f && f.info.user_id === actorId && f.info.post_id === '' && f.info.channel_id === channel.id)
        files.push(f.info);
    }
    const pending = typeof input.pending_post_id === 'string' ? input.pending_post_id : '';

    const t = nowMs();
    const post: Post = {
      id: newId(),
      create_at: t,
      update_at: t,
      edit_at: 0,
      delete_at: 0,
      is_pinned: false,
      user_id: actorId,
      channel_id: channel.id,
      root_id: root?.id ?? '',
      original_id: '',
      message,
      type,
      props: props as Record<string, unknown>,
      hashtags: hashtagsOf(message),
      file_ids: files.map((f) => f.id),
      pending_post_id: pending,
      has_reactions: false,
      reply_count: 0,
      last_reply_at: 0,
      participants: null,
    };
    this.store.posts.set(post.id, post);
    for (const f of files) {
      f.post_id = post.id;
      f.update_at = t;
    }
    if (root) {
      root.reply_count += 1;
      root.last_reply_at = t;
      post.reply_count = root.reply_count;
    }
    channel.last_post_at = t;
    channel.total_msg_count += 1;
    if (!root) {
      channel.total_msg_count_root += 1;
      channel.last_root_post_at = t;
    }
    const setOnline = opts.setOnline ?? true;
    if (setOnline && type === '') this.setStatus(actorId, 'online', false);
    this.publishPosted(post, channel, setOnline, files);
    return post;
  }

  private publishPosted(post: Post, channel: Channel, setOnline: boolean, files: FileInfo[]): void {
    const sender = this.user(post.user_id);
    const data: Record<string, unknown> = {
      channel_display_name: this.channelDisplayName(channel, sender),
      channel_name: channel.name,
      channel_type: channel.type,
      post: goJson(postWire(post, this.store)),
      sender_name: `@${sender.username}`,
      set_online: setOnline,
      team_id: channel.team_id,
    };
    if (files.some((f) => f.mime_type.startsWith('image/'))) data.image = 'true';
    if (files.some((f) => !f.mime_type.startsWith('image/'))) data.otherFile = 'true';
    const mentioned = this.mentionedUsers(post, channel);
    this.publish({
      event: 'posted',
      data,
      broadcast: broadcast({ channel_id: channel.id }),
      perUser: (userId) => (mentioned.has(userId) ? { mentions: goJson([userId]) } : undefined),
    });
  }

  private channelDisplayName(channel: Channel, sender: User): string {
    if (channel.type === 'D') return `@${sender.username}`;
    return channel.display_name;
  }

  /** Who the post mentions: @username, @channel/@all/@here for members, and the other side of a DM. */
  mentionedUsers(post: Post, channel: Channel): Set<string> {
    const out = new Set<string>();
    if (post.type !== '') return out;
    const members = this.store.channelMemberIds(channel.id).filter((id) => id !== post.user_id);
    if (channel.type === 'D') {
      for (const id of members) out.add(id);
      return out;
    }
    const lower = post.message.toLowerCase();
    const everyone = /(^|[^\w@])@(channel|all|here)\b/.test(lower);
    for (const id of members) {
      const username = this.store.users.get(id)?.username;
      if (!username) continue;
      if (everyone || mentionPattern(username).test(lower)) out.add(id);
    }
    return out;
  }

  systemPost(channel: Channel, userId: string, type: string, message: string, props: Record<string, unknown>): Post {
    return this.createPost(
      userId,
      { channel_id: channel.id, message, type, props },
      { setOnline: false, allowSystemType: true },
    );
  }

  private requireEditable(actorId: string, post: Post): void {
    const channel = this.channel(post.channel_id);
    if (this.isAdmin(actorId)) return;
    if (!this.canReadChannel(actorId, channel)) throw errors.permissions();
    if (post.user_id !== actorId && !this.store.isTeamAdmin(channel.team_id, actorId)) throw errors.permissions();
  }

  private publishEdited(post: Post): void {
    this.publish({
      event: 'post_edited',
      data: { post: goJson(postWire(post, this.store)) },
      broadcast: broadcast({ channel_id: post.channel_id }),
    });
  }

  /** PUT /posts/{id} and /posts/{id}/patch: edit_at moves only when the message or files change. */
  editPost(actorId: string, postId: string, patch: Record<string, unknown>): Post {
    const post = this.readablePost(actorId, postId);
    this.requireEditable(actorId, post);
    if (patch.message !== undefined) {
      if (typeof patch.message !== 'string') throw errors.invalidBodyParam('post.message');
      if ([...patch.message].length > MAX_POST_RUNES) {
        throw new AppError('model.post.is_valid.msg.app_error', 'Invalid Message.', 400);
      }
    }
    if (patch.is_pinned !== undefined && typeof patch.is_pinned !== 'boolean')
      throw errors.invalidBodyParam('post.is_pinned');
    if (
      patch.props !== undefined &&
      (typeof patch.props !== 'object' || patch.props === null || Array.isArray(patch.props))
    ) {
      throw errors.invalidBodyParam('post.props');
    }
    const t = nowMs();
    if (typeof patch.message === 'string' && patch.message !== post.message) {
      post.message = patch.message;
      post.hashtags = hashtagsOf(patch.message);
      post.edit_at = t;
    }
    if (typeof patch.is_pinned === 'boolean') post.is_pinned = patch.is_pinned;
    if (patch.props) post.props = patch.props as Record<string, unknown>;
    post.update_at = t;
    this.publishEdited(post);
    return post;
  }

  setPinned(actorId: string, postId: string, pinned: boolean): Post {
    const post = this.readablePost(actorId, postId);
    const channel = this.channel(post.channel_id);
    if (!this.canPostInChannel(actorId, channel)) throw errors.permissions();
    if (post.is_pinned === pinned) return post;
    post.is_pinned = pinned;
    post.update_at = nowMs();
    this.publishEdited(post);
    return post;
  }

  /**
   * DeletePost: soft-deletes the post and its replies. The event carries the post as read before the
   * delete (delete_at 0, as captured from real servers); admins get a copy with `delete_by`.
   */
  deletePost(actorId: string, postId: string): Post {
    const post = this.readablePost(actorId, postId);
    this.requireEditable(actorId, post);
    const before = goJson(postWire(post, this.store));
    const t = nowMs();
    const targets = [post, ...[...this.store.posts.values()].filter((p) => p.root_id === post.id && p.delete_at === 0)];
    for (const p of targets) {
      p.delete_at = t;
      p.update_at = t;
      p.props = { ...p.props, deleteBy: actorId };
      for (const id of p.file_ids) {
        const f = this.store.files.get(id);
        if (f) f.info.delete_at = t;
      }
    }
    if (post.root_id) {
      const root = this.store.posts.get(post.root_id);
      if (root) root.reply_count = Math.max(0, root.reply_count - 1);
    }
    this.publish({
      event: 'post_deleted',
      data: { post: before },
      broadcast: broadcast({ channel_id: post.channel_id, contains_sanitized_data: true }),
    });
    this.publish({
      event: 'post_deleted',
      data: { delete_by: actorId, post: before },
      broadcast: broadcast({ channel_id: post.channel_id, contains_sensitive_data: true }),
    });
    return post;
  }

  /** POST /posts/ephemeral: shown to one user only, never stored. */
  ephemeralPost(
    channelId: string,
    userId: string,
    input: { message: string; root_id?: string; props?: Record<string, unknown> },
    authorId: string,
  ): Record<string, unknown> {
    const t = nowMs();
    const post: Post = {
      id: newId(),
      create_at: t,
      update_at: t,
      edit_at: 0,
      delete_at: 0,
      is_pinned: false,
      user_id: authorId,
      channel_id: channelId,
      root_id: input.root_id ?? '',
      original_id: '',
      message: input.message,
      type: 'system_ephemeral',
      props: input.props ?? {},
      hashtags: '',
      file_ids: [],
      pending_post_id: '',
      has_reactions: false,
      reply_count: 0,
      last_reply_at: 0,
      participants: null,
    };
    const wire = postWire(post, this.store);
    this.publish({
      event: 'ephemeral_message',
      data: { post: goJson(wire) },
      broadcast: broadcast({ channel_id: channelId, user_id: userId }),
    });
    return wire;
  }

  // --- reactions ----------------------------------------------------------

  addReaction(actorId: string, input: Record<string, unknown>): Reaction {
    const { user_id: userId, post_id: postId, emoji_name: emoji } = input;
    if (
      !isValidId(userId) ||
      !isValidId(postId) ||
      typeof emoji !== 'string' ||
      emoji.length === 0 ||
      emoji.length > 64
    ) {
      throw new AppError('api.reaction.save_reaction.invalid.app_error', 'Reaction is not valid.', 400);
    }
    if (userId !== actorId) throw errors.permissions();
    if (!EMOJI_NAME.test(emoji))
      throw new AppError('model.reaction.is_valid.emoji_name.app_error', 'Invalid emoji name.', 400);
    const post = this.readablePost(actorId, postId);
    const channel = this.channel(post.channel_id);
    if (!this.canPostInChannel(actorId, channel)) throw errors.permissions();
    const list = this.store.reactions.get(post.id) ?? [];
    const existing = list.find((r) => r.user_id === userId && r.emoji_name === emoji);
    if (existing) return existing;
    const t = nowMs();
    const reaction: Reaction = {
      user_id: userId,
      post_id: post.id,
      emoji_name: emoji,
      create_at: t,
      update_at: t,
      delete_at: 0,
      remote_id: '',
      channel_id: post.channel_id,
    };
    list.push(reaction);
    this.store.reactions.set(post.id, list);
    post.has_reactions = true;
    post.update_at = t;
    this.publish({
      event: 'reaction_added',
      data: { reaction: goJson(reactionWire(reaction)) },
      broadcast: broadcast({ channel_id: post.channel_id }),
    });
    return reaction;
  }

  removeReaction(actorId: string, userId: string, postId: string, emoji: string): void {
    if (userId !== actorId && !this.isAdmin(actorId)) throw errors.permissions();
    if (!EMOJI_NAME.test(emoji)) throw errors.invalidUrlParam('emoji_name');
    const post = this.readablePost(actorId, postId);
    const list = this.store.reactions.get(post.id) ?? [];
    const index = list.findIndex((r) => r.user_id === userId && r.emoji_name === emoji);
    if (index < 0) return;
    const [reaction] = list.splice(index, 1);
    const t = nowMs();
    post.has_reactions = list.length > 0;
    post.update_at = t;
    this.publish({
      event: 'reaction_removed',
      data: { reaction: goJson(reactionWire({ ...reaction, update_at: t, delete_at: t })) },
      broadcast: broadcast({ channel_id: post.channel_id }),
    });
  }

  // --- files --------------------------------------------------------------

  uploadFile(actorId: string, channelId: string, name: string, content: Buffer, mime?: string): FileInfo {
    const channel = this.channel(channelId);
    if (!this.canPostInChannel(actorId, channel)) throw errors.permissions();
    const t = nowMs();
    const dot = name.lastIndexOf('.');
    const extension = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
    const info: FileInfo = {
      id: newId(),
      user_id: actorId,
      channel_id: channelId,
      post_id: '',
      create_at: t,
      update_at: t,
      delete_at: 0,
      name,
      extension,
      size: content.length,
      mime_type: mime && mime !== 'application/octet-stream' ? mime : mimeFor(extension),
      has_preview_image: false,
      mini_preview: null,
      remote_id: '',
      archived: false,
    };
    this.store.files.set(info.id, { info, content });
    return info;
  }

  userWire(user: User, viewerId: string): Record<string, unknown> {
    return userWire(user, viewerId, this.store);
  }
}

function hashtagsOf(message: string): string {
  const tags = new Set<string>();
  for (const m of message.matchAll(/(?:^|[\s(])(#[A-Za-z][\w.-]{2,49})/g)) tags.add(m[1].replace(/[.-]+$/, ''));
  return [...tags].join(' ');
}

const MIME: Record<string, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  json: 'application/json',
  csv: 'text/csv',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  pdf: 'application/pdf',
  html: 'text/html',
};

function mimeFor(extension: string): string {
  return MIME[extension] ?? 'application/octet-stream';
}

const mentionPatterns = new Map<string, RegExp>();

/** `@username` as a whole mention (built once per username: the benchmark posts thousands a second). */
function mentionPattern(username: string): RegExp {
  let re = mentionPatterns.get(username);
  if (!re) {
    re = new RegExp(`(^|[^\\w@])@${username.replace(/[.-]/g, '\\$&')}(?![\\w-])`);
    mentionPatterns.set(username, re);
  }
  return re;
}
