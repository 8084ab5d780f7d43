/**
 * The fake's in-memory data, in the field names and order the real server
 * writes them (model/*.go struct order). Mutations with side effects
 * (events, system posts) live in app.ts; this module only holds and finds.
 */
import { newId, nowMs } from './ids';

export interface User {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  username: string;
  auth_data: string;
  auth_service: string;
  email: string;
  email_verified: boolean;
  nickname: string;
  first_name: string;
  last_name: string;
  position: string;
  roles: string;
  props: Record<string, string>;
  notify_props: Record<string, string>;
  last_password_update: number;
  locale: string;
  timezone: { automaticTimezone: string; manualTimezone: string; useAutomaticTimezone: string };
  is_bot: boolean;
  bot_description: string;
  disable_welcome_email: boolean;
}

export interface Bot {
  user_id: string;
  username: string;
  display_name: string;
  description: string;
  owner_id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
}

export interface Team {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  display_name: string;
  name: string;
  description: string;
  email: string;
  type: 'O' | 'I';
  company_name: string;
  allowed_domains: string;
  invite_id: string;
  allow_open_invite: boolean;
  last_team_icon_update: number;
  scheme_id: string;
  group_constrained: boolean | null;
  policy_id: string | null;
  cloud_limits_archived: boolean;
}

export interface TeamMember {
  team_id: string;
  user_id: string;
  roles: string;
  delete_at: number;
  scheme_guest: boolean;
  scheme_user: boolean;
  scheme_admin: boolean;
  explicit_roles: string;
}

export type ChannelType = 'O' | 'P' | 'D' | 'G';

export interface Channel {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  team_id: string;
  type: ChannelType;
  display_name: string;
  name: string;
  header: string;
  purpose: string;
  last_post_at: number;
  total_msg_count: number;
  extra_update_at: number;
  creator_id: string;
  scheme_id: string | null;
  props: Record<string, unknown> | null;
  group_constrained: boolean | null;
  shared: boolean | null;
  total_msg_count_root: number;
  policy_id: string | null;
  last_root_post_at: number;
}

export interface ChannelMember {
  channel_id: string;
  user_id: string;
  roles: string;
  last_viewed_at: number;
  msg_count: number;
  mention_count: number;
  mention_count_root: number;
  urgent_mention_count: number;
  msg_count_root: number;
  notify_props: Record<string, string>;
  last_update_at: number;
  scheme_guest: boolean;
  scheme_user: boolean;
  scheme_admin: boolean;
  explicit_roles: string;
}

export interface Post {
  id: string;
  create_at: number;
  update_at: number;
  edit_at: number;
  delete_at: number;
  is_pinned: boolean;
  user_id: string;
  channel_id: string;
  root_id: string;
  original_id: string;
  message: string;
  type: string;
  props: Record<string, unknown>;
  hashtags: string;
  file_ids: string[];
  pending_post_id: string;
  has_reactions: boolean;
  reply_count: number;
  last_reply_at: number;
  participants: null;
}

export interface Reaction {
  user_id: string;
  post_id: string;
  emoji_name: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  remote_id: string;
  channel_id: string;
}

export interface FileInfo {
  id: string;
  user_id: string;
  channel_id: string;
  post_id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  name: string;
  extension: string;
  size: number;
  mime_type: string;
  width?: number;
  height?: number;
  has_preview_image: boolean;
  mini_preview: null;
  remote_id: string;
  archived: boolean;
}

export interface Command {
  id: string;
  token: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  creator_id: string;
  team_id: string;
  trigger: string;
  method: 'P' | 'G';
  username: string;
  icon_url: string;
  auto_complete: boolean;
  auto_complete_desc: string;
  auto_complete_hint: string;
  display_name: string;
  description: string;
  url: string;
  plugin_id: string;
}

export interface Status {
  user_id: string;
  status: 'online' | 'away' | 'offline' | 'dnd';
  manual: boolean;
  last_activity_at: number;
  dnd_end_time: number;
}

export interface AccessToken {
  id: string;
  token: string;
  user_id: string;
  description: string;
  is_active: boolean;
}

/** A slash command's response_url: usable 5 times within 30 minutes (COMMAND_WEBHOOK_LIFETIME). */
export interface CommandWebhook {
  id: string;
  create_at: number;
  command_id: string;
  user_id: string;
  channel_id: string;
  root_id: string;
  use_count: number;
}

