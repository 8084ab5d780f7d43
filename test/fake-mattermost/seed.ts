/**
 * Seeding: the default world (team acme; admin, bridge-bot, alice, bob;
 * town-square, off-topic, dev; a DM alice <-> bridge-bot) and more of each
 * from a JSON body. Seeding is database state: it emits no events and makes
 * no system posts.
 */
import type { FakeApp } from './app';
import { AppError } from './app-error';
import { isValidId } from './ids';
import type { Channel, ChannelType, Team, User } from './store';

export interface SeedInput {
  teams?: { name: string; display_name?: string; type?: 'O' | 'I' }[];
  users?: {
    username: string;
    /** Makes the user a system admin (roles "system_admin system_user"). */
    admin?: boolean;
    /** Creates a bot account (with a Bot record owned by the first system admin). */
    bot?: boolean;
    first_name?: string;
    last_name?: string;
    nickname?: string;
    email?: string;
    /** Team names to join; default: every seeded team (the default seed has one, acme). */
    teams?: string[];
    /** Makes the user an admin of the teams it joins. */
    team_admin?: boolean;
  }[];
  channels?: {
    /** Team name; default: the first team. */
    team?: string;
    name: string;
    display_name?: string;
    type?: 'O' | 'P';
    purpose?: string;
    header?: string;
    /** Usernames; default: every member of the team for public channels, nobody else for private ones. */
    members?: string[];
  }[];
  /** Pairs of usernames that get a DM channel. */
  direct?: [string, string][];
  /** Lists of 3-8 usernames that get a group channel. */
  groups?: string[][];
}

export interface SeededUser {
  id: string;
  username: string;
  token: string;
  roles: string;
  is_bot: boolean;
}

export interface SeededChannel {
  id: string;
  name: string;
  display_name: string;
  team_id: string;
  type: ChannelType;
}

export interface SeededTeam {
  id: string;
  name: string;
  display_name: string;
}

/** Ids and tokens of everything seeded, keyed by name (DMs: "alice__bridge-bot", usernames sorted). */
export interface SeedState {
  teams: Record<string, SeededTeam>;
  users: Record<string, SeededUser>;
  channels: Record<string, SeededChannel>;
}

export const DEFAULT_SEED: SeedInput = {
  teams: [{ name: 'acme', display_name: 'Acme' }],
  users: [
    { username: 'admin', admin: true, team_admin: true, first_name: 'Ada', last_name: 'Admin' },
    { username: 'bridge-bot', bot: true, first_name: 'Bridge Bot' },
    { username: 'alice', first_name: 'Alice', last_name: 'Liddell' },
    { username: 'bob', first_name: 'Bob', last_name: 'Builder' },
  ],
  channels: [
    { name: 'town-square', display_name: 'Town Square' },
    { name: 'off-topic', display_name: 'Off-Topic' },
    { name: 'dev', display_name: 'Dev', type: 'P', members: ['admin', 'alice', 'bridge-bot'] },
  ],
  direct: [['alice', 'bridge-bot']],
};

function bad(message: string): AppError {
  return new AppError('fake.seed.invalid.app_error', message, 400);
}

export class Seeder {
  /** Tokens handed out at seeding, by user id (REST-created users get theirs through the control API too). */
  readonly tokens = new Map<string, string>();
  readonly names = new Map<string, string>();

  constructor(private readonly app: FakeApp) {}

  private user(ref: string): User {
    const store = this.app.store;
    const u = isValidId(ref) ? store.users.get(ref) : store.userByUsername(String(ref).replace(/^@/, ''));
    if (!u) throw bad(`unknown user ${ref}`);
    return u;
  }

  private team(name: string | undefined): Team {
    const store = this.app.store;
    const team = name ? store.teamByName(name) : [...store.teams.values()][0];
    if (!team) throw bad(name ? `unknown team ${name}` : 'seed a team first');
    return team;
  }

