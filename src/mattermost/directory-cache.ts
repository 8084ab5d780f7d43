/**
 * `Directory` over Client4: users, channels and teams in LRU caches with a
 * TTL, filled lazily on first use (nothing is warmed up, so `initialize` and
 * the first tool call never wait for a cache). Concurrent lookups of the same
 * key share one request (lru-cache's `fetch`). A 404 answers `undefined` and
 * is not cached; other errors propagate so callers can report them.
 * The event pipeline calls `invalidate` on `user_updated`, `channel_updated`,
 * `channel_deleted`... so renamed things show their new names.
 */
import type { Client4 } from '@mattermost/client';
import type { Channel } from '@mattermost/types/channels';
import type { Team } from '@mattermost/types/teams';
import type { UserProfile } from '@mattermost/types/users';
import { LRUCache } from 'lru-cache';
import type { Directory } from './directory';

export type DirectoryCacheOptions = {
  /** Time to live of an entry. Default 5 minutes. */
  ttlMs?: number;
  /** Entries per kind. Default 5000. */
  max?: number;
};

function isNotFound(err: unknown): boolean {
  const status = (err as { status_code?: number } | undefined)?.status_code;
  return status === 404;
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export class CachedDirectory implements Directory {
  private readonly users: LRUCache<string, UserProfile>;
  private readonly usernames: LRUCache<string, string>;
  private readonly channels: LRUCache<string, Channel>;
  private readonly channelNames: LRUCache<string, string>;
  private readonly teams: LRUCache<string, Team>;
  private readonly teamNames: LRUCache<string, string>;

  constructor(
    private readonly client: Client4,
    options: DirectoryCacheOptions = {},
  ) {
    const ttl = options.ttlMs ?? 5 * 60_000;
    const max = options.max ?? 5000;
    const base = { ttl, max, noDeleteOnFetchRejection: false } as const;
    this.users = new LRUCache<string, UserProfile>({
      ...base,
      fetchMethod: async (id) => {
        const u = await orUndefined(this.client.getUser(id));
        if (u) this.usernames.set(u.username, u.id);
        return u;
      },
    });
    this.channels = new LRUCache<string, Channel>({
      ...base,
      fetchMethod: async (id) => {
        const c = await orUndefined(this.client.getChannel(id));
        if (c?.team_id) this.channelNames.set(`${c.team_id}:${c.name}`, c.id);
        return c;
      },
    });
    this.teams = new LRUCache<string, Team>({
      ...base,
      fetchMethod: async (id) => {
        const t = await orUndefined(this.client.getTeam(id));
        if (t) this.teamNames.set(t.name, t.id);
        return t;
      },
    });
    // Name → id indexes; the object itself lives in the id cache.
    this.usernames = new LRUCache<string, string>(base);
    this.channelNames = new LRUCache<string, string>(base);
    this.teamNames = new LRUCache<string, string>(base);
  }

  async user(id: string): Promise<UserProfile | undefined> {
    return this.users.fetch(id);
  }

  async userByUsername(username: string): Promise<UserProfile | undefined> {
    const key = username.toLowerCase();
    const id = this.usernames.get(key);
    if (id) {
      const u = await this.user(id);
      if (u && u.username === key) return u;
    }
    const u = await orUndefined(this.client.getUserByUsername(key));
    if (u) this.rememberUser(u);
    return u;
  }

  /** Many users in one request (`POST /users/ids`) for the ids not cached yet. */
  async usersByIds(ids: string[]): Promise<Map<string, UserProfile>> {
    const out = new Map<string, UserProfile>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const u = this.users.get(id);
      if (u) out.set(id, u);
      else missing.push(id);
    }
    if (missing.length) {
      const found = await this.client.getProfilesByIds(missing);
      for (const u of found) {
        this.rememberUser(u);
        out.set(u.id, u);
      }
    }
    return out;
  }

  async channel(id: string): Promise<Channel | undefined> {
    return this.channels.fetch(id);
  }

  async channelByName(teamId: string, name: string): Promise<Channel | undefined> {
    const key = `${teamId}:${name.toLowerCase()}`;
    const id = this.channelNames.get(key);
    if (id) {
      const c = await this.channel(id);
      if (c && c.name === name.toLowerCase() && c.team_id === teamId) return c;
    }
    const c = await orUndefined(this.client.getChannelByName(teamId, name.toLowerCase()));
    if (c) this.rememberChannel(c);
    return c;
  }

  async team(id: string): Promise<Team | undefined> {
    return this.teams.fetch(id);
  }

  async teamByName(name: string): Promise<Team | undefined> {
    const key = name.toLowerCase();
    const id = this.teamNames.get(key);
    if (id) {
      const t = await this.team(id);
      if (t && t.name === key) return t;
    }
    const t = await orUndefined(this.client.getTeamByName(key));
    if (t) this.rememberTeam(t);
    return t;
  }

  /** Puts objects the caller already fetched (lists, events) into the cache. */
  rememberUser(u: UserProfile): void {
    this.users.set(u.id, u);
    this.usernames.set(u.username, u.id);
  }

  rememberChannel(c: Channel): void {
    this.channels.set(c.id, c);
    if (c.team_id) this.channelNames.set(`${c.team_id}:${c.name}`, c.id);
  }

  rememberTeam(t: Team): void {
    this.teams.set(t.id, t);
    this.teamNames.set(t.name, t.id);
  }

  invalidate(kind: 'user' | 'channel' | 'team', id: string): void {
    // Name indexes are checked against the object on use, so dropping the object is enough.
    if (kind === 'user') this.users.delete(id);
    else if (kind === 'channel') this.channels.delete(id);
    else this.teams.delete(id);
  }

  /** For stats and tests. */
  get sizes(): { users: number; channels: number; teams: number } {
    return { users: this.users.size, channels: this.channels.size, teams: this.teams.size };
  }
}
