/**
 * The watch list in Redis: a hash channelId → entry at keys.watches; every
 * change is published on keys.watchesChanged (the MCP layer notifies
 * mattermost://watches from it). The normalize workers ask `isStreamed` for
 * every update with a channel, so the set of watched ids is cached for a
 * moment (cacheMs) and refreshed on this process's own changes at once.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger';
import type { Directory } from '../mattermost/directory';
import type { RedisKeys } from '../redis/keys';
import { channelLabel, type ChannelPolicy } from '../policy/channel-policy';
import type { ChannelRef, PolicyDecision } from '../policy/types';
import type { WatchEntry, WatchList } from './types';

export interface WatchListOptions {
  redis: Redis;
  keys: RedisKeys;
  directory: Directory;
  /** The global channel policy (BRIDGE_CHANNELS_ALLOW/DENY, BRIDGE_ALLOW_DIRECT). */
  policy: ChannelPolicy;
  /** BRIDGE_TEAMS: team names or ids in scope; empty = every team. */
  teams: string[];
  /** How long the set of watched ids is reused before it is read again (default 1000 ms). */
  cacheMs?: number;
  log?: Logger;
}

/** What is published on keys.watchesChanged. */
export interface WatchChange {
  op: 'add' | 'remove';
  channelId: string;
  channelName?: string;
  at: string;
}

export class WatchRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`cannot watch this channel: ${reason}`);
    this.name = 'WatchRefusedError';
  }
}

type Hint = Omit<ChannelRef, 'id'>;

export class RedisWatchList implements WatchList {
  private cached?: { ids: Set<string>; until: number };
  private readonly teams: Set<string>;

  constructor(private readonly options: WatchListOptions) {
    this.teams = new Set(options.teams.map((t) => t.toLowerCase()));
  }

  async list(): Promise<WatchEntry[]> {
    const all = await this.options.redis.hgetall(this.options.keys.watches);
    const entries: WatchEntry[] = [];
    for (const json of Object.values(all)) {
      try {
        entries.push(JSON.parse(json) as WatchEntry);
      } catch {
        // a hand-edited bad entry: leave it out rather than break every caller
      }
    }
    return entries.sort((a, b) => a.addedAt.localeCompare(b.addedAt) || a.channelName.localeCompare(b.channelName));
  }

  /** Throws WatchRefusedError when team scope or channel policy refuse the channel. */
  async add(entry: Omit<WatchEntry, 'addedAt'>): Promise<boolean> {
    const decision = await this.explain(entry.channelId, {
      name: entry.channelName || undefined,
      teamId: entry.teamId || undefined,
    });
    if (!decision.ok) throw new WatchRefusedError(decision.reason);
    const full: WatchEntry = { ...entry, addedAt: new Date().toISOString() };
    const added = await this.options.redis.hsetnx(this.options.keys.watches, entry.channelId, JSON.stringify(full));
    if (!added) return false;
    await this.changed({ op: 'add', channelId: entry.channelId, channelName: entry.channelName, at: full.addedAt });
    return true;
  }

  async remove(channelId: string): Promise<boolean> {
    const removed = await this.options.redis.hdel(this.options.keys.watches, channelId);
    if (!removed) return false;
    await this.changed({ op: 'remove', channelId, at: new Date().toISOString() });
    return true;
  }

  async isStreamed(channelId: string, hint: Hint = {}): Promise<boolean> {
    const decision = await this.explain(channelId, hint);
    if (!decision.ok) return false;
    const ids = await this.watchedIds();
    return ids.size === 0 || ids.has(channelId);
  }

  /** Whether team scope and channel policy let this channel be streamed, and if not, why. */
  async explain(channelId: string, hint: Hint = {}): Promise<PolicyDecision> {
    const ref = await this.resolve(channelId, hint);
    const direct = ref.type === 'D' || ref.type === 'G';
    if (!direct && !ref.type && !ref.teamId && !this.options.policy.allowsDirect) {
      // fail closed: this might be a DM, and those stay out unless allowed
      return { ok: false, reason: `channel ${channelId} is unknown, so it cannot be told apart from a direct message` };
    }
    const policy = this.options.policy.check(ref);
    if (!policy.ok) return policy;
    if (this.teams.size && !direct) {
      const inScope =
        (ref.teamId && this.teams.has(ref.teamId.toLowerCase())) ||
        (ref.teamName && this.teams.has(ref.teamName.toLowerCase()));
      if (!inScope) {
        return {
          ok: false,
          reason: `channel ${channelLabel(ref)} is in team ${ref.teamName ?? ref.teamId ?? '(unknown)'}, outside BRIDGE_TEAMS (${[...this.teams].join(', ')}); add the team there to stream it`,
        };
      }
    }
    return { ok: true };
  }

  private async resolve(channelId: string, hint: Hint): Promise<ChannelRef> {
    const ref: ChannelRef = { id: channelId, ...hint };
    const { directory } = this.options;
    if (!ref.name || !ref.type || ref.teamId === undefined) {
      const channel = await directory.channel(channelId).catch(() => undefined);
      if (channel) {
        ref.name ??= channel.name;
        ref.type ??= channel.type as ChannelRef['type'];
        ref.teamId ??= channel.team_id || undefined;
      }
    }
    if (ref.teamId && !ref.teamName) {
      const team = await directory.team(ref.teamId).catch(() => undefined);
      if (team) ref.teamName = team.name;
    }
    return ref;
  }

  private async watchedIds(): Promise<Set<string>> {
    const now = Date.now();
    if (this.cached && this.cached.until > now) return this.cached.ids;
    const ids = new Set(await this.options.redis.hkeys(this.options.keys.watches));
    this.cached = { ids, until: now + (this.options.cacheMs ?? 1000) };
    return ids;
  }

  private async changed(change: WatchChange): Promise<void> {
    this.cached = undefined;
    await this.options.redis.publish(this.options.keys.watchesChanged, JSON.stringify(change));
  }
}

/**
 * Calls `onChange` for every watch list change made by any process. Uses its
 * own subscriber connection; the returned function unsubscribes and closes it.
 */
export async function subscribeWatchChanges(
  redis: Redis,
  keys: RedisKeys,
  onChange: (change: WatchChange) => void,
): Promise<() => Promise<void>> {
  const sub = redis.duplicate();
  sub.on('message', (channel: string, message: string) => {
    if (channel !== keys.watchesChanged) return;
    try {
      onChange(JSON.parse(message) as WatchChange);
    } catch {
      // not ours
    }
  });
  await sub.subscribe(keys.watchesChanged);
  return async () => {
    await sub.unsubscribe(keys.watchesChanged).catch(() => undefined);
    sub.disconnect();
  };
}