  apply(input: SeedInput): SeedState {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad('seed body must be an object');
    const store = this.app.store;
    const created: SeedState = { teams: {}, users: {}, channels: {} };
    for (const t of input.teams ?? []) {
      if (typeof t?.name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(t.name))
        throw bad(`bad team name ${String(t?.name)}`);
      if (store.teamByName(t.name)) throw bad(`team ${t.name} exists`);
      const team = store.addTeam(t);
      created.teams[team.name] = teamState(team);
    }
    for (const u of input.users ?? []) {
      if (typeof u?.username !== 'string') throw bad('every user needs a username');
      const admin = [...store.users.values()].find((x) => store.isSystemAdmin(x.id));
      const { user, token } = this.createUser(u, admin?.id);
      const teams = u.teams ? u.teams.map((n) => this.team(n)) : [...store.teams.values()];
      for (const team of teams) {
        store.putTeamMember(team.id, user.id, u.team_admin ?? false);
        for (const name of ['town-square', 'off-topic']) {
          const c = store.channelByName(team.id, name);
          if (c) store.putChannelMember(c.id, user.id);
        }
      }
      created.users[user.username] = userState(user, token);
    }
    for (const c of input.channels ?? []) {
      if (typeof c?.name !== 'string') throw bad('every channel needs a name');
      const team = this.team(c.team);
      const type = c.type ?? 'O';
      if (type !== 'O' && type !== 'P') throw bad(`bad channel type ${String(type)}`);
      if (!/^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$/.test(c.name) || c.name.length > 64)
        throw bad(`bad channel name ${c.name}`);
      if (store.channelByName(team.id, c.name)) throw bad(`channel ${c.name} exists in ${team.name}`);
      const members = c.members
        ? c.members.map((m) => this.user(m))
        : type === 'O'
          ? [...store.users.values()].filter((u) => store.isTeamMember(team.id, u.id))
          : [];
      const creator = members[0]?.id ?? '';
      const channel = store.addChannel({
        team_id: team.id,
        type,
        name: c.name,
        display_name: c.display_name ?? c.name,
        creator_id: creator,
        purpose: c.purpose,
        header: c.header,
      });
      for (const m of members) {
        if (!store.isTeamMember(team.id, m.id)) store.putTeamMember(team.id, m.id);
        store.putChannelMember(channel.id, m.id, m.id === creator && type === 'P');
      }
      created.channels[c.name] = channelState(channel);
    }
    for (const pair of input.direct ?? []) {
      if (!Array.isArray(pair) || pair.length !== 2) throw bad('direct entries are pairs of usernames');
      const [a, b] = pair.map((p) => this.user(p));
      const name = store.directChannelName(a.id, b.id);
      const channel =
        store.channelByName('', name) ??
        store.addChannel({ team_id: '', type: 'D', name, display_name: '', creator_id: a.id });
      store.putChannelMember(channel.id, a.id);
      store.putChannelMember(channel.id, b.id);
      created.channels[dmKey([a.username, b.username])] = channelState(channel);
    }
    for (const group of input.groups ?? []) {
      if (!Array.isArray(group) || group.length < 3 || group.length > 8) throw bad('groups have 3 to 8 usernames');
      const users = group.map((g) => this.user(g));
      const ids = users.map((u) => u.id).sort();
      const name = ids.join('-').slice(0, 64);
      const channel =
        store.channelByName('', name) ??
        store.addChannel({
          team_id: '',
          type: 'G',
          name,
          display_name: users
            .map((u) => u.username)
            .sort()
            .join(', '),
          creator_id: users[0].id,
        });
      for (const u of users) store.putChannelMember(channel.id, u.id);
      created.channels[dmKey(users.map((u) => u.username))] = channelState(channel);
    }
    return created;
  }

  private createUser(
    u: NonNullable<SeedInput['users']>[number],
    ownerId: string | undefined,
  ): { user: User; token: string } {
    const store = this.app.store;
    const username = u.username.toLowerCase();
    if (!/^[a-z][a-z0-9.\-_]{2,21}$/.test(username)) throw bad(`bad username ${u.username}`);
    if (store.userByUsername(username)) throw bad(`user ${username} exists`);
    const user = store.addUser({
      username,
      roles: u.admin ? 'system_admin system_user' : 'system_user',
      email: u.email,
      first_name: u.first_name,
      last_name: u.last_name,
      nickname: u.nickname,
      is_bot: u.bot ?? false,
      bot_description: u.bot ? 'Seeded bot' : '',
    });
    if (u.bot) {
      store.bots.set(user.id, {
        user_id: user.id,
        username,
        display_name: u.first_name ?? username,
        description: 'Seeded bot',
        owner_id: ownerId ?? user.id,
        create_at: user.create_at,
        update_at: user.update_at,
        delete_at: 0,
      });
    }
    const token = store.addToken(user.id, u.bot ? 'bot token' : 'fake-mattermost session').token;
    this.tokens.set(user.id, token);
    return { user, token };
  }

  /** The whole world as ids and tokens (every user, team, channel). */
  state(): SeedState {
    const store = this.app.store;
    const out: SeedState = { teams: {}, users: {}, channels: {} };
    for (const t of store.teams.values()) out.teams[t.name] = teamState(t);
    for (const u of store.users.values()) out.users[u.username] = userState(u, this.tokenFor(u.id));
    for (const c of store.channels.values()) {
      if (c.type === 'D' || c.type === 'G') {
        const names = store.channelMemberIds(c.id).map((id) => store.users.get(id)?.username ?? id);
        out.channels[dmKey(names)] = channelState(c);
      } else {
        const team = store.teams.get(c.team_id);
        const key = out.channels[c.name] ? `${team?.name}:${c.name}` : c.name;
        out.channels[key] = channelState(c);
        if (key === c.name && team) out.channels[`${team.name}:${c.name}`] = channelState(c);
      }
    }
    return out;
  }

  /** A usable token for a user: the seeded one, or a fresh personal access token. */
  tokenFor(userId: string): string {
    let token = this.tokens.get(userId);
    if (!token || !this.app.store.tokens.get(token)?.is_active) {
      token = this.app.store.addToken(userId, 'fake-mattermost session').token;
      this.tokens.set(userId, token);
    }
    return token;
  }

  /** A channel by id, `name` (unique or in the first team), `team:name`, or a DM/GM key like `alice__bridge-bot`. */
  resolveChannel(ref: string): Channel {
    const store = this.app.store;
    if (isValidId(ref) && store.channels.has(ref)) return store.channels.get(ref)!;
    const clean = ref.replace(/^~/, '');
    const found = this.state().channels[clean];
    if (found) return store.channels.get(found.id)!;
    if (clean.includes('__')) {
      const key = dmKey(clean.split('__'));
      const dm = this.state().channels[key];
      if (dm) return store.channels.get(dm.id)!;
    }
    throw bad(`unknown channel ${ref}`);
  }

  resolveUser(ref: string): User {
    return this.user(ref);
  }
}

export function dmKey(usernames: string[]): string {
  return [...usernames].sort().join('__');
}

function teamState(t: Team): SeededTeam {
  return { id: t.id, name: t.name, display_name: t.display_name };
}

function userState(u: User, token: string): SeededUser {
  return { id: u.id, username: u.username, token, roles: u.roles, is_bot: u.is_bot };
}

function channelState(c: Channel): SeededChannel {
  return { id: c.id, name: c.name, display_name: c.display_name, team_id: c.team_id, type: c.type };
}