export const CHANNEL_NOTIFY_DEFAULTS = {
  desktop: 'default',
  email: 'default',
  ignore_channel_mentions: 'default',
  mark_unread: 'all',
  push: 'default',
};

/** What a new user may be given (POST /users, bots, seeds). */
export type NewUserFields = {
  username: string;
  roles?: string;
  email?: string;
  first_name?: string;
  last_name?: string;
  nickname?: string;
  is_bot?: boolean;
  bot_description?: string;
};

export class Store {
  readonly users = new Map<string, User>();
  readonly bots = new Map<string, Bot>();
  readonly teams = new Map<string, Team>();
  /** team id → user id → member */
  readonly teamMembers = new Map<string, Map<string, TeamMember>>();
  readonly channels = new Map<string, Channel>();
  /** channel id → user id → member */
  readonly channelMembers = new Map<string, Map<string, ChannelMember>>();
  readonly posts = new Map<string, Post>();
  /** post id → reactions in the order they were made */
  readonly reactions = new Map<string, Reaction[]>();
  readonly files = new Map<string, { info: FileInfo; content: Buffer }>();
  readonly commands = new Map<string, Command>();
  readonly statuses = new Map<string, Status>();
  readonly tokens = new Map<string, AccessToken>();
  readonly commandWebhooks = new Map<string, CommandWebhook>();

  // --- users and sessions -------------------------------------------------

  addUser(fields: NewUserFields): User {
    const t = nowMs();
    const user: User = {
      id: newId(),
      create_at: t,
      update_at: t,
      delete_at: 0,
      username: fields.username,
      auth_data: '',
      auth_service: '',
      email: fields.email ?? `${fields.username}@example.com`,
      email_verified: true,
      nickname: fields.nickname ?? '',
      first_name: fields.first_name ?? '',
      last_name: fields.last_name ?? '',
      position: '',
      roles: fields.roles ?? 'system_user',
      props: {},
      notify_props: {
        channel: 'true',
        comments: 'never',
        desktop: 'mention',
        desktop_sound: 'true',
        email: 'true',
        first_name: 'false',
        mention_keys: '',
        push: 'mention',
        push_status: 'away',
      },
      last_password_update: t,
      locale: 'en',
      timezone: { automaticTimezone: '', manualTimezone: '', useAutomaticTimezone: 'true' },
      is_bot: fields.is_bot ?? false,
      bot_description: fields.bot_description ?? '',
      disable_welcome_email: false,
    };
    this.users.set(user.id, user);
    this.statuses.set(user.id, {
      user_id: user.id,
      status: 'offline',
      manual: false,
      last_activity_at: 0,
      dnd_end_time: 0,
    });
    return user;
  }

  addToken(userId: string, description: string): AccessToken {
    const token: AccessToken = { id: newId(), token: newId(), user_id: userId, description, is_active: true };
    this.tokens.set(token.token, token);
    return token;
  }

  /** The user a bearer token belongs to, or undefined for unknown, revoked or deleted. */
  userForToken(token: string): User | undefined {
    const t = this.tokens.get(token);
    if (!t || !t.is_active) return undefined;
    const user = this.users.get(t.user_id);
    return user && user.delete_at === 0 ? user : undefined;
  }

  userByUsername(username: string): User | undefined {
    const wanted = username.toLowerCase();
    for (const u of this.users.values()) if (u.username === wanted) return u;
    return undefined;
  }

  isSystemAdmin(userId: string): boolean {
    return this.users.get(userId)?.roles.split(' ').includes('system_admin') ?? false;
  }

  // --- teams --------------------------------------------------------------

  addTeam(fields: { name: string; display_name?: string; type?: 'O' | 'I' }): Team {
    const t = nowMs();
    const team: Team = {
      id: newId(),
      create_at: t,
      update_at: t,
      delete_at: 0,
      display_name: fields.display_name ?? fields.name,
      name: fields.name,
      description: '',
      email: '',
      type: fields.type ?? 'O',
      company_name: '',
      allowed_domains: '',
      invite_id: newId(),
      allow_open_invite: (fields.type ?? 'O') === 'O',
      last_team_icon_update: 0,
      scheme_id: '',
      group_constrained: null,
      policy_id: null,
      cloud_limits_archived: false,
    };
    this.teams.set(team.id, team);
    this.teamMembers.set(team.id, new Map());
    return team;
  }

  teamByName(name: string): Team | undefined {
    for (const t of this.teams.values()) if (t.name === name) return t;
    return undefined;
  }

