/**
 * Test data for the normalizer: a tiny Directory over fixed users, channels
 * and a team (real-shaped ids), and builders of real-shaped WebSocket frames
 * (protocol doc §1.5: post/reaction/channel JSON-encoded inside `data`).
 */
import type { Channel } from '@mattermost/types/channels';
import type { Team } from '@mattermost/types/teams';
import type { UserProfile } from '@mattermost/types/users';
import type { Directory } from '../../src/mattermost/directory';

export const TEAM = { id: '68ia7ywnopny8nmcdrkatmytjh', name: 'acme', display_name: 'Acme' };
export const USERS = {
  bot: { id: 'bbotbotbotbotbotbotbotbot1', username: 'bridge-bot', is_bot: true },
  alice: { id: 'cmr7sncacib4xfhd6yo3n4tf5e', username: 'alice', first_name: 'Alice' },
  bob: { id: 'bob7sncacib4xfhd6yo3n4tf5e', username: 'bob' },
};
export const CHANNELS = {
  town: {
    id: '1waumyyd6jyczrxntuiopybygy',
    name: 'town-square',
    display_name: 'Town Square',
    type: 'O',
    team_id: TEAM.id,
  },
  offTopic: {
    id: 'offtopicyd6jyczrxntuiopyby',
    name: 'off-topic',
    display_name: 'Off-Topic',
    type: 'O',
    team_id: TEAM.id,
  },
  dev: { id: 'devdevyd6jyczrxntuiopybygy', name: 'dev', display_name: 'Dev', type: 'P', team_id: TEAM.id },
  dm: {
    id: 'dmdmdmyd6jyczrxntuiopybygy',
    name: `${USERS.alice.id}__${USERS.bot.id}`,
    display_name: '',
    type: 'D',
    team_id: '',
  },
};

export class FixedDirectory implements Directory {
  readonly invalidated: string[] = [];
  lookups = 0;
  constructor(
    private readonly users: Record<string, Partial<UserProfile>> = USERS,
    private readonly channels: Record<string, Partial<Channel>> = CHANNELS as Record<string, Partial<Channel>>,
    private readonly teams: Record<string, Partial<Team>> = { acme: TEAM },
  ) {}
  async user(id: string) {
    this.lookups++;
    return Object.values(this.users).find((u) => u.id === id) as UserProfile | undefined;
  }
  async userByUsername(username: string) {
    return Object.values(this.users).find((u) => u.username === username) as UserProfile | undefined;
  }
  async channel(id: string) {
    this.lookups++;
    return Object.values(this.channels).find((c) => c.id === id) as Channel | undefined;
  }
  async channelByName(teamId: string, name: string) {
    return Object.values(this.channels).find((c) => c.team_id === teamId && c.name === name) as Channel | undefined;
  }
  async team(id: string) {
    return Object.values(this.teams).find((t) => t.id === id) as Team | undefined;
  }
  async teamByName(name: string) {
    return Object.values(this.teams).find((t) => t.name === name) as Team | undefined;
  }
  invalidate(kind: 'user' | 'channel' | 'team', id: string) {
    this.invalidated.push(`${kind}:${id}`);
  }
}

export function broadcast(fields: Record<string, unknown> = {}) {
  return {
    omit_users: null,
    user_id: '',
    channel_id: '',
    team_id: '',
    connection_id: '',
    omit_connection_id: '',
    ...fields,
  };
}

let n = 0;
/** A 26-char id of Mattermost's alphabet. */
export function newId(): string {
  n++;
  return `p${String(n).padStart(6, '0')}`.replace(/0/g, 'o').padEnd(26, 'q');
}

export interface PostFields {
  id?: string;
  /** Default: town-square of the fixtures; any channel of this shape (the fake's, the bench's) will do. */
  channel?: { id: string; name: string; display_name: string; type: string; team_id: string };
  user?: { id: string; username: string };
  message?: string;
  root_id?: string;
  create_at?: number;
  edit_at?: number;
  delete_at?: number;
  update_at?: number;
  file_ids?: string[];
}

export function restPost(f: PostFields = {}) {
  const create = f.create_at ?? 1763683200000;
  const channel = f.channel ?? CHANNELS.town;
  return {
    id: f.id ?? newId(),
    create_at: create,
    update_at: f.update_at ?? Math.max(create, f.edit_at ?? 0, f.delete_at ?? 0),
    edit_at: f.edit_at ?? 0,
    delete_at: f.delete_at ?? 0,
    is_pinned: false,
    user_id: (f.user ?? USERS.alice).id,
    channel_id: channel.id,
    root_id: f.root_id ?? '',
    original_id: '',
    message: f.message ?? 'hello',
    type: '',
    props: {},
    hashtags: '',
    file_ids: f.file_ids,
    pending_post_id: '',
    remote_id: '',
    reply_count: 0,
    last_reply_at: 0,
    participants: null,
    metadata: {},
  };
}

export function postedFrame(f: PostFields = {}, seq = 1, extra: Record<string, unknown> = {}) {
  const channel = f.channel ?? CHANNELS.town;
  const user = f.user ?? USERS.alice;
  return {
    event: 'posted',
    data: {
      channel_display_name: channel.display_name,
      channel_name: channel.name,
      channel_type: channel.type,
      post: JSON.stringify(restPost(f)),
      sender_name: `@${user.username}`,
      set_online: true,
      team_id: channel.team_id,
      ...extra,
    },
    broadcast: broadcast({ channel_id: channel.id }),
    seq,
  };
}