  putTeamMember(teamId: string, userId: string, admin = false): TeamMember {
    const members = this.teamMembers.get(teamId)!;
    const existing = members.get(userId);
    if (existing && existing.delete_at === 0) return existing;
    const member: TeamMember = {
      team_id: teamId,
      user_id: userId,
      roles: admin ? 'team_user team_admin' : 'team_user',
      delete_at: 0,
      scheme_guest: false,
      scheme_user: true,
      scheme_admin: admin,
      explicit_roles: '',
    };
    members.set(userId, member);
    return member;
  }

  isTeamMember(teamId: string, userId: string): boolean {
    const m = this.teamMembers.get(teamId)?.get(userId);
    return !!m && m.delete_at === 0;
  }

  isTeamAdmin(teamId: string, userId: string): boolean {
    const m = this.teamMembers.get(teamId)?.get(userId);
    return !!m && m.delete_at === 0 && m.scheme_admin;
  }

  teamsOf(userId: string): Team[] {
    return [...this.teams.values()].filter((t) => t.delete_at === 0 && this.isTeamMember(t.id, userId));
  }

  // --- channels -----------------------------------------------------------

  addChannel(fields: {
    team_id: string;
    type: ChannelType;
    name: string;
    display_name: string;
    creator_id: string;
    purpose?: string;
    header?: string;
  }): Channel {
    const t = nowMs();
    const channel: Channel = {
      id: newId(),
      create_at: t,
      update_at: t,
      delete_at: 0,
      team_id: fields.team_id,
      type: fields.type,
      display_name: fields.display_name,
      name: fields.name,
      header: fields.header ?? '',
      purpose: fields.purpose ?? '',
      last_post_at: t,
      total_msg_count: 0,
      extra_update_at: 0,
      creator_id: fields.creator_id,
      scheme_id: null,
      props: null,
      group_constrained: null,
      shared: null,
      total_msg_count_root: 0,
      policy_id: null,
      last_root_post_at: t,
    };
    this.channels.set(channel.id, channel);
    this.channelMembers.set(channel.id, new Map());
    return channel;
  }

  channelByName(teamId: string, name: string): Channel | undefined {
    for (const c of this.channels.values()) if (c.team_id === teamId && c.name === name) return c;
    return undefined;
  }

  /** DM channels are named `<id>__<id>` with the two ids sorted (model.GetDMNameFromIds). */
  directChannelName(a: string, b: string): string {
    return a < b ? `${a}__${b}` : `${b}__${a}`;
  }

  putChannelMember(channelId: string, userId: string, admin = false): ChannelMember {
    const members = this.channelMembers.get(channelId)!;
    const existing = members.get(userId);
    if (existing) return existing;
    const t = nowMs();
    const member: ChannelMember = {
      channel_id: channelId,
      user_id: userId,
      roles: admin ? 'channel_user channel_admin' : 'channel_user',
      last_viewed_at: 0,
      msg_count: 0,
      mention_count: 0,
      mention_count_root: 0,
      urgent_mention_count: 0,
      msg_count_root: 0,
      notify_props: { ...CHANNEL_NOTIFY_DEFAULTS },
      last_update_at: t,
      scheme_guest: false,
      scheme_user: true,
      scheme_admin: admin,
      explicit_roles: '',
    };
    members.set(userId, member);
    return member;
  }

  isChannelMember(channelId: string, userId: string): boolean {
    return this.channelMembers.get(channelId)?.has(userId) ?? false;
  }

  channelMemberIds(channelId: string): string[] {
    return [...(this.channelMembers.get(channelId)?.keys() ?? [])];
  }

  channelsOf(userId: string): Channel[] {
    return [...this.channels.values()].filter((c) => this.isChannelMember(c.id, userId));
  }

  // --- posts --------------------------------------------------------------

  postsInChannel(channelId: string): Post[] {
    return [...this.posts.values()].filter((p) => p.channel_id === channelId);
  }

  reactionsFor(postId: string): Reaction[] {
    return this.reactions.get(postId) ?? [];
  }

  filesFor(postId: string): FileInfo[] {
    const post = this.posts.get(postId);
    if (!post) return [];
    return post.file_ids.map((id) => this.files.get(id)?.info).filter((f): f is FileInfo => !!f);
  }

  commandByTrigger(teamId: string, trigger: string): Command | undefined {
    for (const c of this.commands.values()) {
      if (c.team_id === teamId && c.trigger === trigger && c.delete_at === 0) return c;
    }
    return undefined;
  }
}
